"""What the affect models take in: pictures as float tensors, clips as 193-d vectors.

Used by training and inference alike (no training code here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from modeling.affect.features import FEATURE_DIM, music_features_file


def picture_array(picture) -> np.ndarray:
    """uint8 [H, W, 3] from an image file path, a PIL image or an array (grey, RGB or RGBA)."""
    if isinstance(picture, str | Path):
        with Image.open(picture) as opened:
            return np.asarray(opened.convert("RGB"))
    if isinstance(picture, Image.Image):
        return np.asarray(picture.convert("RGB"))
    array = np.asarray(picture)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0.0, 1.0) * 255).round().astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise ValueError(f"Expected a picture of shape [H, W, 3], got {array.shape}.")
    return array[..., :3]


def images_tensor(pictures, *, size: int) -> torch.Tensor:
    """Float [N, 3, size, size] in [0, 1]: each picture squashed to a square of ``size`` pixels
    (Lanczos when the size changes)."""
    arrays = []
    for picture in pictures:
        array = picture_array(picture)
        if array.shape[:2] != (size, size):
            resized = Image.fromarray(array).resize((size, size), Image.Resampling.LANCZOS)
            array = np.asarray(resized)
        arrays.append(array)
    if not arrays:
        return torch.zeros(0, 3, size, size)
    stacked = np.stack(arrays).astype(np.float32) / 255.0
    return torch.from_numpy(stacked).permute(0, 3, 1, 2).contiguous()


def clip_vector(clip) -> np.ndarray:
    """A clip's 193-d vector: given as the vector itself, or as an audio file to compute it from."""
    if isinstance(clip, str | Path):
        return music_features_file(clip)
    vector = np.asarray(clip, dtype=np.float32)
    if vector.shape != (FEATURE_DIM,):
        raise ValueError(f"Expected a 193-d clip vector, got shape {vector.shape}.")
    return vector


def clips_tensor(clips) -> torch.Tensor:
    vectors = [clip_vector(clip) for clip in clips]
    if not vectors:
        return torch.zeros(0, FEATURE_DIM)
    return torch.from_numpy(np.stack(vectors))
