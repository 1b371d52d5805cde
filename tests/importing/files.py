"""Small files in the exact formats researchers import, written by the tests."""

from __future__ import annotations

import csv
from pathlib import Path

import mido
import numpy as np
import soundfile
from PIL import Image


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_image(path: Path, *, size=(64, 48), colour=(200, 40, 40), format=None) -> Path:
    image = Image.new("RGB", size, colour)
    for x in range(0, size[0], 7):  # some structure, so different colours differ in bytes
        image.putpixel((x, x % size[1]), (x % 256, 255 - x % 256, 90))
    image.save(path, format=format)
    return path


def write_tone(path: Path, *, seconds: float, pitch_hz: float = 440.0, rate: int = 8000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    swell = 0.2 + 0.1 * t / seconds  # slowly louder, so no two clips are the same
    soundfile.write(path, swell * np.sin(2 * np.pi * pitch_hz * t), rate)
    return path


def write_loop(path: Path, *, seconds: float, rate: int = 8000) -> Path:
    """A steady 400 Hz tone: every whole-second stretch of it is the same."""
    t = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, 0.3 * np.sin(2 * np.pi * 400 * t), rate)
    return path


def write_silence(path: Path, *, seconds: float, rate: int = 8000) -> Path:
    soundfile.write(path, np.zeros(int(seconds * rate)), rate)
    return path


def write_midi(path: Path, *, pitches=(60, 64, 67)) -> Path:
    midi = mido.MidiFile()
    track = mido.MidiTrack()
    midi.tracks.append(track)
    for pitch in pitches:
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=240))
    midi.save(path)
    return path


def write_garbage(path: Path) -> Path:
    path.write_bytes(b"this is not what its name says" * 20)
    return path
