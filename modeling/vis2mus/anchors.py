"""Anchors for the Vis2Mus studies and the browser tool: pictures and 2-bar music segments that
exist offline, each saying what it is.

**Pictures** come from scikit-image's bundled sample data (public-domain or CC0 photographs;
each anchor's ``source`` names the file and its licence note). They are centre-cropped to a
square and resized to ``IMAGE_SIZE``:

- ``photo/<name>``: photographs and textures, the image anchors of the brightness and contrast
  tests and the style images of the style test;
- ``sketch/<name>``: line drawings made from a photograph (Sobel edges, dark lines on white),
  the sketches of the style test.

**Music** comes from the held-out (validation) split of the chord/texture VAE's corpus, chosen
once with a seed and committed as ``anchor_segments.npz`` (``python -m modeling.vis2mus
anchors`` rebuilds it), so a study never needs the corpus:

- ``texture/<n>``: accompaniment textures (Bach and generated), the music anchors of the
  brightness and contrast tests;
- ``melody/<n>``: the top voice of a held-out Bach segment with that segment's chords;
- ``accompaniment/<n>``: held-out generated accompaniments (block chords, arpeggios, Alberti
  bass, ...), the accompaniments of the style test.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMAGE_SIZE = 128
ANCHOR_FILE = Path(__file__).with_name("anchor_segments.npz")
MUSIC_ROLES = ("texture", "melody", "accompaniment")
IMAGE_ROLES = ("photo", "sketch")
MIN_ONSETS = {"texture": 8, "melody": 6, "accompaniment": 8}

# name -> (scikit-image loader, title, licence note from scikit-image's documentation)
PHOTOS = {
    "astronaut": ("astronaut", "An astronaut", "NASA, public domain"),
    "cat": ("chelsea", "A cat", "CC0, Stefan van der Walt"),
    "coffee": ("coffee", "A cup of coffee", "CC0, Rachel Michetti"),
    "rocket": ("rocket", "A rocket at launch", "SpaceX, public domain"),
    "galaxies": ("hubble_deep_field", "Distant galaxies", "NASA, public domain"),
    "retina": ("retina", "A photograph of a retina", "CC0, Wikimedia Commons"),
    "stained-cells": ("immunohistochemistry", "Stained tissue", "no known restrictions"),
    "photographer": ("camera", "A photographer with a camera", "CC0, Lav Varshney"),
    "coins": ("coins", "Old coins", "no known restrictions"),
    "clock": ("clock", "A clock", "public domain, Stefan van der Walt"),
    "grass": ("grass", "Grass", "CC0"),
    "bricks": ("brick", "A brick wall", "CC0"),
}
SKETCHES = {
    "horse": ("horse", "A horse", "CC0, Andreas Preuss"),
    "photographer": ("camera", "A photographer with a camera", "CC0, Lav Varshney"),
    "clock": ("clock", "A clock", "public domain, Stefan van der Walt"),
    "coins": ("coins", "Old coins", "no known restrictions"),
    "cat": ("chelsea", "A cat", "CC0, Stefan van der Walt"),
    "astronaut": ("astronaut", "An astronaut", "NASA, public domain"),
}


class AnchorError(KeyError):
    """An anchor that does not exist; the message is one sentence for a page."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ImageAnchor:
    key: str  # "photo/coffee", "sketch/horse"
    role: str
    title: str
    source: str

    def pixels(self) -> np.ndarray:
        """Float RGB [IMAGE_SIZE, IMAGE_SIZE, 3] in [0, 1]."""
        return _image_pixels(self.key)


@dataclass(frozen=True)
class MusicAnchor:
    key: str  # "texture/3", "melody/0", "accompaniment/7"
    role: str
    title: str
    source: str
    roll: np.ndarray  # [32, 128] uint8 texture roll
    chords: np.ndarray  # [8, 36] uint8


# ----- pictures --------------------------------------------------------------------------------


def image_anchors(role: str) -> list[ImageAnchor]:
    if role not in IMAGE_ROLES:
        raise AnchorError(f"There are no {role!r} pictures; choose from {', '.join(IMAGE_ROLES)}.")
    table = PHOTOS if role == "photo" else SKETCHES
    return [
        ImageAnchor(
            key=f"{role}/{name}",
            role=role,
            title=title if role == "photo" else f"{title} (sketch)",
            source=f"scikit-image sample '{loader}' ({licence})"
            + ("; drawn as Sobel edges" if role == "sketch" else ""),
        )
        for name, (loader, title, licence) in table.items()
    ]


def image_anchor(key: str) -> ImageAnchor:
    role = key.split("/", 1)[0]
    for anchor in image_anchors(role) if role in IMAGE_ROLES else []:
        if anchor.key == key:
            return anchor
    raise AnchorError(f"There is no picture {key!r}.")


def square(image: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Any grey / RGB / RGBA image (uint8 or float) -> float RGB [size, size, 3] in [0, 1],
    centre-cropped to a square first."""
    from PIL import Image

    from modeling.vis2mus.style import as_rgb

    rgb = as_rgb(image)
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    cropped = (rgb[top : top + side, left : left + side] * 255).round().astype(np.uint8)
    resized = Image.fromarray(cropped).resize((size, size), Image.LANCZOS)
    return np.asarray(resized, dtype=np.float32) / 255.0


def sketch(image: np.ndarray) -> np.ndarray:
    """A line drawing of a picture: its strongest Sobel edges as dark lines on white (float
    RGB [H, W, 3])."""
    from skimage.color import rgb2gray
    from skimage.filters import gaussian, sobel

    edges = sobel(gaussian(rgb2gray(image), sigma=1.0))
    threshold = np.quantile(edges, 0.85)
    ink = np.clip((edges - threshold) / max(edges.max() - threshold, 1e-6), 0, 1) ** 0.5
    paper = 1.0 - ink
    return np.repeat(paper[:, :, None], 3, axis=2).astype(np.float32)


@functools.lru_cache(maxsize=32)
def _image_pixels(key: str) -> np.ndarray:
    import skimage.data

    role, name = key.split("/", 1)
    loader = (PHOTOS if role == "photo" else SKETCHES)[name][0]
    pixels = square(getattr(skimage.data, loader)())
    pixels = sketch(pixels) if role == "sketch" else pixels
    pixels.setflags(write=False)
    return pixels


# ----- music -----------------------------------------------------------------------------------


def music_anchors(role: str, *, path: Path | str = ANCHOR_FILE) -> list[MusicAnchor]:
    if role not in MUSIC_ROLES:
        raise AnchorError(f"There is no {role!r} music; choose from {', '.join(MUSIC_ROLES)}.")
    stored = _stored_segments(str(path))
    return [anchor for anchor in stored if anchor.role == role]


def music_anchor(key: str, *, path: Path | str = ANCHOR_FILE) -> MusicAnchor:
    for anchor in _stored_segments(str(path)):
        if anchor.key == key:
            return anchor
    raise AnchorError(f"There is no music anchor {key!r}.")


@functools.lru_cache(maxsize=4)
def _stored_segments(path: str) -> tuple[MusicAnchor, ...]:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        rolls, chords = data["rolls"], data["chords"]
    anchors = []
    for index, item in enumerate(meta["anchors"]):
        roll, chord = rolls[index].copy(), chords[index].copy()
        roll.setflags(write=False)
        chord.setflags(write=False)
        anchors.append(MusicAnchor(roll=roll, chords=chord, **item))
    return tuple(anchors)


def top_voice(roll: np.ndarray) -> np.ndarray:
    """The melody of a texture: the highest note starting at each onset step, held until the
    next such onset (at most its own duration)."""
    melody = np.zeros_like(roll)
    steps = [step for step in range(roll.shape[0]) if roll[step].any()]
    for step, following in zip(steps, [*steps[1:], roll.shape[0]], strict=True):
        pitch = int(np.flatnonzero(roll[step]).max())
        melody[step, pitch] = min(int(roll[step, pitch]), following - step)
    return melody


def onset_count(roll: np.ndarray) -> int:
    return int(np.asarray(roll).any(axis=1).sum())


def choose_anchor_segments(segments, *, per_role: int = 12, seed: int = 0) -> dict:
    """Pick the committed music anchors from a held-out SegmentSet: ``per_role`` of each role,
    every beat with a chord, at least ``MIN_ONSETS`` onset steps, one segment per work and
    role, and no generated work both a texture and an accompaniment.

    Returns {"rolls", "chords", "meta"} ready for ``np.savez``."""
    rng = np.random.default_rng(seed)
    full_chords = segments.chords[:, :, :12].any(axis=2).all(axis=1)
    candidates: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {r: [] for r in MUSIC_ROLES}
    seen: dict[str, set] = {r: set() for r in MUSIC_ROLES}
    for index in rng.permutation(len(segments)):
        work = segments.works[index] if segments.works else str(index)
        roll, chords = segments.rolls[index], segments.chords[index]
        if not full_chords[index]:
            continue
        generated = work.startswith("generated/")
        roles = ("texture", "accompaniment") if generated else ("texture", "melody")
        for role in roles:
            piece = top_voice(roll) if role == "melody" else roll
            used = seen[role] | (seen["texture"] | seen["accompaniment"] if generated else set())
            if work in used or onset_count(piece) < MIN_ONSETS[role]:
                continue
            if role == "texture" and _texture_share(candidates["texture"], generated, per_role):
                continue
            seen[role].add(work)
            candidates[role].append((work, piece, chords))
    return _anchor_arrays(candidates, per_role=per_role, seed=seed)


def _texture_share(chosen: list, generated: bool, per_role: int) -> bool:
    """Whether the texture anchors already hold their half of this source."""
    same = sum(1 for work, _, _ in chosen if work.startswith("generated/") == generated)
    return same >= per_role // 2 or len(chosen) >= per_role


def _anchor_arrays(candidates: dict, *, per_role: int, seed: int) -> dict:
    rolls, chords, meta = [], [], []
    for role in MUSIC_ROLES:
        chosen = candidates[role][:per_role]
        if len(chosen) < per_role:
            raise ValueError(f"only {len(chosen)} held-out segments can be {role} anchors")
        for number, (work, roll, chord) in enumerate(chosen):
            rolls.append(roll)
            chords.append(chord)
            meta.append(
                {
                    "key": f"{role}/{number}",
                    "role": role,
                    "title": f"{role.capitalize()} {number + 1}",
                    "source": f"held-out segment of {work}"
                    + (" (top voice)" if role == "melody" else ""),
                }
            )
    description = {"anchors": meta, "seed": seed, "per_role": per_role}
    return {
        "rolls": np.stack(rolls).astype(np.uint8),
        "chords": np.stack(chords).astype(np.uint8),
        "meta": np.array(json.dumps(description)),
    }


def write_anchor_segments(segments, *, path: Path | str = ANCHOR_FILE, **choice) -> Path:
    arrays = choose_anchor_segments(segments, **choice)
    np.savez_compressed(path, **arrays)
    _stored_segments.cache_clear()
    return Path(path)
