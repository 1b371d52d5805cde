"""Generated dated music and images, with or without a planted year signal (for tests and demos).

Nothing here is real music or art, and the descriptions say so. Each work gets a year drawn
uniformly from ``year_range`` and a *style year*: the same year when ``signal`` is on, an
independent draw when it is off. The style year, mapped to ``s`` in [0, 1], sets the generator:

- music (random walks in 2-4 parts): chromatic notes, leap sizes, rhythmic variety and the
  number of parts grow with ``s``;
- images (stripes on a gradient with noise): hue moves from warm browns to blues, saturation
  and the stripe frequency (edge density) grow with ``s``.

Every parameter also gets noise, so the signal is there to be learned, not read off one number.
"""

from __future__ import annotations

import numpy as np

from modeling.chronology.data import ChronologyData, ModalityItems, split_groups_by_period
from modeling.chronology.image_features import image_features, image_pixels
from modeling.chronology.music_features import score_features
from modeling.chronology.scores import NoteTable, cut_clips

DEFAULT_YEAR_RANGE = (1600.0, 1900.0)
_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_DURATIONS = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0])


def generated_piece(style: float, rng: np.random.Generator, *, onsets: int = 100) -> NoteTable:
    """A piece whose chromaticism, leaps, rhythm and texture follow ``style`` in [0, 1]."""
    style = float(np.clip(style + rng.normal(0, 0.08), 0, 1))
    parts = 2 + int(round(2 * style + rng.normal(0, 0.3)))
    parts = int(np.clip(parts, 2, 4))
    tonic = int(rng.integers(0, 12))
    rows = []
    for part in range(parts):
        pitch = 72 - 10 * part + int(rng.integers(-2, 3))
        time = 0.0
        for _ in range(onsets):
            varied = rng.random() < 0.1 + 0.6 * style
            duration = float(rng.choice(_DURATIONS)) if varied else 1.0
            rows.append((time, duration, pitch, part))
            time += duration
            step = int(round(rng.normal(0, 1.2 + 4.0 * style)))
            pitch = int(np.clip(pitch + step, 36 + 8 * (parts - part - 1), 90 - 8 * part))
            if rng.random() >= 0.05 + 0.45 * style:  # keep the key: snap to its scale
                degree = (pitch - tonic) % 12
                pitch += int(_MAJOR[np.argmin(np.abs(_MAJOR - degree))] - degree)
    return NoteTable.from_notes(rows)


def generated_image(style: float, rng: np.random.Generator, *, size: int = 48) -> np.ndarray:
    """An [size, size, 3] picture in [0, 1] whose colour and edges follow ``style``."""
    style = float(np.clip(style + rng.normal(0, 0.08), 0, 1))
    hue = 0.07 + 0.5 * style + rng.normal(0, 0.03)
    saturation = float(np.clip(0.25 + 0.55 * style + rng.normal(0, 0.05), 0, 1))
    frequency = 1.5 + 9.0 * style + rng.normal(0, 0.5)
    angle = rng.uniform(0, np.pi)
    y, x = np.mgrid[0:size, 0:size] / size
    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * frequency * (x * np.cos(angle) + y * np.sin(angle)))
    value = np.clip(0.35 + 0.3 * y + 0.25 * stripes + rng.normal(0, 0.05, (size, size)), 0, 1)
    return hsv_to_rgb(np.full_like(value, hue % 1.0), np.full_like(value, saturation), value)


def hsv_to_rgb(hue: np.ndarray, saturation: np.ndarray, value: np.ndarray) -> np.ndarray:
    sector = np.floor(hue * 6).astype(int) % 6
    fraction = hue * 6 - np.floor(hue * 6)
    p = value * (1 - saturation)
    q = value * (1 - fraction * saturation)
    t = value * (1 - (1 - fraction) * saturation)
    choices = [(value, t, p), (q, value, p), (p, value, t), (p, q, value), (t, p, value)]
    choices.append((value, p, q))
    rgb = np.zeros((*hue.shape, 3))
    for index, channels in enumerate(choices):
        mask = sector == index
        for channel in range(3):
            rgb[..., channel][mask] = channels[channel][mask]
    return rgb.astype(np.float32)


def planted_year_set(
    *,
    music_works: int = 60,
    image_works: int = 60,
    clips_per_work: int = 2,
    signal: bool = True,
    year_range: tuple[float, float] = DEFAULT_YEAR_RANGE,
    image_input: str = "features",
    pixel_size: int = 32,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> ChronologyData:
    """Generated music clips and images with years, split by work (see the module docstring)."""
    rng = np.random.default_rng(seed)
    low, high = year_range
    data = ChronologyData(
        description={
            "source": "generated (modeling.chronology.synthetic): not real music or art",
            "signal": "planted" if signal else "none (style drawn independently of the year)",
            "year_range": list(year_range),
            "seed": seed,
            "settings": {
                "music_works": music_works,
                "image_works": image_works,
                "clips_per_work": clips_per_work,
                "signal": signal,
                "image_input": image_input,
                "pixel_size": pixel_size,
                "year_range": list(year_range),
                "val_fraction": val_fraction,
                "test_fraction": test_fraction,
                "seed": seed,
            },
        }
    )
    split = dict(val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)
    if music_works:
        data.music = _music_items(music_works, clips_per_work, signal, low, high, rng, split)
    if image_works:
        data.image = _image_items(
            image_works, signal, low, high, rng, split, image_input, pixel_size
        )
    return data


def _style_and_year(signal: bool, low: float, high: float, rng) -> tuple[float, float]:
    year = float(rng.uniform(low, high))
    style_year = year if signal else float(rng.uniform(low, high))
    return (style_year - low) / (high - low), round(year)


def _music_items(works, clips_per_work, signal, low, high, rng, split) -> ModalityItems:
    rows = {"features": [], "years": [], "groups": [], "names": []}
    for work in range(works):
        style, year = _style_and_year(signal, low, high, rng)
        piece = generated_piece(style, rng, onsets=clips_per_work * 48 + 4)
        for index, clip in enumerate(cut_clips(piece, max_clips=clips_per_work)):
            rows["features"].append(score_features(clip))
            rows["years"].append(year)
            rows["groups"].append(f"generated-music-{work}")
            rows["names"].append(f"generated-music-{work}#{index}")
    return _items(rows, "generated music", split)


def _image_items(works, signal, low, high, rng, split, image_input, pixel_size) -> ModalityItems:
    rows = {"features": [], "years": [], "groups": [], "names": []}
    for work in range(works):
        style, year = _style_and_year(signal, low, high, rng)
        picture = generated_image(style, rng)
        pixels = image_input == "pixels"
        rows["features"].append(
            image_pixels(picture, size=pixel_size) if pixels else image_features(picture)
        )
        rows["years"].append(year)
        rows["groups"].append(f"generated-image-{work}")
        rows["names"].append(f"generated-image-{work}")
    return _items(rows, "generated images", split)


def _items(rows: dict, source: str, split: dict) -> ModalityItems:
    years = np.array(rows["years"], dtype=float)
    groups = np.array(rows["groups"])
    return ModalityItems(
        features=np.stack(rows["features"]),
        years=years,
        uncertainty=np.zeros(len(years)),
        groups=groups,
        sources=np.full(len(years), source),
        split=split_groups_by_period(groups, years, **split),
        names=np.array(rows["names"]),
    )
