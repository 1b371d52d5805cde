"""Music from a trained chord/texture VAE: reconstruction, brightness / contrast on the texture
feature map, and style transfer (chords of one segment, texture of another). Inference only:
nothing here imports the training loop or training code.

Every function takes texture rolls [N, 32, 128] and chords [N, 8, 36] (numpy or torch) and
returns decoded texture rolls [N, 32, 128] (numpy, durations in steps at onsets); latents are
the encoders' means, decoding is greedy, so the same input always gives the same music.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

STEP_SECONDS = 0.15  # a 16th at 100 quarter notes per minute


def _tensor(array, device):
    import torch

    return torch.as_tensor(np.array(array)).to(device)  # a copy: anchors are read-only


def _device(model) -> str:
    return str(next(model.parameters()).device)


def anchor_problems(roll, chords) -> list[str]:
    """Why a segment cannot be an anchor, one sentence each (none: it can).

    A segment needs notes (a silent texture has nothing to transform) and a chord on at least
    one beat (the chord latent of an all-N.C. sequence carries nothing)."""
    roll, chords = np.asarray(roll), np.asarray(chords)
    problems = []
    if roll.shape != (32, 128):
        problems.append(f"the texture must be a 32 x 128 roll, got {roll.shape}")
    elif not roll.any():
        problems.append("the segment is silent: it has no note to transform")
    if chords.shape != (8, 36):
        problems.append(f"the chords must be 8 beats x 36, got {chords.shape}")
    elif not chords[:, :12].any():
        problems.append("the segment has no chord on any beat")
    return problems


def latents(model, rolls, chords):
    """(z_chd means, z_txt means) of segments."""
    import torch

    device = _device(model)
    with torch.no_grad():
        z_chd, _ = model.encode_chords(_tensor(chords, device).float())
        z_txt, _ = model.encode_texture(_tensor(rolls, device))
    return z_chd, z_txt


def reconstruct(model, rolls, chords) -> np.ndarray:
    z_chd, z_txt = latents(model, rolls, chords)
    return model.decode(z_chd, z_txt).cpu().numpy().astype(np.uint8)


def style_transfer(model, *, chords_from, texture_from) -> np.ndarray:
    """Decode the chords of ``chords_from`` (chords [N, 8, 36]) played in the texture of
    ``texture_from`` (rolls [N, 32, 128])."""
    import torch

    device = _device(model)
    with torch.no_grad():
        z_chd, _ = model.encode_chords(_tensor(chords_from, device).float())
        z_txt, _ = model.encode_texture(_tensor(texture_from, device))
    return model.decode(z_chd, z_txt).cpu().numpy().astype(np.uint8)


def below_melody(accompaniment: np.ndarray, melody: np.ndarray) -> np.ndarray:
    """The accompaniment moved by whole octaves so its highest onset lies below the melody's
    lowest (the register matching of the paper's compositional style transfer); unchanged when
    either is silent or it already lies below."""
    from modeling.vis2mus.data import transpose_rolls

    accompaniment_pitches = np.flatnonzero(accompaniment.any(axis=0))
    melody_pitches = np.flatnonzero(melody.any(axis=0))
    if not len(accompaniment_pitches) or not len(melody_pitches):
        return accompaniment
    overlap = accompaniment_pitches.max() - melody_pitches.min() + 1
    octaves = int(np.ceil(overlap / 12)) if overlap > 0 else 0
    return transpose_rolls(accompaniment, -12 * octaves)


def fuse_with_melody(model, *, melody, melody_chords, accompaniment) -> np.ndarray:
    """The paper's music style transfer for one pair: the accompaniment's texture moved below
    the melody, decoded over the melody's chords, and the melody laid on top (where both start
    a note on the same pitch and step, the melody's duration wins). Rolls [32, 128]."""
    lowered = below_melody(np.asarray(accompaniment), np.asarray(melody))
    decoded = style_transfer(
        model, chords_from=np.asarray(melody_chords)[None], texture_from=lowered[None]
    )[0]
    return np.where(np.asarray(melody) > 0, np.asarray(melody), decoded).astype(np.uint8)


def transformed(model, rolls, chords, *, name: str, strengths) -> np.ndarray:
    """Each segment decoded after ``name`` ("brightness" / "contrast") at each strength acted
    on its texture feature map: rolls [N, len(strengths), 32, 128]."""
    import torch

    from modeling.vis2mus.transforms import transform

    device = _device(model)
    with torch.no_grad():
        z_chd, _ = model.encode_chords(_tensor(chords, device).float())
        feature_map = model.texture_feature_map(_tensor(rolls, device))
        decoded = []
        for a in strengths:
            z_txt, _ = model.encode_feature_map(transform(feature_map, name, a))
            decoded.append(model.decode(z_chd, z_txt).cpu().numpy().astype(np.uint8))
    return np.stack(decoded, axis=1)


def roll_midi(roll: np.ndarray, *, program: int = 0, velocity: int = 80):
    """A texture roll as a pretty_midi piano part (16ths at 100 bpm)."""
    import pretty_midi

    from modeling.vis2mus.data import roll_notes

    midi = pretty_midi.PrettyMIDI(initial_tempo=100)
    piano = pretty_midi.Instrument(program=program)
    for note in roll_notes(roll):
        start = note.onset * STEP_SECONDS
        piano.notes.append(
            pretty_midi.Note(velocity, note.pitch, start, start + note.duration * STEP_SECONDS)
        )
    midi.instruments.append(piano)
    return midi


def write_examples(
    model,
    segments,
    *,
    out_dir: Path | str,
    count: int = 4,
    brightness: float = 0.0,
    contrast: float = 0.0,
    seed: int = 0,
) -> list[Path]:
    """For ``count`` held-out segments (drawn with the seed): the original, the
    reconstruction, the brightness / contrast transformed and opposite versions (when a
    strength is given), and each segment's chords in the next segment's texture, as MIDI
    files plus ``examples.json`` saying which is which."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = np.random.default_rng(seed).choice(len(segments), size=count, replace=False)
    rolls, chords = segments.rolls[rows], segments.chords[rows]
    pieces = {"original": rolls, "reconstruction": reconstruct(model, rolls, chords)}
    for name, a in (("brightness", brightness), ("contrast", contrast)):
        if a:
            both = transformed(model, rolls, chords, name=name, strengths=(a, -a))
            pieces[f"{name}_{a:+g}"], pieces[f"{name}_{-a:+g}"] = both[:, 0], both[:, 1]
    pieces["chords_with_next_texture"] = style_transfer(
        model, chords_from=chords, texture_from=np.roll(rolls, -1, axis=0)
    )
    written = []
    for name, decoded in pieces.items():
        for index, roll in enumerate(decoded):
            path = out_dir / f"{index:02d}_{name}.mid"
            roll_midi(roll).write(str(path))
            written.append(path)
    manifest = {
        "segments": [segments.works[r] if segments.works else int(r) for r in rows],
        "pieces": sorted(pieces),
        "brightness": brightness,
        "contrast": contrast,
    }
    (out_dir / "examples.json").write_text(json.dumps(manifest, indent=2))
    return [*written, out_dir / "examples.json"]
