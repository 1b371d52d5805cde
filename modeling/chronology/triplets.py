"""Triplets by year distance: positive within ``positive_within`` years of the anchor, negative
at least ``negative_beyond`` years away (the thesis: 10 and 20).

``sample_triplets`` draws ``per_anchor`` triplets for every allowed anchor of each triplet kind
(``model.TRIPLET_KINDS``: music-image-image, image-music-music, and the single-modality kinds),
choosing positives and negatives uniformly among the allowed items of the right modality that
fit the windows. With ``positive_other_group`` a positive never comes from the anchor's own
work (two clips of one piece would teach the network the piece, not its time). Anchors with no
fitting positive or negative are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from modeling.chronology.model import TRIPLET_KINDS


@dataclass(frozen=True)
class TripletWindows:
    """Years: a positive is within ``positive_within``, a negative ``negative_beyond`` or more."""

    positive_within: float = 10.0
    negative_beyond: float = 20.0

    def __post_init__(self) -> None:
        if self.positive_within < 0:
            raise ValueError("positive_within must be 0 or more years")
        if self.negative_beyond <= self.positive_within:
            raise ValueError(
                f"negative_beyond ({self.negative_beyond}) must exceed positive_within "
                f"({self.positive_within}): a work cannot be both"
            )


@dataclass(frozen=True)
class ModalityLabels:
    """What triplet sampling needs to know of one modality's items (all splits)."""

    years: np.ndarray
    groups: np.ndarray
    allowed: np.ndarray  # bool: items of the split being sampled


@dataclass
class Triplets:
    rows: np.ndarray  # [T, 3] int64: anchor, positive, negative (rows of each modality)
    kinds: np.ndarray  # [T] int64: index into TRIPLET_KINDS
    report: dict


def sample_triplets(
    labels: dict[str, ModalityLabels],
    *,
    kinds: Sequence[str],
    windows: TripletWindows = TripletWindows(),
    per_anchor: int = 8,
    positive_other_group: bool = True,
    seed: int = 0,
) -> Triplets:
    """``per_anchor`` triplets per allowed anchor of each kind, in a seeded random order."""
    rng = np.random.default_rng(seed)
    names = list(TRIPLET_KINDS)
    rows, codes, report = [], [], {}
    for kind in kinds:
        if kind not in TRIPLET_KINDS:
            raise ValueError(f"unknown triplet kind {kind!r}; choose from {names}")
        anchor_mod, positive_mod, negative_mod = TRIPLET_KINDS[kind]
        missing = {anchor_mod, positive_mod} - set(labels)
        if missing:
            raise ValueError(f"{kind} triplets need {sorted(missing)[0]} items, and there are none")
        found, counts = _kind_triplets(
            labels[anchor_mod],
            labels[positive_mod],
            same_modality=anchor_mod == positive_mod,
            windows=windows,
            per_anchor=per_anchor,
            positive_other_group=positive_other_group,
            rng=rng,
        )
        assert positive_mod == negative_mod  # every kind draws both from one modality
        rows.append(found)
        codes.append(np.full(len(found), names.index(kind), dtype=np.int64))
        report[kind] = counts
    table = np.concatenate(rows) if rows else np.zeros((0, 3), dtype=np.int64)
    kind_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
    order = rng.permutation(len(table))
    return Triplets(rows=table[order], kinds=kind_codes[order], report=report)


def _kind_triplets(
    anchors: ModalityLabels,
    targets: ModalityLabels,
    *,
    same_modality: bool,
    windows: TripletWindows,
    per_anchor: int,
    positive_other_group: bool,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict]:
    target_rows = np.flatnonzero(targets.allowed)
    target_years = targets.years[target_rows]
    target_groups = targets.groups[target_rows]
    found = []
    counts = {"anchors": 0, "no_positive": 0, "no_negative": 0, "triplets": 0}
    for anchor in np.flatnonzero(anchors.allowed):
        counts["anchors"] += 1
        gap = np.abs(target_years - anchors.years[anchor])
        positive = gap <= windows.positive_within
        if same_modality:
            positive &= target_rows != anchor
        if positive_other_group:
            positive &= target_groups != anchors.groups[anchor]
        negative = gap >= windows.negative_beyond
        if not positive.any():
            counts["no_positive"] += 1
            continue
        if not negative.any():
            counts["no_negative"] += 1
            continue
        chosen_positive = rng.choice(target_rows[positive], size=per_anchor)
        chosen_negative = rng.choice(target_rows[negative], size=per_anchor)
        found.append(
            np.stack([np.full(per_anchor, anchor), chosen_positive, chosen_negative], axis=1)
        )
    table = np.concatenate(found).astype(np.int64) if found else np.zeros((0, 3), dtype=np.int64)
    counts["triplets"] = len(table)
    return table, counts
