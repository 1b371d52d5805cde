"""Triplet sampling respects the year windows, the splits, the modalities and the works."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeling.chronology.model import TRIPLET_KINDS
from modeling.chronology.triplets import ModalityLabels, TripletWindows, sample_triplets

KIND_NAMES = list(TRIPLET_KINDS)


@st.composite
def dated_sets(draw):
    labels = {}
    for modality in ("music", "image"):
        n = draw(st.integers(min_value=0, max_value=25))
        years = draw(st.lists(st.integers(1500, 1950), min_size=n, max_size=n))
        groups = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
        allowed = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        labels[modality] = ModalityLabels(
            np.array(years, dtype=float),
            np.array([f"{modality}-{g}" for g in groups]),
            np.array(allowed, dtype=bool),
        )
    positive = draw(st.integers(0, 30))
    negative = draw(st.integers(positive + 1, 80))
    return labels, TripletWindows(positive, negative)


@settings(max_examples=150, deadline=None)
@given(dated_sets(), st.integers(1, 4), st.integers(0, 10_000))
def test_every_sampled_triplet_respects_the_windows(dataset, per_anchor, seed):
    labels, windows = dataset
    kinds = [k for k, mods in TRIPLET_KINDS.items() if all(len(labels[m].years) for m in mods)]
    found = sample_triplets(labels, kinds=kinds, windows=windows, per_anchor=per_anchor, seed=seed)
    for (anchor, positive, negative), code in zip(found.rows, found.kinds, strict=True):
        anchor_mod, target_mod, _ = TRIPLET_KINDS[KIND_NAMES[code]]
        a, t = labels[anchor_mod], labels[target_mod]
        assert a.allowed[anchor] and t.allowed[positive] and t.allowed[negative]
        assert abs(a.years[anchor] - t.years[positive]) <= windows.positive_within
        assert abs(a.years[anchor] - t.years[negative]) >= windows.negative_beyond
        assert a.groups[anchor] != t.groups[positive]  # never a clip of the anchor's own work
        if anchor_mod == target_mod:
            assert positive != anchor
    for kind in kinds:  # every anchor with a fitting positive and negative got its triplets
        report = found.report[kind]
        served = report["anchors"] - report["no_positive"] - report["no_negative"]
        assert report["triplets"] == served * per_anchor
        assert served == expected_anchors(labels, kind, windows)


def expected_anchors(labels, kind, windows):
    anchor_mod, target_mod, _ = TRIPLET_KINDS[kind]
    a, t = labels[anchor_mod], labels[target_mod]
    count = 0
    for i in np.flatnonzero(a.allowed):
        gaps = np.abs(t.years - a.years[i])
        positive = t.allowed & (gaps <= windows.positive_within) & (t.groups != a.groups[i])
        negative = t.allowed & (gaps >= windows.negative_beyond)
        count += bool(positive.any() and negative.any())
    return count


def test_the_thesis_windows_by_default_and_impossible_windows_refused():
    assert TripletWindows() == TripletWindows(positive_within=10, negative_beyond=20)
    with pytest.raises(ValueError, match="must exceed positive_within"):
        TripletWindows(positive_within=20, negative_beyond=20)


def test_cross_modal_triplets_take_positive_and_negative_from_the_other_modality():
    years = np.array([1700.0, 1705.0, 1800.0, 1802.0])
    labels = {
        "music": ModalityLabels(years, np.array(["m0", "m1", "m2", "m3"]), np.ones(4, bool)),
        "image": ModalityLabels(years + 1, np.array(["i0", "i1", "i2", "i3"]), np.ones(4, bool)),
    }
    found = sample_triplets(labels, kinds=["music-image-image"], per_anchor=3, seed=1)
    assert len(found.rows) == 12
    for anchor, positive, negative in found.rows:
        assert abs(years[anchor] - (years[positive] + 1)) <= 10
        assert abs(years[anchor] - (years[negative] + 1)) >= 20
    with pytest.raises(ValueError, match="unknown triplet kind"):
        sample_triplets(labels, kinds=["music-art-art"])
