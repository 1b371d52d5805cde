"""Stimuli of the period matching study ("which of these is from the same period as this
clip?"): the works a study draws from, the trials chosen among them, and clips rendered from
the offline corpus' scores. No Django; the study kind (studies/designs/period_matching.py)
calls these.

A trial is a prompt and ``n_options`` options: the **answer**, a work made within ``window``
years of the prompt, and distractors made at least ``min_gap`` years away from it, chosen at
random (``"year"``) or as the works nearest the prompt in the chronological embedding
(``"embedding"``: near in the embedding, far in time, the hard choices of
``generate.hard_distractors``). No work is used twice as a prompt or an answer, and a work
that is a prompt or an answer in one trial is never a distractor in another; only
distractors may recur. What separates the two periods of a trial is its **gap**: the years
between the prompt and the nearest distractor.

The offline pool (``corpus_pool``) is drawn from ``corpus.dated_works`` round-robin over
50-year periods with the seed (Palestrina alone would otherwise be two works in three),
leaving out scores over ``MAX_SCORE_BYTES`` (music21 takes up to 20 s to parse a long
quartet); each work gives one clip of ``scores.DEFAULT_ONSETS_PER_CLIP`` onset times, the
middle one. ``clip_midi`` plays a clip on one piano at a tempo set from its own note
spacing, so neither the edition's note values nor the instruments tell the period.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

PERIOD_YEARS = 50  # the periods the offline pool is drawn round-robin over
MAX_SCORE_BYTES = 200_000
ONSET_SPACING_S = 0.25  # the median time between successive onsets of a rendered clip
TEMPO_RANGE_QPM = (30.0, 480.0)  # editions write from sixteenths to breves
PIANO = 0  # General MIDI program of every rendered clip


class MatchingError(ValueError):
    """The trials cannot be made; the message is one sentence for the researcher."""


@dataclass(frozen=True)
class Candidate:
    """A work (or an imported item) a trial may use."""

    key: str  # how the caller names it
    work: str  # items sharing it are one work: never in one trial together, used once
    year: float
    modality: str  # "music" or "image"


@dataclass(frozen=True)
class MatchingTrial:
    prompt: str
    answer: str
    distractors: tuple[str, ...]
    gap: float  # years between the prompt and the nearest distractor

    def to_dict(self) -> dict:
        return {**asdict(self), "distractors": list(self.distractors)}

    @classmethod
    def from_dict(cls, data: dict) -> MatchingTrial:
        return cls(data["prompt"], data["answer"], tuple(data["distractors"]), data["gap"])


def choose_matching_trials(
    candidates: Sequence[Candidate],
    *,
    n_trials: int,
    n_options: int,
    window: float,
    min_gap: float,
    prompt_modality: str = "music",
    option_modality: str = "music",
    distractors: str = "year",
    embeddings: dict[str, np.ndarray] | None = None,
    seed: int = 0,
) -> list[MatchingTrial]:
    """``n_trials`` trials (see the module docstring), the same for the same seed.

    ``embeddings`` (key -> vector) is needed for ``distractors="embedding"``. Raises
    MatchingError when the candidates cannot give that many trials.
    """
    if window >= min_gap:
        raise MatchingError("The same-period window must be smaller than the distractors' gap.")
    if distractors not in ("year", "embedding"):
        raise MatchingError("Distractors are chosen by 'year' or by 'embedding'.")
    rng = random.Random(seed)
    options = [c for c in candidates if c.modality == option_modality]
    prompts = [
        c
        for c in candidates
        if c.modality == prompt_modality and far_works(c, options, min_gap=min_gap) >= n_options - 1
    ]
    pairs = same_period_pairs(prompts, options, count=n_trials, window=window, rng=rng)
    if len(pairs) < n_trials:
        raise MatchingError(
            f"Only {len(pairs)} prompts have a work of another piece within {window:g} years "
            f"and enough works {min_gap:g}+ years away; {n_trials} trials were asked for."
        )
    used = {c.work for pair in pairs for c in pair}
    free = [c for c in options if c.work not in used]
    trials = []
    for prompt, answer in pairs:
        far = [c for c in free if abs(c.year - prompt.year) >= min_gap]
        chosen = pick_distractors(
            prompt, far, count=n_options - 1, how=distractors, embeddings=embeddings, rng=rng
        )
        gap = min(abs(c.year - prompt.year) for c in chosen)
        trials.append(MatchingTrial(prompt.key, answer.key, tuple(c.key for c in chosen), gap))
    return trials


def far_works(prompt: Candidate, options: Sequence[Candidate], *, min_gap: float) -> int:
    """How many works of the options lie ``min_gap`` or more years from the prompt."""
    return len({c.work for c in options if abs(c.year - prompt.year) >= min_gap})


def same_period_pairs(
    prompts: Sequence[Candidate],
    options: Sequence[Candidate],
    *,
    count: int,
    window: float,
    rng: random.Random,
) -> list[tuple[Candidate, Candidate]]:
    """(prompt, answer) pairs of different works within ``window`` years, each work in one
    pair at most; prompts drawn round-robin over periods so the trials span the years."""
    used: set[str] = set()
    pairs = []
    for prompt in round_robin_by_period(prompts, rng=rng):
        if len(pairs) == count:
            break
        if prompt.work in used:
            continue
        partners = [
            c
            for c in options
            if c.work not in used and c.work != prompt.work and abs(c.year - prompt.year) <= window
        ]
        if partners:
            answer = rng.choice(partners)
            used |= {prompt.work, answer.work}
            pairs.append((prompt, answer))
    return pairs


def round_robin_by_period(items: Sequence, *, rng: random.Random, year=lambda item: item.year):
    """The items shuffled within their 50-year period, then one period after another."""
    periods: dict[int, list] = {}
    for item in items:
        periods.setdefault(int(year(item) // PERIOD_YEARS), []).append(item)
    queues = []
    for period in sorted(periods):
        members = list(periods[period])
        rng.shuffle(members)
        queues.append(members)
    rng.shuffle(queues)
    ordered = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


def pick_distractors(
    prompt: Candidate,
    far: Sequence[Candidate],
    *,
    count: int,
    how: str,
    embeddings: dict[str, np.ndarray] | None,
    rng: random.Random,
) -> list[Candidate]:
    """``count`` works of different pieces from ``far``: at random, or nearest the prompt in
    the embedding first."""
    if how == "embedding":
        if embeddings is None:
            raise MatchingError("Distractors by embedding need the works' embeddings.")
        query = np.asarray(embeddings[prompt.key])
        ordered = sorted(
            far, key=lambda c: (float(((np.asarray(embeddings[c.key]) - query) ** 2).sum()), c.key)
        )
    else:
        ordered = rng.sample(list(far), len(far))
    chosen: list[Candidate] = []
    for candidate in ordered:
        if candidate.work not in {c.work for c in chosen}:
            chosen.append(candidate)
        if len(chosen) == count:
            return chosen
    raise MatchingError(
        f"Only {len(chosen)} unused works lie far enough from a prompt of {prompt.year:g}; "
        f"{count} distractors are needed."
    )


# ----- the offline pool ------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolWork:
    """One work of the offline corpus with the clip a study plays of it."""

    key: str  # the music21 work id
    work: str  # the piece (movements share it)
    year: float
    uncertainty: float
    dated_by: str
    composer: str
    notes: list = field(default_factory=list)  # [onset, duration, pitch, part] rows of the clip

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PoolWork:
        return cls(**data)

    def candidate(self) -> Candidate:
        return Candidate(self.key, self.work, self.year, "music")


def corpus_pool(
    *,
    size: int,
    seed: int,
    window: float,
    progress: Callable[[int, int], None] | None = None,
) -> list[PoolWork]:
    """About ``size`` works of the offline corpus with a clip each (see the module
    docstring), drawn in pairs: each work with one of another piece within ``window`` years
    when there is one, so that every period drawn can give a same-period answer."""
    from modeling.chronology.corpus import dated_works

    works = [w for w in dated_works() if score_bytes(w.ref.path) <= MAX_SCORE_BYTES]
    rng = random.Random(seed)
    pool: list[PoolWork] = []
    tried: set[str] = set()
    for work in round_robin_by_period(works, rng=rng):
        if len(pool) >= size:
            break
        if work.ref.work_id in tried:
            continue
        tried.add(work.ref.work_id)
        first = pool_work(work)
        if first is None:
            continue
        pool.append(first)
        partners = [
            w
            for w in works
            if w.ref.work_id not in tried
            and w.group != work.group
            and abs(w.year - work.year) <= window
        ]
        for partner in rng.sample(partners, min(len(partners), 3)):
            tried.add(partner.ref.work_id)
            second = pool_work(partner)
            if second is not None:
                pool.append(second)
                break
        if progress is not None:
            progress(min(len(pool), size), size)
    return pool


def score_bytes(path: str) -> int:
    from pathlib import Path

    from music21 import corpus as m21corpus

    return Path(m21corpus.getWork(path)).stat().st_size


def pool_work(work) -> PoolWork | None:
    """The work with its middle clip, or None when it cannot be read or is too short."""
    from modeling.chronology.scores import cut_clips, notes_from_music21
    from modeling.data.composers import COLLECTIONS, COMPOSERS
    from modeling.data.corpus import parse_work

    try:
        clips = cut_clips(notes_from_music21(parse_work(work.ref)))
    except Exception:  # music21 raises many kinds on malformed files
        return None
    if not clips:
        return None
    clip = clips[len(clips) // 2]
    source = work.ref.source
    composer = COMPOSERS[source].name if source in COMPOSERS else COLLECTIONS[source].name
    rows = [
        [float(o), float(d), int(p), int(q)]
        for o, d, p, q in zip(clip.onset, clip.duration, clip.pitch, clip.part, strict=True)
    ]
    return PoolWork(
        work.ref.work_id, work.group, work.year, work.uncertainty, work.dated_by, composer, rows
    )


def clip_features(rows: list) -> np.ndarray:
    """The 90 score features of a clip's note rows (what a score-trained network embeds)."""
    from modeling.chronology.music_features import score_features

    return score_features(note_table(rows))


def note_table(rows: list):
    from modeling.chronology.scores import NoteTable

    return NoteTable.from_notes([(o, d, int(p), int(q)) for o, d, p, q in rows])


def clip_tempo_qpm(rows: list) -> float:
    """Quarter notes per minute that space the clip's onsets ``ONSET_SPACING_S`` apart (the
    median), within ``TEMPO_RANGE_QPM``."""
    onsets = np.unique([row[0] for row in rows])
    spacing = float(np.median(np.diff(onsets))) if len(onsets) > 1 else 1.0
    low, high = TEMPO_RANGE_QPM
    return float(np.clip(60.0 * spacing / ONSET_SPACING_S, low, high)) if spacing > 0 else low


def clip_midi(rows: list, *, seconds: float):
    """The clip as MIDI on one piano, from its first onset, cut at ``seconds``."""
    import pretty_midi

    qpm = clip_tempo_qpm(rows)
    seconds_per_quarter = 60.0 / qpm
    start = min(row[0] for row in rows)
    midi = pretty_midi.PrettyMIDI(initial_tempo=qpm)
    piano = pretty_midi.Instrument(program=PIANO)
    for onset, duration, pitch, _ in rows:
        begin = (onset - start) * seconds_per_quarter
        if begin >= seconds:
            continue
        end = min(begin + duration * seconds_per_quarter, seconds)
        piano.notes.append(pretty_midi.Note(velocity=80, pitch=int(pitch), start=begin, end=end))
    midi.instruments.append(piano)
    return midi


def clip_files(rows: list, *, seconds: float) -> tuple[bytes, bytes]:
    """(FLAC, MIDI) of the clip, ``seconds`` long, loudness-normalised, no tags."""
    from modeling import render

    return render.clip_files(clip_midi(rows, seconds=seconds), length_s=seconds)
