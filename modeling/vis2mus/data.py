"""2-bar polyphonic segments for the chord/texture VAE: encodings, generated accompaniments and
the music21 corpus (no network).

A segment is 2 bars of 4/4 on a 16th grid (32 steps) and is stored as two arrays:

- the **texture roll** [32, 128] (uint8): at each note's onset step and pitch, its duration in
  steps (1..32, longer notes are cut to 32); 0 elsewhere. Notes that started before the segment
  are not part of it (they have no onset in it).
- the **chord sequence** [8, 36] (uint8): per beat, root one-hot (12), chroma (12) and bass
  one-hot (12); a beat with no chord ("N.C.") is all zeros.

Sources: music21's bundled multi-part works (Bach chorales and others; chord labels per beat
from ``chordify``), and a generated accompaniment set (block chords, arpeggios, Alberti bass,
broken chords and waltz patterns over common progressions, in several registers and
densities). Both are split BY WORK (a generated "work" is one progression x pattern x register
x density), so no work is in train and val. Transposition augmentation happens per batch
(``transpose_batch``), so the cache holds each segment once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

STEPS = 32
PITCHES = 128
BEATS = 8
STEPS_PER_BEAT = 4
CHORD_DIM = 36
MAX_DURATION = 32
DEFAULT_SOURCES = ("bach",)
CACHE_FORMAT_VERSION = 1
SPLIT_RULE = (
    "works (music21 files; generated progression x pattern x register x density) that yield at "
    "least one segment are shuffled with the seed; the first max(1, round(val_fraction * n)) of "
    "each source go to val, the rest to train (no work in both)"
)

# Chord qualities as pitch-class sets relative to the root (for labels and for evaluation).
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "hdim7": (0, 3, 6, 10),
    "dim7": (0, 3, 6, 9),
}


@dataclass(frozen=True)
class Note:
    onset: int  # step within the segment, 0..31
    pitch: int  # MIDI 0..127
    duration: int  # steps, >= 1


@dataclass
class SegmentSet:
    """Segments of one split: texture rolls [N, 32, 128] and chords [N, 8, 36], both uint8."""

    rolls: np.ndarray
    chords: np.ndarray
    works: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rolls)


@dataclass
class SegmentCorpus:
    train: SegmentSet
    val: SegmentSet
    description: dict = field(default_factory=dict)


# ----- encodings -------------------------------------------------------------------------------
def texture_roll(notes: Sequence[Note]) -> np.ndarray:
    """The [32, 128] roll: each note's duration (cut to 1..32) at (onset, pitch)."""
    roll = np.zeros((STEPS, PITCHES), dtype=np.uint8)
    for note in notes:
        if 0 <= note.onset < STEPS and 0 <= note.pitch < PITCHES:
            roll[note.onset, note.pitch] = max(1, min(int(note.duration), MAX_DURATION))
    return roll


def roll_notes(roll: np.ndarray) -> list[Note]:
    """The notes of a texture roll, by onset then pitch."""
    steps, pitches = np.nonzero(roll)
    return [Note(int(s), int(p), int(roll[s, p])) for s, p in zip(steps, pitches, strict=True)]


def chord_vector(*, root: int, pitch_classes: Sequence[int], bass: int) -> np.ndarray:
    """One beat's 36-d chord: root one-hot, chroma, bass one-hot."""
    vector = np.zeros(CHORD_DIM, dtype=np.uint8)
    vector[root % 12] = 1
    vector[12 + np.asarray(list(pitch_classes), dtype=int) % 12] = 1
    vector[24 + bass % 12] = 1
    return vector


def quality_name(root: int, chroma: np.ndarray) -> str:
    """The quality whose pitch-class set equals the chroma seen from the root, else "other"."""
    relative = tuple(sorted({(int(pc) - root) % 12 for pc in np.flatnonzero(chroma)}))
    for name, intervals in QUALITIES.items():
        if relative == intervals:
            return name
    return "other"


def beat_pitch_weights(roll: np.ndarray) -> np.ndarray:
    """[8, 128]: how many steps of each beat every pitch sounds (notes held from their onset)."""
    sounding = np.zeros((STEPS, PITCHES), dtype=np.float32)
    for note in roll_notes(roll):
        sounding[note.onset : note.onset + note.duration, note.pitch] = 1.0
    return sounding.reshape(BEATS, STEPS_PER_BEAT, PITCHES).sum(axis=1)


def label_chords(roll: np.ndarray) -> np.ndarray:
    """[8, 36] chords read from a texture roll by template matching (for decoded music).

    Per beat, the duration-weighted chroma is matched against every root x quality template
    (score: weight inside the template minus weight outside it, ties to the simpler quality);
    the bass is the lowest sounding pitch. A silent beat is N.C. (all zeros).
    """
    weights = beat_pitch_weights(roll)
    chords = np.zeros((BEATS, CHORD_DIM), dtype=np.uint8)
    for beat in range(BEATS):
        if weights[beat].sum() == 0:
            continue
        chroma = np.array([weights[beat, pc::12].sum() for pc in range(12)])
        root, intervals = _best_template(chroma)
        bass = int(np.flatnonzero(weights[beat])[0]) % 12
        chords[beat] = chord_vector(
            root=root, pitch_classes=[(root + i) % 12 for i in intervals], bass=bass
        )
    return chords


def _best_template(chroma: np.ndarray) -> tuple[int, tuple[int, ...]]:
    best, best_score = (0, QUALITIES["maj"]), -np.inf
    total = chroma.sum()
    for intervals in QUALITIES.values():
        for root in range(12):
            inside = sum(chroma[(root + i) % 12] for i in intervals)
            score = 2 * inside - total + 0.5 * chroma[root] - 0.01 * len(intervals)
            if score > best_score + 1e-9:
                best, best_score = (root, intervals), score
    return best


def transpose_rolls(rolls: np.ndarray, semitones: int) -> np.ndarray:
    """Rolls shifted in pitch; notes that would leave 0..127 are dropped."""
    shifted = np.zeros_like(rolls)
    if semitones >= 0:
        shifted[..., semitones:] = rolls[..., : PITCHES - semitones]
    else:
        shifted[..., :semitones] = rolls[..., -semitones:]
    return shifted


def transpose_chords(chords: np.ndarray, semitones: int) -> np.ndarray:
    """Chords with root, chroma and bass rotated by ``semitones`` (N.C. stays all zeros)."""
    parts = [np.roll(chords[..., k * 12 : (k + 1) * 12], semitones, axis=-1) for k in range(3)]
    return np.concatenate(parts, axis=-1)


def transpose_batch(rolls, chords, semitones: Sequence[int]):
    """Torch: each example of a batch shifted by its own number of semitones (augmentation)."""
    import torch

    out_rolls, out_chords = torch.zeros_like(rolls), torch.zeros_like(chords)
    for i, shift in enumerate(int(s) for s in semitones):
        if shift >= 0:
            out_rolls[i, :, shift:] = rolls[i, :, : PITCHES - shift]
        else:
            out_rolls[i, :, :shift] = rolls[i, :, -shift:]
        for k in range(3):
            out_chords[i, :, k * 12 : (k + 1) * 12] = torch.roll(
                chords[i, :, k * 12 : (k + 1) * 12], shift, dims=-1
            )
    return out_rolls, out_chords


# ----- music21 ---------------------------------------------------------------------------------
class UnsupportedScore(ValueError):
    """A score this extractor cannot cut into 2-bar-of-4/4 segments (the message says why)."""


def score_notes(score) -> tuple[list[tuple[Fraction, int, Fraction]], Fraction, Fraction]:
    """(notes as (offset, pitch, quarter length) from bar 1, first downbeat, end) of a score in
    4/4 or 2/2, ties merged. Raises UnsupportedScore for other meters."""
    signatures = score.flatten().getElementsByClass("TimeSignature")
    if not signatures or any(ts.barDuration.quarterLength != 4 for ts in signatures):
        raise UnsupportedScore("meter not 4/4 or 2/2")
    parts = list(score.parts) or [score]
    anchor = _first_downbeat(parts[0])
    notes = []
    for element in score.stripTies().flatten().notes:
        if element.duration.isGrace or element.quarterLength <= 0:
            continue
        for pitch in element.pitches:
            notes.append(
                (Fraction(element.offset) - anchor, pitch.midi, Fraction(element.quarterLength))
            )
    end = Fraction(score.highestTime) - anchor
    return notes, anchor, end


def _first_downbeat(part) -> Fraction:
    measures = list(part.getElementsByClass("Measure"))
    if len(measures) < 2:
        return Fraction(0)
    first = measures[0]
    pickup = first.paddingLeft > 0 or first.duration.quarterLength < 4
    return Fraction(measures[1].offset) if pickup else Fraction(0)


def chordify_beats(score, *, anchor: Fraction, beats: int) -> np.ndarray:
    """[beats, 36] chord per beat from ``score.chordify()``: per beat the chordified sonority
    sounding longest inside it (root and bass by music21); N.C. where nothing sounds."""
    chords = np.zeros((beats, CHORD_DIM), dtype=np.uint8)
    best = np.zeros(beats)
    for chord in score.chordify().flatten().getElementsByClass("Chord"):
        start = Fraction(chord.offset) - anchor
        end = start + Fraction(chord.quarterLength)
        for beat in range(max(0, int(start)), min(beats, int(np.ceil(float(end))))):
            overlap = float(min(end, beat + 1) - max(start, Fraction(beat)))
            if overlap > best[beat]:
                best[beat] = overlap
                chords[beat] = chord_vector(
                    root=chord.root().pitchClass,
                    pitch_classes=chord.pitchClasses,
                    bass=chord.bass().pitchClass,
                )
    return chords


def segments_of_score(score, *, min_onsets: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """2-bar segments (hop 1 bar) of a 4/4 score: rolls [K, 32, 128], chords [K, 8, 36].

    Segments with a beat without a chord or fewer than ``min_onsets`` onsets are skipped."""
    notes, anchor, end = score_notes(score)
    total_beats = int(end)
    chords = chordify_beats(score, anchor=anchor, beats=total_beats)
    rolls, segment_chords = [], []
    for first_beat in range(0, total_beats - BEATS + 1, 4):
        segment = [
            Note(
                round((offset - first_beat) * STEPS_PER_BEAT),
                pitch,
                max(1, round(length * STEPS_PER_BEAT)),
            )
            for offset, pitch, length in notes
            if first_beat <= offset < first_beat + BEATS
        ]
        chord = chords[first_beat : first_beat + BEATS]
        if len(segment) < min_onsets or not chord[:, :12].any(axis=1).all():
            continue
        rolls.append(texture_roll(segment))
        segment_chords.append(chord)
    if not rolls:
        return (np.zeros((0, STEPS, PITCHES), np.uint8), np.zeros((0, BEATS, CHORD_DIM), np.uint8))
    return np.stack(rolls), np.stack(segment_chords)


def music21_works(
    *,
    sources: Sequence[str],
    max_works: int | None,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], Counter]:
    """Segments per music21 work id, and why works were skipped."""
    from modeling.data.corpus import list_corpus_works, parse_work, select_works

    works = select_works(list_corpus_works(sources=sources), max_works=max_works, seed=seed)
    found, skipped = {}, Counter()
    for done, work in enumerate(works, start=1):
        try:
            rolls, chords = segments_of_score(parse_work(work))
        except UnsupportedScore as error:
            skipped[str(error)] += 1
        except Exception as error:  # music21 raises many kinds on malformed files
            skipped[f"unreadable ({type(error).__name__})"] += 1
        else:
            if len(rolls):
                found[work.work_id] = (rolls, chords)
            else:
                skipped["no usable segment"] += 1
        if progress is not None:
            progress(done, len(works))
    return found, skipped


# ----- the corpus ------------------------------------------------------------------------------
def build_segment_corpus(
    *,
    max_works: int | None = 150,
    sources: Sequence[str] = DEFAULT_SOURCES,
    include_generated: bool = True,
    val_fraction: float = 0.1,
    seed: int = 0,
    cache_path: Path | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SegmentCorpus:
    """Train/val segments from music21 (at most ``max_works`` works) and the generated set,
    split by work; cached to ``cache_path`` (.npz) when given and reused when the settings
    match. Parsing and chordifying takes about a second per work on one core."""
    settings = {
        "cache_format": CACHE_FORMAT_VERSION,
        "sources": list(sources),
        "max_works": max_works,
        "include_generated": include_generated,
        "val_fraction": float(val_fraction),
        "seed": int(seed),
    }
    if cache_path is not None:
        cached = load_cached_corpus(Path(cache_path), settings=settings)
        if cached is not None:
            return cached
    groups: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    skipped: Counter = Counter()
    if sources and max_works != 0:
        groups["music21"], skipped = music21_works(
            sources=sources, max_works=max_works, seed=seed, progress=progress
        )
    if include_generated:
        from modeling.vis2mus.accompaniment import generated_works  # it builds on this module

        groups["generated"] = generated_works(seed)
    train, val = {}, {}
    for works in groups.values():
        train_ids, val_ids = split_by_work(sorted(works), val_fraction=val_fraction, seed=seed)
        train.update({w: works[w] for w in train_ids})
        val.update({w: works[w] for w in val_ids})
    corpus = SegmentCorpus(
        train=_stack(train, shuffle_seed=seed),
        val=_stack(val, shuffle_seed=None),
        description=_describe(settings, groups, skipped, train, val),
    )
    if cache_path is not None:
        save_corpus(corpus, Path(cache_path))
    return corpus


def split_by_work(work_ids: Sequence[str], *, val_fraction: float, seed: int):
    """Seeded (train ids, val ids); each work in exactly one, at least one in each."""
    if len(work_ids) < 2:
        raise ValueError(f"need at least 2 works to split train/val, got {len(work_ids)}")
    order = np.random.default_rng(seed).permutation(len(work_ids))
    n_val = min(len(work_ids) - 1, max(1, round(val_fraction * len(work_ids))))
    return (
        sorted(work_ids[i] for i in order[n_val:]),
        sorted(work_ids[i] for i in order[:n_val]),
    )


def _stack(works: dict, *, shuffle_seed: int | None) -> SegmentSet:
    ids = sorted(works)
    rolls = np.concatenate([works[w][0] for w in ids])
    chords = np.concatenate([works[w][1] for w in ids])
    labels = [w for w in ids for _ in range(len(works[w][0]))]
    if shuffle_seed is not None:
        order = np.random.default_rng(shuffle_seed).permutation(len(rolls))
        rolls, chords, labels = rolls[order], chords[order], [labels[i] for i in order]
    return SegmentSet(rolls=rolls, chords=chords, works=labels)


def _describe(settings, groups, skipped, train, val) -> dict:
    return {
        "source": "music21 core corpus (chordify chord labels) + generated accompaniments",
        "settings": settings,
        "encoding": "texture roll 32x128 (duration in steps at each onset); chords 8 beats x 36 "
        "(root one-hot, chroma, bass one-hot)",
        "works": {
            "per_source": {name: len(works) for name, works in groups.items()},
            "train": len(train),
            "val": len(val),
            "skipped": dict(skipped),
        },
        "counts": {
            "train": int(sum(len(r) for r, _ in train.values())),
            "val": int(sum(len(r) for r, _ in val.values())),
        },
        "split_rule": SPLIT_RULE,
        "augmentation": "each training batch transposed by a random -5..+6 semitones",
    }


def save_corpus(corpus: SegmentCorpus, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez_compressed(
            handle,
            train_rolls=corpus.train.rolls,
            train_chords=corpus.train.chords,
            train_works=np.array(corpus.train.works),
            val_rolls=corpus.val.rolls,
            val_chords=corpus.val.chords,
            val_works=np.array(corpus.val.works),
            description=np.array(json.dumps(corpus.description)),
        )


def load_corpus(path: Path | str) -> SegmentCorpus:
    with np.load(path, allow_pickle=False) as data:
        sets = {
            split: SegmentSet(
                rolls=data[f"{split}_rolls"],
                chords=data[f"{split}_chords"],
                works=[str(w) for w in data[f"{split}_works"]],
            )
            for split in ("train", "val")
        }
        description = json.loads(str(data["description"]))
    return SegmentCorpus(train=sets["train"], val=sets["val"], description=description)


def load_cached_corpus(path: Path, *, settings: dict) -> SegmentCorpus | None:
    if not path.exists():
        return None
    try:
        corpus = load_corpus(path)
    except (OSError, ValueError, KeyError):
        return None
    return corpus if corpus.description.get("settings") == settings else None
