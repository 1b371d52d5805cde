"""Stimulus selection picks the most distant classes and their most typical images."""

import numpy as np
import pytest

from modeling.synvae.selection import most_distant_classes, select_stimuli


def constructed_latents():
    """Five classes, each a tight cluster of four points; d sits off the a-e line."""
    rng = np.random.default_rng(0)
    centres = {"a": (0, 0), "b": (1, 0), "c": (2, 0), "d": (10, 10), "e": (20, 0)}
    latents, labels = [], []
    for label, (x, y) in centres.items():
        for _ in range(4):
            latents.append([x + rng.normal(0, 0.05), y + rng.normal(0, 0.05)])
            labels.append(label)
    return np.array(latents), np.array(labels)


def test_the_three_classes_farthest_apart_are_chosen():
    latents, labels = constructed_latents()
    selection = select_stimuli(latents, labels, n_classes=3)
    # a-d-e: 14.1 + 14.1 + 20 = 48.3 beats every other triple (a-b-e: 40, b-d-e: 46.6).
    assert [str(label) for label in selection.classes] == ["a", "d", "e"]
    assert selection.centroid_distance_sum == pytest.approx(20 + 2 * np.hypot(10, 10), abs=0.2)


def test_images_are_ordered_by_closeness_to_their_centroid():
    latents, labels = constructed_latents()
    selection = select_stimuli(latents, labels)
    for label in selection.classes:
        members = selection.nearest[label]
        assert set(labels[members]) == {label}
        centroid = latents[labels == label].mean(axis=0)
        distances = np.linalg.norm(latents[members] - centroid, axis=1)
        assert list(distances) == sorted(distances)


def test_kmeans_finds_well_separated_groups_without_labels():
    latents, labels = constructed_latents()
    keep = np.isin(labels, ["a", "d", "e"])
    latents, labels = latents[keep], labels[keep]
    selection = select_stimuli(latents, labels, method="kmeans", seed=1)
    groups = [set(labels[selection.nearest[k]]) for k in selection.classes]
    assert sorted(next(iter(g)) for g in groups) == ["a", "d", "e"]


def test_too_few_classes_is_a_clear_error():
    with pytest.raises(ValueError, match="need at least 3 classes, the data has 2"):
        most_distant_classes({"x": np.zeros(2), "y": np.ones(2)}, n=3)
