"""A picture descriptor that needs no pretrained network: colour, brightness and edge statistics.

The dissertation fed Inception-V3 features (1024-d) to Cluster-CCA. No such weights exist
offline, so the retrieval family describes a picture by 41 numbers anyone can recompute
(``DESCRIPTOR_BLOCKS``); a researcher with real features may train on those instead (the model
takes any picture-feature width). The picture is first squashed to 64 x 64 pixels.

| block | size | what |
|---|---|---|
| hue | 12 | histogram of hue (30-degree bins), each pixel weighted by saturation x value |
| sat_val | 4 | mean and spread of saturation and of value (HSV) |
| value_hist | 8 | histogram of value (brightness), 8 equal bins |
| rgb | 6 | mean and spread of red, green, blue |
| edges | 2 | mean and spread of the Sobel gradient magnitude of the grey picture |
| orientation | 8 | histogram of gradient orientation (0-180 degrees), weighted by magnitude |
| corners | 1 | Harris corner peaks per 1,000 pixels (sharp points make many) |
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from modeling.affect.inputs import picture_array

DESCRIPTOR_SIZE = 64
DESCRIPTOR_BLOCKS: tuple[tuple[str, int], ...] = (
    ("hue", 12),
    ("sat_val", 4),
    ("value_hist", 8),
    ("rgb", 6),
    ("edges", 2),
    ("orientation", 8),
    ("corners", 1),
)
DESCRIPTOR_DIM = sum(size for _, size in DESCRIPTOR_BLOCKS)  # 41


def descriptor_slices() -> dict[str, slice]:
    """Where each block lies in the 41-d descriptor (hue 0:12, sat_val 12:16, ...)."""
    slices, start = {}, 0
    for name, size in DESCRIPTOR_BLOCKS:
        slices[name] = slice(start, start + size)
        start += size
    return slices


def _histogram(values: np.ndarray, *, bins: int, low: float, high: float, weights=None):
    counts, _ = np.histogram(values, bins=bins, range=(low, high), weights=weights)
    total = counts.sum()
    return counts / total if total > 0 else counts.astype(np.float64)


def image_descriptor(picture) -> np.ndarray:
    """The 41-d descriptor (float32) of a picture (path, PIL image or [H, W, 3] array)."""
    from skimage.color import rgb2gray, rgb2hsv
    from skimage.feature import corner_harris, corner_peaks
    from skimage.filters import sobel_h, sobel_v

    array = picture_array(picture)
    if array.shape[:2] != (DESCRIPTOR_SIZE, DESCRIPTOR_SIZE):
        resized = Image.fromarray(array).resize(
            (DESCRIPTOR_SIZE, DESCRIPTOR_SIZE), Image.Resampling.LANCZOS
        )
        array = np.asarray(resized)
    rgb = array.astype(np.float64) / 255.0
    hue, saturation, value = np.moveaxis(rgb2hsv(rgb), 2, 0)
    grey = rgb2gray(rgb)
    dy, dx = sobel_h(grey), sobel_v(grey)
    magnitude = np.hypot(dx, dy)
    orientation = np.mod(np.degrees(np.arctan2(dy, dx)), 180.0)
    corners = corner_peaks(corner_harris(grey), min_distance=2, threshold_rel=0.05)
    parts = [
        _histogram(hue, bins=12, low=0.0, high=1.0, weights=saturation * value),
        [saturation.mean(), saturation.std(), value.mean(), value.std()],
        _histogram(value, bins=8, low=0.0, high=1.0),
        rgb.reshape(-1, 3).mean(0),
        rgb.reshape(-1, 3).std(0),
        [magnitude.mean(), magnitude.std()],
        _histogram(orientation, bins=8, low=0.0, high=180.0, weights=magnitude),
        [1000.0 * len(corners) / grey.size],
    ]
    return np.concatenate([np.ravel(part) for part in parts]).astype(np.float32)


def image_descriptors(pictures) -> np.ndarray:
    """[N, 41] descriptors of many pictures."""
    rows = [image_descriptor(picture) for picture in pictures]
    return np.stack(rows) if rows else np.zeros((0, DESCRIPTOR_DIM), dtype=np.float32)
