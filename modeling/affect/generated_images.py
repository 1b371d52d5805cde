"""Drawn pictures for the generated affect set: warm or cool palettes, bright or dark, with
smooth (round) or jagged (spiked) shapes.

A picture is a background with a gentle vertical gradient and two to five shapes. Its *cues*
(palette, brightness, shapes) are set by its emotion class (``modeling.affect.generated
.PLANTED``); the rest is drawn from the picture's own seed and is the same for every class:
the exact hues within the palette, the saturation, the number, size, place and rotation of the
shapes. ``draw_image(cues, seed, size)`` is deterministic. Shapes are drawn at four times the
size and reduced (anti-aliased).
"""

from __future__ import annotations

import colorsys
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image, ImageDraw

# Hue ranges in degrees: warm = reds, oranges, yellows; cool = cyans, blues, violets.
HUES = {"warm": (0.0, 55.0), "cool": (170.0, 260.0)}
# (background value range, shape value range) in HSV.
VALUES = {"bright": ((0.82, 1.0), (0.6, 0.95)), "dark": ((0.06, 0.22), (0.22, 0.45))}
SHAPES = ("smooth", "jagged")
SUPERSAMPLE = 4


@dataclass(frozen=True)
class ImageCues:
    """The planted visual cues of one picture."""

    palette: str  # "warm" | "cool"
    brightness: str  # "bright" | "dark"
    shapes: str  # "smooth" | "jagged"

    def __post_init__(self) -> None:
        for name, allowed in (("palette", HUES), ("brightness", VALUES), ("shapes", SHAPES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {sorted(allowed)}")

    def to_dict(self) -> dict:
        return asdict(self)


def _colour(rng: np.random.Generator, *, palette: str, values: tuple, saturation: tuple):
    hue = rng.uniform(*HUES[palette]) / 360.0
    red, green, blue = colorsys.hsv_to_rgb(hue, rng.uniform(*saturation), rng.uniform(*values))
    return int(red * 255), int(green * 255), int(blue * 255)


def _spiked_polygon(rng: np.random.Generator, *, centre, radius: float) -> list[tuple]:
    """A star with 5 to 9 sharp points at a random rotation."""
    points = int(rng.integers(5, 10))
    angle0 = rng.uniform(0, 2 * np.pi)
    inner = rng.uniform(0.3, 0.5)
    corners = []
    for index in range(2 * points):
        angle = angle0 + index * np.pi / points
        r = radius * (1.0 if index % 2 == 0 else inner) * rng.uniform(0.85, 1.0)
        corners.append((centre[0] + r * np.cos(angle), centre[1] + r * np.sin(angle)))
    return corners


def draw_image(cues: ImageCues, *, seed: int, size: int = 32) -> np.ndarray:
    """The picture as uint8 [size, size, 3]."""
    rng = np.random.default_rng(seed)
    background_values, shape_values = VALUES[cues.brightness]
    big = size * SUPERSAMPLE
    top = _colour(rng, palette=cues.palette, values=background_values, saturation=(0.25, 0.55))
    bottom = _colour(rng, palette=cues.palette, values=background_values, saturation=(0.25, 0.55))
    ramp = np.linspace(0.0, 1.0, big)[:, None, None]
    gradient = (1 - ramp) * np.array(top) + ramp * np.array(bottom)
    canvas = Image.fromarray(np.broadcast_to(gradient, (big, big, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    for _ in range(int(rng.integers(2, 6))):
        fill = _colour(rng, palette=cues.palette, values=shape_values, saturation=(0.55, 0.95))
        centre = rng.uniform(0.15, 0.85, size=2) * big
        radius = rng.uniform(0.12, 0.3) * big
        if cues.shapes == "smooth":
            stretch = rng.uniform(0.6, 1.0)
            box = [centre[0] - radius, centre[1] - radius * stretch]
            box += [centre[0] + radius, centre[1] + radius * stretch]
            draw.ellipse(box, fill=fill)
        else:
            draw.polygon(_spiked_polygon(rng, centre=centre, radius=radius), fill=fill)
    small = canvas.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.uint8).copy()
