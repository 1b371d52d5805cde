"""What participants see and hear of Vis2Mus stimuli: texture rolls as audio clips (and MIDI),
pictures as PNG, and pictures transformed the way the music is (eq. 1 and 2 per colour
channel). Django-free; no model needed."""

from __future__ import annotations

import io

import numpy as np

from modeling.vis2mus.generate import STEP_SECONDS, roll_midi

SEGMENT_SECONDS = 32 * STEP_SECONDS  # 2 bars of 16ths at 100 quarter notes per minute


def roll_clip(roll: np.ndarray, *, format: str = "flac") -> tuple[bytes, bytes]:
    """(audio file, MIDI file) of a 2-bar texture roll [32, 128], piano, loudness-normalised,
    padded or cut to the two bars plus a short release."""
    from modeling.render import clip_files

    roll = np.asarray(roll)
    if not roll.any():
        raise ValueError("the music is silent: there is no note to play")
    return clip_files(roll_midi(roll), length_s=SEGMENT_SECONDS, format=format)


def picture_png(pixels: np.ndarray) -> bytes:
    """Float RGB [H, W, 3] (values clipped to [0, 1]) -> PNG bytes."""
    from PIL import Image

    array = (np.clip(np.asarray(pixels, dtype=np.float64), 0, 1) * 255).round().astype(np.uint8)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"a picture is [H, W, 3], got shape {array.shape}")
    buffer = io.BytesIO()
    Image.fromarray(array, mode="RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def transformed_picture(pixels: np.ndarray, name: str, a: float) -> np.ndarray:
    """The picture after ``name`` ("brightness" / "contrast") at strength ``a``, per colour
    channel as on the feature map, clipped to [0, 1] for showing: float RGB [H, W, 3]."""
    from modeling.vis2mus.transforms import as_display_image, transform

    channels_first = np.asarray(pixels, dtype=np.float32).transpose(2, 0, 1)
    return as_display_image(transform(channels_first, name, a)).astype(np.float32) / 255.0
