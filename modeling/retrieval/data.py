"""Retrieval data from an affect set: clip vectors, picture descriptors, labels, by split.

Training batches hold rows of (clip, picture, label). A paired set (the generated one) gives one
row per item; an unpaired one pairs every clip with a picture of its class drawn at random
(seeded), which changes nothing for the triplet loss, whose triplets are drawn across the
whole batch by label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modeling.affect.generated import SPLITS, AffectSet
from modeling.retrieval.image_features import image_descriptors


@dataclass
class RetrievalSplit:
    """One split's clips and pictures, each with its labels (not necessarily paired)."""

    music: np.ndarray
    music_labels: np.ndarray
    images: np.ndarray  # picture feature vectors
    image_labels: np.ndarray


def picture_features(affect: AffectSet) -> np.ndarray:
    """The 41-d descriptor of every picture of the set."""
    return image_descriptors(affect.images)


def retrieval_split(affect: AffectSet, features: np.ndarray, split: str) -> RetrievalSplit:
    code = SPLITS.index(split)
    music_rows = affect.music_split == code
    image_rows = affect.image_split == code
    return RetrievalSplit(
        music=affect.music[music_rows],
        music_labels=affect.music_labels[music_rows],
        images=features[image_rows],
        image_labels=affect.image_labels[image_rows],
    )


def training_rows(
    part: RetrievalSplit, *, paired: bool, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(clip vectors, picture features, labels), one row per training pair."""
    if paired:
        return part.music, part.images, part.music_labels
    rng = np.random.default_rng(seed)
    pictures = []
    for label in part.music_labels:
        candidates = np.flatnonzero(part.image_labels == label)
        if not len(candidates):
            raise ValueError("Every clip's class needs at least one training picture.")
        pictures.append(rng.choice(candidates))
    return part.music, part.images[np.asarray(pictures, dtype=np.int64)], part.music_labels
