"""Generated accompaniments for the chord/texture VAE's corpus: block chords, arpeggios,
Alberti bass, broken chords and waltz patterns over common progressions, in several registers,
harmonic rhythms and densities. Each "work" is one progression x pattern x register x rhythm x
density (see modeling.vis2mus.data for the encodings and the split by work).
"""

from __future__ import annotations

import numpy as np

from modeling.vis2mus.data import (
    BEATS,
    CHORD_DIM,
    QUALITIES,
    STEPS,
    STEPS_PER_BEAT,
    Note,
    chord_vector,
    texture_roll,
)

# Progressions as (root degree in semitones above the key, quality); 4 chords over 2 bars or 2
# chords per bar. Major keys unless a minor chord is the tonic.
PROGRESSIONS: dict[str, list[tuple[int, str]]] = {
    "I-V-vi-IV": [(0, "maj"), (7, "maj"), (9, "min"), (5, "maj")],
    "I-vi-IV-V": [(0, "maj"), (9, "min"), (5, "maj"), (7, "maj")],
    "ii-V-I-vi": [(2, "min7"), (7, "7"), (0, "maj7"), (9, "min7")],
    "I-IV-V-I": [(0, "maj"), (5, "maj"), (7, "7"), (0, "maj")],
    "vi-IV-I-V": [(9, "min"), (5, "maj"), (0, "maj"), (7, "maj")],
    "i-iv-V-i": [(0, "min"), (5, "min"), (7, "7"), (0, "min")],
    "i-VI-III-VII": [(0, "min"), (8, "maj"), (3, "maj"), (10, "maj")],
    "I-iii-IV-V": [(0, "maj"), (4, "min"), (5, "maj"), (7, "maj")],
    "i-ii°-V-i": [(0, "min"), (2, "dim"), (7, "7"), (0, "min")],
    "I-I7-IV-iv": [(0, "maj"), (0, "7"), (5, "maj"), (5, "min")],
}
REGISTERS = {"low": 36, "middle": 48, "high": 60}  # the bass octave's C
HARMONIC_RHYTHMS = {"two_per_bar": 2, "one_per_bar": 1}


def _chord_tones(root: int, quality: str, base: int) -> tuple[int, list[int]]:
    """(bass pitch, upper voicing pitches ascending) of a chord in a register."""
    bass = base + root % 12
    upper = sorted(base + 12 + (root + i) % 12 for i in QUALITIES[quality])
    return bass, upper


def _pattern_notes(
    pattern: str, *, start: int, length: int, bass: int, upper: list[int], dense: bool
) -> list[Note]:
    """The notes of one chord's span (``length`` steps from ``start``) in an accompaniment
    pattern; ``dense`` halves the note values."""
    unit = 2 if dense else 4  # 8ths or quarters (16ths or 8ths for arpeggios)
    notes: list[Note] = []
    if pattern == "block":
        for onset in range(start, start + length, unit * 2 if not dense else unit):
            span = unit * 2 if not dense else unit
            notes += [Note(onset, p, span) for p in [bass, *upper]]
    elif pattern == "sustained":
        notes += [Note(start, p, length) for p in [bass, *upper]]
    elif pattern in ("arpeggio_up", "arpeggio_updown"):
        step = 1 if dense else 2
        tones = [bass, *upper, upper[0] + 12]
        if pattern == "arpeggio_updown":
            tones = tones + tones[-2:0:-1]
        for k, onset in enumerate(range(start, start + length, step)):
            notes.append(Note(onset, tones[k % len(tones)], step))
    elif pattern == "alberti":
        low, mid, high = upper[0], upper[1], upper[-1]
        order = [low, high, mid, high]
        step = 1 if dense else 2
        notes.append(Note(start, bass, length))
        for k, onset in enumerate(range(start, start + length, step)):
            notes.append(Note(onset, order[k % 4], step))
    elif pattern == "broken":
        notes.append(Note(start, bass, unit))
        for onset in range(start + unit, start + length, unit):
            notes += [Note(onset, p, unit) for p in upper]
    elif pattern == "waltz_bass":
        for k, onset in enumerate(range(start, start + length, unit)):
            pitches = [bass] if k % 2 == 0 else upper
            notes += [Note(onset, p, unit) for p in pitches]
    else:
        raise ValueError(f"unknown accompaniment pattern {pattern!r}")
    return [n for n in notes if n.onset < start + length]


PATTERNS = (
    "block",
    "sustained",
    "arpeggio_up",
    "arpeggio_updown",
    "alberti",
    "broken",
    "waltz_bass",
)


def generated_segment(
    progression: str, *, pattern: str, register: str, per_bar: int, dense: bool, key: int
) -> tuple[np.ndarray, np.ndarray]:
    """One 2-bar accompaniment segment and its exact chords (texture roll, chords)."""
    chords_list = PROGRESSIONS[progression][: 2 * per_bar]
    span = STEPS // len(chords_list)
    notes: list[Note] = []
    chords = np.zeros((BEATS, CHORD_DIM), dtype=np.uint8)
    for index, (degree, quality) in enumerate(chords_list):
        root = (key + degree) % 12
        bass, upper = _chord_tones(root, quality, REGISTERS[register])
        notes += _pattern_notes(
            pattern, start=index * span, length=span, bass=bass, upper=upper, dense=dense
        )
        vector = chord_vector(
            root=root, pitch_classes=[(root + i) % 12 for i in QUALITIES[quality]], bass=bass
        )
        beats = span // STEPS_PER_BEAT
        chords[index * beats : (index + 1) * beats] = vector
    return texture_roll(notes), chords


def generated_works(seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every generated "work" (progression x pattern x register x harmonic rhythm x density) as
    its segments: the progression in 3 keys drawn with the seed, and its rotation by 2 chords."""
    rng = np.random.default_rng(seed)
    works = {}
    for progression in PROGRESSIONS:
        for pattern in PATTERNS:
            for register in REGISTERS:
                for rhythm, per_bar in HARMONIC_RHYTHMS.items():
                    for dense in (False, True):
                        rolls, chords = [], []
                        for key in rng.choice(12, size=3, replace=False):
                            roll, chord = generated_segment(
                                progression,
                                pattern=pattern,
                                register=register,
                                per_bar=per_bar,
                                dense=dense,
                                key=int(key),
                            )
                            rolls.append(roll)
                            chords.append(chord)
                        name = f"generated/{progression}/{pattern}/{register}/{rhythm}/"
                        name += "dense" if dense else "sparse"
                        works[name] = (np.stack(rolls), np.stack(chords))
    return works
