"""Symbolic music as a plain table of notes, from music21 scores or MIDI files, cut into clips.

A ``NoteTable`` holds one row per sounding note: onset and duration in quarter notes, MIDI
pitch and the part (voice or instrument) it belongs to; tied notes are merged. Clips are
windows of ``onsets_per_clip`` successive onset times, a length that does not depend on how an
edition notates time (Renaissance scores in long note values, Romantic ones in short): about
15-30 seconds of music at ordinary tempi.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_ONSETS_PER_CLIP = 48
MIN_NOTES_PER_CLIP = 16


@dataclass(frozen=True)
class NoteTable:
    """Notes of a piece (or clip): arrays of equal length, sorted by onset then pitch."""

    onset: np.ndarray  # float, quarter notes from the start
    duration: np.ndarray  # float, quarter notes (> 0)
    pitch: np.ndarray  # int, MIDI numbers
    part: np.ndarray  # int, 0-based part index

    def __post_init__(self) -> None:
        lengths = {len(self.onset), len(self.duration), len(self.pitch), len(self.part)}
        if len(lengths) != 1:
            raise ValueError("a note table needs onset, duration, pitch and part of equal length")

    def __len__(self) -> int:
        return len(self.onset)

    @classmethod
    def from_notes(cls, notes: list[tuple[float, float, int, int]]) -> NoteTable:
        """From (onset, duration, pitch, part) tuples in any order; zero durations are dropped."""
        rows = sorted((o, d, p, q) for o, d, p, q in notes if d > 0)
        if not rows:
            return cls(np.zeros(0), np.zeros(0), np.zeros(0, dtype=int), np.zeros(0, dtype=int))
        onset, duration, pitch, part = (np.asarray(column) for column in zip(*rows, strict=True))
        return cls(onset.astype(float), duration.astype(float), pitch.astype(int), part.astype(int))

    def select(self, mask: np.ndarray) -> NoteTable:
        return NoteTable(self.onset[mask], self.duration[mask], self.pitch[mask], self.part[mask])

    @property
    def onset_times(self) -> np.ndarray:
        """The distinct onset times, ascending."""
        return np.unique(self.onset)


def notes_from_music21(score) -> NoteTable:
    """The notes of a music21 score (parts in score order; chords give one row per pitch)."""
    parts = list(getattr(score, "parts", [])) or [score]
    rows: list[tuple[float, float, int, int]] = []
    for index, part in enumerate(parts):
        rows.extend(_part_rows(part, index))
    return NoteTable.from_notes(rows)


def _part_rows(part, index: int) -> list[tuple[float, float, int, int]]:
    """One part's notes with ties merged: a tie continuing a pitch lengthens the open note."""
    open_notes: dict[int, list] = {}
    rows: list[list] = []
    for element in part.flatten().notes:
        onset = float(element.offset)
        duration = float(element.quarterLength)
        members = element.notes if element.isChord else [element]
        for note in members:
            midi = int(note.pitch.midi)
            tie = note.tie.type if note.tie is not None else None
            held = open_notes.get(midi)
            if tie in ("continue", "stop") and held is not None:
                held[1] = onset + duration - held[0]
            else:
                held = [onset, duration, midi, index]
                rows.append(held)
            if tie in ("start", "continue"):
                open_notes[midi] = held
            else:
                open_notes.pop(midi, None)
    return [(float(o), float(d), int(p), int(q)) for o, d, p, q in rows]


def notes_from_midi(path: Path | str) -> NoteTable:
    """The notes of a MIDI file, timed in quarter notes (MIDI ticks / resolution); drums and
    empty instruments are left out, each other instrument is a part."""
    import pretty_midi

    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as error:  # pretty_midi raises many kinds on malformed files
        raise ValueError(f"{Path(path).name} is not a readable MIDI file ({error}).") from error
    resolution = float(midi.resolution)
    rows = []
    instruments = [i for i in midi.instruments if not i.is_drum and i.notes]
    for index, instrument in enumerate(instruments):
        for note in instrument.notes:
            start = midi.time_to_tick(note.start) / resolution
            end = midi.time_to_tick(note.end) / resolution
            rows.append((start, end - start, int(note.pitch), index))
    return NoteTable.from_notes(rows)


def cut_clips(
    notes: NoteTable,
    *,
    onsets_per_clip: int = DEFAULT_ONSETS_PER_CLIP,
    max_clips: int | None = None,
    min_notes: int = MIN_NOTES_PER_CLIP,
) -> list[NoteTable]:
    """Non-overlapping clips of ``onsets_per_clip`` successive onset times (a shorter piece is
    one clip); clips with fewer than ``min_notes`` notes are dropped. With ``max_clips``, that
    many clips spread evenly over the piece."""
    times = notes.onset_times
    if len(times) == 0:
        return []
    starts = list(range(0, max(len(times) - onsets_per_clip, 0) + 1, onsets_per_clip))
    clips = []
    for first in starts:
        begin = times[first]
        last = first + onsets_per_clip
        end = times[last] if last < len(times) else np.inf
        clip = notes.select((notes.onset >= begin) & (notes.onset < end))
        if len(clip) >= min_notes:
            clips.append(clip)
    if max_clips is not None and len(clips) > max_clips:
        chosen = np.linspace(0, len(clips) - 1, max_clips).round().astype(int)
        clips = [clips[i] for i in chosen]
    return clips
