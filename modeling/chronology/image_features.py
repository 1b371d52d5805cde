"""Image features for the chronological embedding: colour, edges and texture (no network).

``image_features(rgb)`` gives 49 numbers per image (names in ``IMAGE_FEATURE_NAMES``):

- colour: RGB mean and sd, a hue histogram weighted by saturation (12 bins), saturation and
  value mean and sd, colourfulness (Hasler & Suesstrunk 2003);
- edges: Sobel gradient magnitude mean and sd, edge density, gradient orientations (8 bins
  weighted by magnitude);
- texture: uniform local binary patterns (8 neighbours, radius 1: 10 bins), grey-level
  co-occurrence contrast, homogeneity, energy and correlation (distance 1, four angles), and
  the share of spectral energy at high spatial frequencies.

Images are read with Pillow and resized to ``FEATURE_SIZE`` squared first, so the numbers do
not depend on the file's resolution. ``image_pixels`` gives the small CNN's input instead, and
``modeling.chronology.backbone`` a pretrained network's features where weights are on disk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FEATURE_SIZE = 128
PIXEL_SIZE = 64
HUE_BINS = 12
ORIENTATION_BINS = 8
EDGE_THRESHOLD = 0.1

IMAGE_FEATURE_NAMES: tuple[str, ...] = (
    *(f"rgb_mean_{c}" for c in "rgb"),
    *(f"rgb_sd_{c}" for c in "rgb"),
    *(f"hue_{i}" for i in range(HUE_BINS)),
    "saturation_mean",
    "saturation_sd",
    "value_mean",
    "value_sd",
    "colourfulness",
    "gradient_mean",
    "gradient_sd",
    "edge_density",
    *(f"orientation_{i}" for i in range(ORIENTATION_BINS)),
    *(f"lbp_{i}" for i in range(10)),
    "glcm_contrast",
    "glcm_homogeneity",
    "glcm_energy",
    "glcm_correlation",
    "high_frequency_share",
)


def load_image(path: Path | str, *, size: int = FEATURE_SIZE) -> np.ndarray:
    """An image file as [size, size, 3] floats in [0, 1] (RGB; the aspect ratio is not kept)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
    except (OSError, UnidentifiedImageError) as error:
        raise ValueError(f"{Path(path).name} is not a readable image ({error}).") from error
    return np.asarray(rgb, dtype=np.float32) / 255.0


def resize_rgb(rgb: np.ndarray, size: int) -> np.ndarray:
    """[H, W, 3] floats in [0, 1] -> [size, size, 3] (bilinear)."""
    from PIL import Image

    image = Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8))
    resized = image.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32) / 255.0


def image_pixels(rgb: np.ndarray, *, size: int = PIXEL_SIZE) -> np.ndarray:
    """The small CNN's input: [3, size, size] float32 in [0, 1]."""
    return resize_rgb(rgb, size).transpose(2, 0, 1).astype(np.float32)


def image_features(rgb: np.ndarray) -> np.ndarray:
    """The 49 colour, edge and texture features of an [H, W, 3] image in [0, 1], float32."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"an image must be [height, width, 3], got {list(rgb.shape)}.")
    if rgb.shape[:2] != (FEATURE_SIZE, FEATURE_SIZE):
        rgb = resize_rgb(rgb, FEATURE_SIZE)
    grey = rgb @ np.array([0.299, 0.587, 0.114])
    values = np.concatenate(
        [colour_features(rgb), edge_features(grey), texture_features(grey)]
    ).astype(np.float32)
    if len(values) != len(IMAGE_FEATURE_NAMES):
        raise AssertionError(f"{len(values)} image features, {len(IMAGE_FEATURE_NAMES)} names")
    return values


def image_file_features(path: Path | str) -> np.ndarray:
    """The 49 features of one image file."""
    return image_features(load_image(path))


def colour_features(rgb: np.ndarray) -> np.ndarray:
    hue, saturation, value = rgb_to_hsv(rgb)
    hues = np.bincount(
        np.minimum((hue * HUE_BINS).astype(int), HUE_BINS - 1).ravel(),
        weights=saturation.ravel(),
        minlength=HUE_BINS,
    )
    hues = hues / max(hues.sum(), 1e-9)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg, yb = r - g, (r + g) / 2 - b
    colourfulness = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    return np.concatenate(
        [
            rgb.reshape(-1, 3).mean(0),
            rgb.reshape(-1, 3).std(0),
            hues,
            [saturation.mean(), saturation.std(), value.mean(), value.std(), colourfulness],
        ]
    )


def rgb_to_hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in [0, 1), saturation and value in [0, 1]."""
    maximum, minimum = rgb.max(-1), rgb.min(-1)
    delta = maximum - minimum
    safe = np.where(delta > 0, delta, 1.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(
        maximum == r,
        ((g - b) / safe) % 6,
        np.where(maximum == g, (b - r) / safe + 2, (r - g) / safe + 4),
    )
    hue = np.where(delta > 0, hue / 6.0, 0.0) % 1.0
    saturation = np.where(maximum > 0, delta / np.where(maximum > 0, maximum, 1.0), 0.0)
    return hue, saturation, maximum


def sobel(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    padded = np.pad(grey, 1, mode="edge")

    def shifted(dy, dx):
        return padded[1 + dy : padded.shape[0] - 1 + dy, 1 + dx : padded.shape[1] - 1 + dx]

    gx = (shifted(-1, 1) + 2 * shifted(0, 1) + shifted(1, 1)) - (
        shifted(-1, -1) + 2 * shifted(0, -1) + shifted(1, -1)
    )
    gy = (shifted(1, -1) + 2 * shifted(1, 0) + shifted(1, 1)) - (
        shifted(-1, -1) + 2 * shifted(-1, 0) + shifted(-1, 1)
    )
    return gx / 4.0, gy / 4.0


def edge_features(grey: np.ndarray) -> np.ndarray:
    gx, gy = sobel(grey)
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)  # orientation, not direction
    bins = np.minimum((angle / np.pi * ORIENTATION_BINS).astype(int), ORIENTATION_BINS - 1)
    orientations = np.bincount(bins.ravel(), weights=magnitude.ravel(), minlength=ORIENTATION_BINS)
    orientations = orientations / max(orientations.sum(), 1e-9)
    return np.concatenate(
        [
            [magnitude.mean(), magnitude.std(), (magnitude > EDGE_THRESHOLD).mean()],
            orientations,
        ]
    )


def texture_features(grey: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [uniform_lbp_histogram(grey), glcm_features(grey), [high_frequency(grey)]]
    )


def uniform_lbp_histogram(grey: np.ndarray) -> np.ndarray:
    """Rotation-invariant uniform LBP codes (0..8 ones in a uniform circle, 9 = not uniform)."""
    padded = np.pad(grey, 1, mode="edge")
    centre = padded[1:-1, 1:-1]
    offsets = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    h, w = grey.shape
    bits = np.stack(
        [padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] >= centre for dy, dx in offsets]
    ).astype(int)
    transitions = np.abs(np.diff(np.concatenate([bits, bits[:1]]), axis=0)).sum(0)
    codes = np.where(transitions <= 2, bits.sum(0), 9)
    histogram = np.bincount(codes.ravel(), minlength=10).astype(float)
    return histogram / histogram.sum()


def glcm_features(grey: np.ndarray, *, levels: int = 32) -> np.ndarray:
    from skimage.feature import graycomatrix, graycoprops

    quantised = np.minimum((grey * levels).astype(np.uint8), levels - 1)
    matrix = graycomatrix(
        quantised, [1], [0, np.pi / 4, np.pi / 2, 3 * np.pi / 4], levels=levels, normed=True
    )
    values = [graycoprops(matrix, name).mean() for name in ("contrast", "homogeneity", "energy")]
    correlation = np.nan_to_num(graycoprops(matrix, "correlation"), nan=1.0).mean()
    return np.array([values[0] / levels**2 * 16, values[1], values[2], correlation])


def high_frequency(grey: np.ndarray) -> float:
    """Share of the (mean-removed) spectral energy above a quarter of the Nyquist frequency."""
    spectrum = np.abs(np.fft.fft2(grey - grey.mean())) ** 2
    fy = np.fft.fftfreq(grey.shape[0])[:, None]
    fx = np.fft.fftfreq(grey.shape[1])[None, :]
    high = np.hypot(fy, fx) > 0.125
    total = spectrum.sum()
    return float(spectrum[high].sum() / total) if total > 0 else 0.0
