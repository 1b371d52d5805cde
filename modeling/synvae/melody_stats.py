"""What a set of 2-bar melodies is like, as numbers to hold against the corpus.

Tokens follow ``modeling.data.melody`` (0 hold, 1 note off, 2..89 a note of pitch 21..108).
- ``notes_per_bar``: note onsets per bar, averaged over all melodies (silent ones count 0);
- ``pitch_range``: highest minus lowest pitch of a melody in semitones, averaged over the
  melodies with at least one note;
- ``repeated_pitch_share``: of all pairs of consecutive notes in a melody (rests between them
  allowed), the share whose second note repeats the first's pitch;
- ``silent_share``: melodies without a note; ``sounding_steps``: steps during which a note sounds.
"""

from __future__ import annotations

import numpy as np

from modeling.data.melody import BARS, FIRST_PITCH_TOKEN, NOTE_OFF, STEPS

COMPARED = ("notes_per_bar", "pitch_range", "repeated_pitch_share")


def melody_statistics(tokens) -> dict:
    """The statistics above for tokens [N, 32] (numpy or torch)."""
    tokens = np.asarray(tokens.cpu() if hasattr(tokens, "cpu") else tokens, dtype=np.int64)
    if tokens.ndim != 2 or tokens.shape[1] != STEPS or len(tokens) == 0:
        raise ValueError(f"melodies must be shaped (N, {STEPS}) with N >= 1, got {tokens.shape}")
    onsets = tokens >= FIRST_PITCH_TOKEN
    notes = onsets.sum(axis=1)
    pitches = np.where(onsets, tokens, 0)
    highest = pitches.max(axis=1)
    lowest = np.where(onsets, tokens, 10**6).min(axis=1)
    sounding = notes > 0
    repeats, pairs = 0, 0
    for row, is_onset in zip(tokens, onsets, strict=True):
        sequence = row[is_onset]
        pairs += max(len(sequence) - 1, 0)
        repeats += int(np.sum(sequence[1:] == sequence[:-1]))
    return {
        "melodies": int(len(tokens)),
        "distinct": int(len(np.unique(tokens, axis=0))),
        "notes_per_bar": float(notes.mean() / BARS),
        "pitch_range": float((highest - lowest)[sounding].mean()) if sounding.any() else 0.0,
        "repeated_pitch_share": repeats / pairs if pairs else 0.0,
        "silent_share": float(1.0 - sounding.mean()),
        "sounding_steps": float(_sounding_steps(tokens).mean()),
    }


def _sounding_steps(tokens: np.ndarray) -> np.ndarray:
    """Share of each melody's steps during which a note sounds (a note lasts to the next event)."""
    sounding = np.zeros(tokens.shape, dtype=bool)
    on = np.zeros(len(tokens), dtype=bool)
    for step in range(tokens.shape[1]):
        column = tokens[:, step]
        on = np.where(column >= FIRST_PITCH_TOKEN, True, np.where(column == NOTE_OFF, False, on))
        sounding[:, step] = on
    return sounding.mean(axis=1)


def against_corpus(statistics: dict, corpus: dict, *, tolerance: float = 0.2) -> dict:
    """Per compared statistic: the ratio to the corpus and whether it is within ``tolerance``."""
    result = {}
    for name in COMPARED:
        ratio = statistics[name] / corpus[name] if corpus[name] else float("inf")
        result[name] = {"ratio": ratio, "within": abs(ratio - 1.0) <= tolerance}
    return result
