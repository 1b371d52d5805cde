"""Stimuli of the Vis2Mus user studies, Django-free: which anchors, the music the model makes
for them, and the clips and pictures participants get.

Two stages, as the study kinds run them (``studies/designs/vis2mus_*.py``):

- **model stage** (a ``gpu`` worker): ``choose_keys`` picks the anchors with the study's seed,
  ``load_vis2mus`` loads the checkpoint (a checkpoint of another family is refused), and
  ``transformation_pieces`` / ``fused_pieces`` decode the music. The results are plain JSON
  values: anchor keys and decoded pieces as note lists (``notes_of``), so they can be stored
  on the generation job;
- **build stage** (a ``cpu`` worker): ``clip_files`` renders a note list as an audio clip and
  MIDI, ``picture_file`` / ``transformed_picture_file`` / ``fused_picture_file`` make the
  pictures (the style transfer runs here: it needs no model, only CPU time).

Every refusal is a ``StimulusError`` whose message is one sentence for the researcher.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np

from modeling.vis2mus.anchors import (
    AnchorError,
    MusicAnchor,
    image_anchor,
    image_anchors,
    music_anchor,
    music_anchors,
)
from modeling.vis2mus.generate import anchor_problems

ROLL_SHAPE = (32, 128)
PICTURE_ROLES = ("photo", "sketch")
ROLE_NAMES = {
    "photo": "a photo",
    "sketch": "a sketch",
    "texture": "a texture",
    "melody": "a melody",
    "accompaniment": "an accompaniment",
}
DIRECTIONS = ("plus", "minus")  # the strength +a and its opposite -a


class StimulusError(ValueError):
    """Stimuli that cannot be made; the message is one sentence for the researcher."""


# ----- pieces as JSON values -------------------------------------------------------------------


def notes_of(roll: np.ndarray) -> list[list[int]]:
    """A texture roll [32, 128] as [[onset step, pitch, duration in steps], ...]."""
    onsets, pitches = np.nonzero(np.asarray(roll))
    return [[int(o), int(p), int(roll[o, p])] for o, p in zip(onsets, pitches, strict=True)]


def roll_of(notes: list[list[int]]) -> np.ndarray:
    roll = np.zeros(ROLL_SHAPE, dtype=np.uint8)
    for onset, pitch, duration in notes:
        roll[onset, pitch] = duration
    return roll


# ----- anchors ---------------------------------------------------------------------------------


def anchor_key_problems(keys, *, role: str, parameter: str, count: int) -> list[str]:
    """Why ``keys`` (a researcher's list) cannot be the ``count`` anchors of ``role``, one
    sentence each; [] when they can."""
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        return [f"{parameter} must be a list of {count} anchor keys like '{role}/...'."]
    problems = []
    if len(keys) != count:
        problems.append(f"{parameter} must name {count} anchors, not {len(keys)}.")
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        problems.append(f"{parameter} names {', '.join(repeated)} more than once.")
    for key in dict.fromkeys(keys):
        try:
            checked_anchor(key, role=role)
        except StimulusError as error:
            problems.append(str(error))
    return problems


def checked_anchor(key: str, *, role: str):
    """The anchor ``key`` if it exists, has the ``role`` and (music) can be transformed."""
    try:
        anchor = image_anchor(key) if role in PICTURE_ROLES else music_anchor(key)
    except AnchorError as error:
        raise StimulusError(sentence(str(error))) from error
    if anchor.role != role:
        wanted = f"{role} anchors are wanted here"
        raise StimulusError(f"{key!r} is {ROLE_NAMES[anchor.role]}; {wanted}.")
    if role not in PICTURE_ROLES:
        problems = anchor_problems(anchor.roll, anchor.chords)
        if problems:
            raise StimulusError(f"The music anchor {key!r} cannot be used: {problems[0]}.")
    return anchor


def choose_keys(*, role: str, count: int, given: list[str] | None, rng: random.Random) -> list[str]:
    """The researcher's keys, checked, or ``count`` usable anchors of ``role`` drawn by ``rng``."""
    if given is not None:
        problems = anchor_key_problems(
            given, role=role, parameter=f"the {role} anchors", count=count
        )
        if problems:
            raise StimulusError(problems[0])
        return list(given)
    anchors = image_anchors(role) if role in PICTURE_ROLES else music_anchors(role)
    usable = [anchor.key for anchor in anchors if usable_anchor(anchor)]
    if len(usable) < count:
        raise StimulusError(f"Only {len(usable)} {role} anchors can be used; {count} are needed.")
    return rng.sample(usable, count)


def usable_anchor(anchor) -> bool:
    return not isinstance(anchor, MusicAnchor) or not anchor_problems(anchor.roll, anchor.chords)


def sentence(text: str) -> str:
    return text if text.endswith(".") else f"{text}."


# ----- the model stage -------------------------------------------------------------------------


def load_vis2mus(path: Path | str, *, device: str = "cpu"):
    """The chord/texture VAE of a checkpoint, in eval mode; another family's is refused."""
    from modeling.checkpoint_io import CheckpointError, build_model, load_checkpoint

    name = Path(path).name
    try:
        checkpoint = load_checkpoint(path, expected_kind=None)
    except CheckpointError as error:
        raise StimulusError(f"The checkpoint {name} cannot be read ({error}).") from error
    if checkpoint.kind != "vis2mus":
        raise StimulusError(
            f"The checkpoint {name} holds a {checkpoint.kind!r} model, not a Vis2Mus "
            "chord/texture VAE."
        )
    model = build_model(checkpoint.kind, checkpoint.config)
    model.load_state_dict(checkpoint.model_state)
    return model.to(device).eval()


def transformation_pieces(model, keys: list[str], *, name: str, strength: float) -> list[dict]:
    """For each texture anchor: its reconstruction and the music after ``name`` at +strength
    ("plus") and -strength ("minus") on the feature map, as note lists.

    The reconstruction (strength 0, through the same feature map) is the anchor clip the
    participants hear, so the reference and the two options differ only by the
    transformation, not by what the model cannot reproduce."""
    from modeling.vis2mus.generate import transformed

    anchors = [checked_anchor(key, role="texture") for key in keys]
    decoded = transformed(
        model,
        np.stack([anchor.roll for anchor in anchors]),
        np.stack([anchor.chords for anchor in anchors]),
        name=name,
        strengths=(0.0, strength, -strength),
    )
    shown = {
        "reconstruction": "reconstruction",
        "plus": f"+{strength:g}",
        "minus": f"-{strength:g}",
    }
    pieces = []
    for anchor, rolls in zip(anchors, decoded, strict=True):
        piece = {"music": anchor.key}
        for label, roll in zip(shown, rolls, strict=True):
            if not roll.any():
                raise StimulusError(
                    f"The model made silent music for {anchor.key} ({name} {shown[label]}); "
                    "choose other anchors or a better-trained checkpoint."
                )
            piece[label] = notes_of(roll)
        pieces.append(piece)
    return pieces


def fused_pieces(model, *, melodies: list[str], accompaniments: list[str]) -> dict[str, list]:
    """Every melody fused with every accompaniment (the accompaniment's texture over the
    melody's chords, the melody on top): {"<i>-<j>": notes of melody i with accompaniment j}."""
    from modeling.vis2mus.generate import fuse_with_melody

    melody_anchors = [checked_anchor(key, role="melody") for key in melodies]
    accompaniment_anchors = [checked_anchor(key, role="accompaniment") for key in accompaniments]
    fused = {}
    for i, melody in enumerate(melody_anchors):
        for j, accompaniment in enumerate(accompaniment_anchors):
            roll = fuse_with_melody(
                model,
                melody=melody.roll,
                melody_chords=melody.chords,
                accompaniment=accompaniment.roll,
            )
            fused[f"{i}-{j}"] = notes_of(roll)
    return fused


# ----- the build stage -------------------------------------------------------------------------


def clip_files(notes: list[list[int]]) -> tuple[bytes, bytes]:
    """(FLAC clip, MIDI file) of a piece."""
    from modeling.vis2mus.media import roll_clip

    try:
        return roll_clip(roll_of(notes))
    except ValueError as error:
        raise StimulusError(sentence(str(error).capitalize())) from error


def anchor_notes(key: str) -> list[list[int]]:
    """A music anchor as it is (a melody or an accompaniment), as a note list."""
    return notes_of(music_anchor(key).roll)


def picture_file(key: str) -> bytes:
    from modeling.vis2mus.media import picture_png

    return picture_png(image_anchor(key).pixels())


def transformed_picture_file(key: str, name: str, strength: float) -> bytes:
    from modeling.vis2mus.media import picture_png, transformed_picture

    return picture_png(transformed_picture(image_anchor(key).pixels(), name, strength))


def fused_picture_file(sketch_key: str, style_key: str, *, iterations: int, seed: int = 0) -> bytes:
    """The sketch in the colours and textures of the style picture (no pretrained network)."""
    from modeling.vis2mus.media import picture_png
    from modeling.vis2mus.style import style_transfer_image

    pixels = style_transfer_image(
        image_anchor(sketch_key).pixels(),
        image_anchor(style_key).pixels(),
        iterations=iterations,
        seed=seed,
    )
    return picture_png(pixels)


def title_of(key: str) -> str:
    """What a picture shows, for alt texts (the anchor's title)."""
    return image_anchor(key).title
