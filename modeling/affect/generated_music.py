"""Synthesised music for the generated affect set: short clips in major or minor, fast or slow,
high or low register, rendered to audio with ``modeling.render`` (TinySoundFont, General MIDI).

A clip is a melody over a block-chord accompaniment, both on one instrument. Its *cues* (mode,
tempo, register) are set by the clip's emotion class (``modeling.affect.generated.PLANTED``);
everything else is drawn at random from the clip's own seed and is the same for every class:
the key (any of 12), the exact tempo within its range, the instrument, the melody (a random
walk over the scale that lands on a chord tone at each chord change) and the velocities.
``clip_midi(cues, seed)`` is deterministic, so any clip of the set can be rendered again.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass

import numpy as np
import pretty_midi

from modeling.render import DEFAULT_SAMPLE_RATE, clip_files

CLIP_SECONDS = 4.0
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}  # natural minor
# Scale degrees of the chord roots, one chord per harmonic step: I IV V I / i iv v i.
PROGRESSION = (0, 3, 4, 0)
TEMPO_BPM = {"fast": (156.0, 184.0), "slow": (54.0, 70.0)}
# Melody notes per beat and how much of each note sounds (staccato when fast, legato when slow).
MELODY_RHYTHM = {"fast": (4, 0.5), "slow": (1, 0.95)}
BEATS_PER_CHORD = {"fast": 4, "slow": 2}
VELOCITY = {"fast": (92, 112), "slow": (58, 78)}
# (lowest, highest) melody pitch and the octave the chords start from, by register.
MELODY_RANGE = {"high": (74, 96), "low": (38, 57)}
CHORD_BASE = {"high": 60, "low": 36}
PROGRAMS = (0, 4, 6, 12, 24, 25, 71)  # pianos, harpsichord, marimba, guitars, clarinet


@dataclass(frozen=True)
class MusicCues:
    """The planted musical cues of one clip."""

    mode: str  # "major" | "minor"
    tempo: str  # "fast" | "slow"
    register: str  # "high" | "low"

    def __post_init__(self) -> None:
        for name, allowed in (("mode", SCALES), ("tempo", TEMPO_BPM), ("register", CHORD_BASE)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {sorted(allowed)}")

    def to_dict(self) -> dict:
        return asdict(self)


def scale_pitches(*, mode: str, key: int, low: int, high: int) -> list[int]:
    """Every pitch from ``low`` to ``high`` in the key's major or natural-minor scale."""
    classes = {(key + step) % 12 for step in SCALES[mode]}
    return [pitch for pitch in range(low, high + 1) if pitch % 12 in classes]


def triad(*, mode: str, key: int, degree: int, base: int) -> list[int]:
    """The diatonic triad on a scale degree, root at or above ``base``."""
    scale = SCALES[mode]
    steps = [scale[(degree + offset) % 7] + 12 * ((degree + offset) // 7) for offset in (0, 2, 4)]
    root = base + (key + steps[0] - base) % 12
    return [root + step - steps[0] for step in steps]


def _draw_choices(rng: np.random.Generator, cues: MusicCues) -> tuple[int, float, int]:
    return (
        int(rng.integers(12)),
        float(rng.uniform(*TEMPO_BPM[cues.tempo])),
        int(rng.choice(PROGRAMS)),
    )


def clip_choices(cues: MusicCues, *, seed: int) -> dict:
    """The clip's random choices that are not cues: key (0 = C), tempo and GM program."""
    key, tempo, program = _draw_choices(np.random.default_rng(seed), cues)
    return {"key": key, "tempo_bpm": tempo, "program": program}


def clip_midi(
    cues: MusicCues, *, seed: int, seconds: float = CLIP_SECONDS
) -> pretty_midi.PrettyMIDI:
    """The clip's MIDI: a melody and block chords on one randomly chosen instrument."""
    rng = np.random.default_rng(seed)
    key, tempo, program = _draw_choices(rng, cues)
    beat = 60.0 / tempo
    velocity_low, velocity_high = VELOCITY[cues.tempo]
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    instrument = pretty_midi.Instrument(program=program)
    chord_seconds = BEATS_PER_CHORD[cues.tempo] * beat
    chord_count = int(np.ceil(seconds / chord_seconds))
    for index in range(chord_count):
        degree = PROGRESSION[index % len(PROGRESSION)]
        start = index * chord_seconds
        chord = triad(mode=cues.mode, key=key, degree=degree, base=CHORD_BASE[cues.register])
        velocity = int(rng.integers(velocity_low, velocity_high)) - 12
        for hit in _chord_hits(cues.tempo, start=start, length=chord_seconds, beat=beat):
            for pitch in chord:
                instrument.notes.append(pretty_midi.Note(velocity, pitch, *hit))
    instrument.notes += _melody_notes(
        cues, rng=rng, key=key, beat=beat, chord_seconds=chord_seconds, seconds=seconds
    )
    instrument.notes = [n for n in instrument.notes if n.start < seconds]
    pm.instruments.append(instrument)
    return pm


def _chord_hits(tempo: str, *, start: float, length: float, beat: float) -> list[tuple]:
    """(start, end) of the chord's attacks: short hits on every beat when fast, one held chord
    when slow."""
    if tempo == "slow":
        return [(start, start + 0.98 * length)]
    hits = int(round(2 * length / beat))  # every eighth note
    return [(start + h * beat / 2, start + h * beat / 2 + 0.2 * beat) for h in range(hits)]


def _melody_notes(
    cues: MusicCues,
    *,
    rng: np.random.Generator,
    key: int,
    beat: float,
    chord_seconds: float,
    seconds: float,
) -> list[pretty_midi.Note]:
    low, high = MELODY_RANGE[cues.register]
    pitches = scale_pitches(mode=cues.mode, key=key, low=low, high=high)
    per_beat, sounding = MELODY_RHYTHM[cues.tempo]
    step = beat / per_beat
    position = int(rng.integers(len(pitches) // 3, 2 * len(pitches) // 3))
    notes, time, last_chord = [], 0.0, -1
    while time < seconds:
        chord_index = int(time // chord_seconds)
        if chord_index != last_chord:  # land on a chord tone when the chord changes
            degree = PROGRESSION[chord_index % len(PROGRESSION)]
            tones = {p % 12 for p in triad(mode=cues.mode, key=key, degree=degree, base=0)}
            candidates = [i for i, p in enumerate(pitches) if p % 12 in tones]
            position = min(candidates, key=lambda i: abs(i - position))
            last_chord = chord_index
        else:
            position = int(
                np.clip(position + rng.choice((-2, -1, -1, 1, 1, 2)), 0, len(pitches) - 1)
            )
        length = step * (2 if cues.tempo == "slow" and rng.random() < 0.3 else 1)
        velocity = int(rng.integers(*VELOCITY[cues.tempo]))
        notes.append(pretty_midi.Note(velocity, pitches[position], time, time + sounding * length))
        time += length
    return notes


def clip_audio(cues: MusicCues, *, seed: int, format: str = "flac") -> tuple[bytes, bytes]:
    """(audio file, MIDI file) of the clip, as ``modeling.render.clip_files`` renders stimuli."""
    return clip_files(clip_midi(cues, seed=seed), length_s=CLIP_SECONDS, format=format)


def decode_audio(audio_file: bytes) -> np.ndarray:
    """Mono float32 samples of an audio file's bytes (at the file's rate, 22,050 Hz here)."""
    import soundfile

    samples, rate = soundfile.read(io.BytesIO(audio_file), dtype="float32", always_2d=True)
    if rate != DEFAULT_SAMPLE_RATE:
        raise ValueError(f"expected {DEFAULT_SAMPLE_RATE} Hz audio, got {rate} Hz")
    return samples.mean(axis=1)
