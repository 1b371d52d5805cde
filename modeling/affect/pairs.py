"""Picture-clip pairs for the correspondence task: true when both share an emotion class.

Training and held-out pairs are balanced (as many true as false), so chance is 0.5. A picture
and a clip are only paired within one split, so held-out pairs hold pictures and clips the
model never saw.
"""

from __future__ import annotations

import numpy as np

from modeling.affect.generated import SPLITS, AffectSet


def balanced_pairs(
    image_labels: np.ndarray,
    music_labels: np.ndarray,
    *,
    per_image: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every picture, ``per_image`` clips of its class and ``per_image`` of other classes,
    drawn at random: (picture rows, clip rows, target 1/0). Pictures whose class has no clip
    (or no other-class clip) are skipped."""
    images, clips, targets = [], [], []
    for row, label in enumerate(image_labels):
        same = np.flatnonzero(music_labels == label)
        other = np.flatnonzero(music_labels != label)
        if not len(same) or not len(other):
            continue
        images += [row] * (2 * per_image)
        clips += list(rng.choice(same, per_image)) + list(rng.choice(other, per_image))
        targets += [1] * per_image + [0] * per_image
    return (
        np.asarray(images, dtype=np.int64),
        np.asarray(clips, dtype=np.int64),
        np.asarray(targets, dtype=np.int64),
    )


def held_out_pairs(
    image_labels: np.ndarray, music_labels: np.ndarray, *, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every true (same-class) picture-clip combination and as many false ones drawn without
    replacement (all of them when there are fewer): (picture rows, clip rows, targets)."""
    same = image_labels[:, None] == music_labels[None, :]
    true_rows, true_cols = np.nonzero(same)
    false_rows, false_cols = np.nonzero(~same)
    rng = np.random.default_rng(seed)
    keep = rng.choice(len(false_rows), min(len(false_rows), len(true_rows)), replace=False)
    keep.sort()
    images = np.concatenate([true_rows, false_rows[keep]])
    clips = np.concatenate([true_cols, false_cols[keep]])
    targets = np.concatenate([np.ones(len(true_rows)), np.zeros(len(keep))]).astype(np.int64)
    return images.astype(np.int64), clips.astype(np.int64), targets


def split_rows(affect: AffectSet, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(picture rows, clip rows) of a split, as indices into the whole set."""
    code = SPLITS.index(split)
    return np.flatnonzero(affect.image_split == code), np.flatnonzero(affect.music_split == code)
