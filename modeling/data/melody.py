"""Two-bar melodies on a 16th-note grid, encoded like Magenta's MelodyOneHotEncoding.

A melody is 32 tokens (2 bars of 4/4, 16 steps per bar). Each token is one of 90 classes:

* ``NO_EVENT`` (0): nothing changes; the sounding note is held, or the rest continues.
* ``NOTE_OFF`` (1): the sounding note stops here.
* ``2 .. 89``: a note with MIDI pitch ``21 .. 108`` (the 88 piano keys) starts here; it ends at
  the next note onset, the next ``NOTE_OFF`` or the end of the window.

Extraction from MIDI files and music21 scores reduces the music to one line (the highest
note wins), quantises onsets and ends to the nearest 16th note, and cuts non-overlapping
2-bar windows aligned to the first full bar. Only duple metres whose bar is 2 or 4 quarter
notes long (2/4, 4/4, 2/2) can be cut into 2-bar-of-4/4 windows; other metres raise
:class:`UnsupportedMeterError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pretty_midi

STEPS_PER_BAR = 16
STEPS_PER_QUARTER = 4
BARS = 2
STEPS = STEPS_PER_BAR * BARS
NUM_CLASSES = 90
NO_EVENT = 0
NOTE_OFF = 1
MIN_PITCH = 21
MAX_PITCH = 108
FIRST_PITCH_TOKEN = 2

# Bar lengths (in quarter notes) that tile a 2-bar-of-4/4 window exactly.
SUPPORTED_BAR_QUARTERS = (2.0, 4.0)
DEFAULT_MIN_SOUNDING_FRACTION = 0.5


class UnsupportedMeterError(ValueError):
    """The piece is in a metre that does not tile 2 bars of 4/4 (e.g. 3/4, 6/8)."""


@dataclass(frozen=True)
class NoteEvent:
    """One note on the 16th-note grid: sounds from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: int
    end: int
    pitch: int


def pitch_to_token(pitch: int) -> int:
    """Token of a note onset with MIDI ``pitch`` (21..108)."""
    if not MIN_PITCH <= int(pitch) <= MAX_PITCH:
        raise ValueError(f"pitch {pitch} is outside the encodable range {MIN_PITCH}..{MAX_PITCH}")
    return int(pitch) - MIN_PITCH + FIRST_PITCH_TOKEN


def token_to_pitch(token: int) -> int | None:
    """MIDI pitch of a note-onset token; ``None`` for ``NO_EVENT`` and ``NOTE_OFF``."""
    token = int(token)
    if not 0 <= token < NUM_CLASSES:
        raise ValueError(f"token {token} is outside 0..{NUM_CLASSES - 1}")
    if token < FIRST_PITCH_TOKEN:
        return None
    return token - FIRST_PITCH_TOKEN + MIN_PITCH


def validate_melody_tokens(tokens: Sequence[int] | np.ndarray) -> np.ndarray:
    """``tokens`` as an int64 array of shape [32]; ValueError saying what is wrong otherwise."""
    array = np.asarray(tokens)
    if array.ndim != 1 or array.shape[0] != STEPS:
        raise ValueError(f"a melody has {STEPS} tokens, got an array of shape {array.shape}")
    if array.dtype.kind not in "iu" and not _holds_whole_floats(array):
        raise ValueError(f"melody tokens must be integers, got dtype {array.dtype}")
    array = array.astype(np.int64)
    bad = np.flatnonzero((array < 0) | (array >= NUM_CLASSES))
    if bad.size:
        raise ValueError(
            f"melody tokens must lie in 0..{NUM_CLASSES - 1}; "
            f"step {int(bad[0])} holds {int(array[bad[0]])}"
        )
    return array


def melody_note_events(tokens: Sequence[int] | np.ndarray) -> list[NoteEvent]:
    """The notes a token sequence describes (a ``NOTE_OFF`` with nothing sounding is a no-op)."""
    array = validate_melody_tokens(tokens)
    events: list[NoteEvent] = []
    start: int | None = None
    pitch = 0
    for step, token in enumerate(array.tolist()):
        if token == NO_EVENT:
            continue
        if start is not None:
            events.append(NoteEvent(start=start, end=step, pitch=pitch))
            start = None
        if token >= FIRST_PITCH_TOKEN:
            start, pitch = step, token - FIRST_PITCH_TOKEN + MIN_PITCH
    if start is not None:
        events.append(NoteEvent(start=start, end=STEPS, pitch=pitch))
    return events


def canonical_melody(tokens: Sequence[int] | np.ndarray) -> np.ndarray:
    """Same melody with redundant ``NOTE_OFF`` tokens (nothing sounding) replaced by ``NO_EVENT``.

    Canonical melodies survive tokens -> MIDI -> tokens unchanged.
    """
    return _tokens_from_events(melody_note_events(tokens), window_start=0)


def melody_to_midi(
    tokens: Sequence[int] | np.ndarray,
    *,
    tempo_bpm: float = 120.0,
    program: int = 0,
    velocity: int = 90,
) -> pretty_midi.PrettyMIDI:
    """A one-instrument 4/4 MIDI of the melody; raises ValueError on a wrong length or token."""
    if tempo_bpm <= 0:
        raise ValueError(f"tempo_bpm must be positive, got {tempo_bpm}")
    if not 0 <= program <= 127 or not 1 <= velocity <= 127:
        raise ValueError(f"program must be 0..127 and velocity 1..127, got {program}, {velocity}")
    step_seconds = 60.0 / tempo_bpm / STEPS_PER_QUARTER
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(tempo_bpm))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    instrument = pretty_midi.Instrument(program=int(program))
    for event in melody_note_events(tokens):
        instrument.notes.append(
            pretty_midi.Note(
                velocity=int(velocity),
                pitch=event.pitch,
                start=event.start * step_seconds,
                end=event.end * step_seconds,
            )
        )
    pm.instruments.append(instrument)
    return pm


def sounding_fraction(tokens: Sequence[int] | np.ndarray) -> float:
    """Fraction of the 32 steps during which a note sounds."""
    sounding = sum(event.end - event.start for event in melody_note_events(tokens))
    return sounding / STEPS


def melodies_from_midi(
    pm: pretty_midi.PrettyMIDI,
    *,
    min_sounding_fraction: float = DEFAULT_MIN_SOUNDING_FRACTION,
) -> np.ndarray:
    """All 2-bar melody windows of a MIDI file, as int64 tokens of shape [N, 32].

    All non-drum instruments are merged and the highest note is kept. Times are quantised on
    the MIDI tick grid (so tempo changes do not matter); bar 1 is assumed to start at tick 0.
    Windows whose notes leave the piano range, or in which notes sound for less than
    ``min_sounding_fraction`` of the steps, are skipped.
    """
    notes = [note for inst in pm.instruments if not inst.is_drum for note in inst.notes]
    if not notes:
        raise ValueError("the MIDI file has no notes (drum tracks are ignored)")
    for signature in pm.time_signature_changes:
        _check_bar_length(signature.numerator * 4.0 / signature.denominator, signature)
    ticks_per_step = pm.resolution / STEPS_PER_QUARTER
    events = []
    for note in notes:
        start = round(pm.time_to_tick(note.start) / ticks_per_step)
        end = round(pm.time_to_tick(note.end) / ticks_per_step)
        events.append(NoteEvent(start=start, end=max(end, start + 1), pitch=note.pitch))
    return melody_windows(events, min_sounding_fraction=min_sounding_fraction)


def melodies_from_music21(
    score,
    *,
    min_sounding_fraction: float = DEFAULT_MIN_SOUNDING_FRACTION,
) -> np.ndarray:
    """All 2-bar melody windows of the melody part of a music21 score, int64 tokens [N, 32].

    The melody part is the one named Soprano, else the part with the highest mean pitch.

    Tied notes are merged, chords give their highest pitch, grace notes are dropped, and a
    pickup bar is skipped so that windows start on downbeats. Scores without a time signature
    are read as 4/4; metres other than 2/4, 4/4 and 2/2 raise :class:`UnsupportedMeterError`.
    """
    part = _top_part(score)
    for signature in part.recurse().getElementsByClass("TimeSignature"):
        _check_bar_length(float(signature.barDuration.quarterLength), signature.ratioString)
    events = _music21_note_events(part)
    if not events:
        raise ValueError("the music21 score has no notes in its top part")
    return melody_windows(events, min_sounding_fraction=min_sounding_fraction)


def melody_windows(
    events: Iterable[NoteEvent],
    *,
    min_sounding_fraction: float = DEFAULT_MIN_SOUNDING_FRACTION,
) -> np.ndarray:
    """Cut note events (16th-note grid, step 0 = a downbeat) into 2-bar token windows [N, 32].

    Each window only sees notes that start inside it: a note held over from the previous
    window is not re-attacked, so every window is a self-contained melody.
    """
    by_window: dict[int, list[NoteEvent]] = {}
    for event in events:
        if event.start >= 0:
            by_window.setdefault(event.start // STEPS, []).append(event)
    windows = []
    for index in sorted(by_window):
        window_events = by_window[index]
        if any(not MIN_PITCH <= event.pitch <= MAX_PITCH for event in window_events):
            continue
        tokens = _tokens_from_events(window_events, window_start=index * STEPS)
        if sounding_fraction(tokens) >= min_sounding_fraction:
            windows.append(tokens)
    if not windows:
        return np.zeros((0, STEPS), dtype=np.int64)
    return np.stack(windows).astype(np.int64)


def transpose_melodies(melodies: np.ndarray, *, semitones: int) -> np.ndarray:
    """Melodies [N, 32] shifted by ``semitones``; windows that would leave 21..108 are dropped."""
    melodies = np.asarray(melodies, dtype=np.int64).reshape(-1, STEPS)
    is_note = melodies >= FIRST_PITCH_TOKEN
    shifted = np.where(is_note, melodies + int(semitones), melodies)
    in_range = np.all(~is_note | ((shifted >= FIRST_PITCH_TOKEN) & (shifted < NUM_CLASSES)), axis=1)
    return shifted[in_range]


def _tokens_from_events(events: Sequence[NoteEvent], *, window_start: int) -> np.ndarray:
    """Monophonic reduction of the events starting inside one window (highest note wins).

    A new onset replaces the sounding note unless the sounding note is higher and still
    sounding; when the melody note ends with nothing new starting, a ``NOTE_OFF`` is written.
    """
    onsets: dict[int, tuple[int, int]] = {}
    for event in events:
        step = event.start - window_start
        if 0 <= step < STEPS:
            candidate = (event.pitch, event.end - window_start)
            onsets[step] = max(onsets.get(step, candidate), candidate)
    tokens = np.full(STEPS, NO_EVENT, dtype=np.int64)
    current: tuple[int, int] | None = None  # (pitch, end step) of the melody note
    for step in range(STEPS):
        onset = onsets.get(step)
        sounding = current is not None and current[1] > step
        if onset is not None and not (sounding and current[0] > onset[0]):
            current = onset
            tokens[step] = pitch_to_token(onset[0])
        elif current is not None and not sounding:
            tokens[step] = NOTE_OFF
            current = None
    return tokens


def _holds_whole_floats(array: np.ndarray) -> bool:
    if array.dtype.kind != "f":
        return False
    return bool(np.all(np.isfinite(array) & (array == np.round(array))))


def _check_bar_length(bar_quarters: float, label: object) -> None:
    if not any(abs(bar_quarters - ok) < 1e-9 for ok in SUPPORTED_BAR_QUARTERS):
        raise UnsupportedMeterError(
            f"time signature {label} has bars of {bar_quarters:g} quarter notes; only 2/4, 4/4 "
            "and 2/2 tile 2-bar-of-4/4 melody windows"
        )


def _top_part(score):
    """The melody part: one named Soprano if there is one, else the highest-sounding part.

    Score order is not enough: Bach chorale files, for example, list a doubling horn first.
    """
    parts = list(getattr(score, "parts", None) or [])
    if not parts:
        return score
    for part in parts:
        name = f"{part.partName or ''} {part.id or ''}".lower()
        if "soprano" in name:
            return part
    return max(parts, key=_mean_pitch)


def _mean_pitch(part) -> float:
    notes = part.flatten().getElementsByClass(["Note", "Chord"])
    pitches = [p.midi for note in notes for p in note.pitches]
    return float(np.mean(pitches)) if pitches else float("-inf")


def _music21_note_events(part) -> list[NoteEvent]:
    anchor = _first_downbeat_offset(part)
    events = []
    for element in part.stripTies().flatten().getElementsByClass(["Note", "Chord"]):
        if element.duration.isGrace or element.quarterLength <= 0:
            continue
        pitch = max(p.midi for p in element.pitches)
        start = _quarters_to_steps(Fraction(element.offset) - anchor)
        end = _quarters_to_steps(Fraction(element.offset + element.quarterLength) - anchor)
        events.append(NoteEvent(start=start, end=max(end, start + 1), pitch=pitch))
    return events


def _first_downbeat_offset(part) -> Fraction:
    """Offset of bar 1: after an incomplete (pickup) first measure, else 0."""
    measures = list(part.getElementsByClass("Measure"))
    if len(measures) < 2:
        return Fraction(0)
    first = measures[0]
    is_pickup = first.paddingLeft > 0 or (
        first.duration.quarterLength < first.barDuration.quarterLength
    )
    return Fraction(measures[1].offset) if is_pickup else Fraction(0)


def _quarters_to_steps(quarters: Fraction) -> int:
    return round(quarters * STEPS_PER_QUARTER)
