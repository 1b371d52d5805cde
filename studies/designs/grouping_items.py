"""The items of a style-grouping study: dated works, their groups, the draw, the clips.

Groups are the four style periods (PERIODS, first and last year both in the period: Baroque
is 1600-1750, so Bach's 1703-1750 is Baroque) or, with `band_years`, bands of that many
years. An item belongs to a group only when its whole dated span lies inside it (a work dated
"1582-1643" by its composer's active years belongs to no period), so no item sits on a
border. The draw is seeded and spreads each group over its creators (and, for an import, its
media kinds) in turn, so a Baroque group is not four Bach chorales when Corelli and Handel are
there too.

Scores and MIDI files become clips as every study renders music (modeling.render, General MIDI
piano through TinySoundFont): `clip_seconds` of the work from the start of one of its clips
(modeling.chronology.scores.cut_clips), at a common pace (the median gap between successive
onsets is PACE_S seconds), so the speed an edition notates (long note values in Renaissance
editions) does not give the period away, nor does the instrument. No Django here except the
import's rows, read by the caller.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PACE_S = 0.3  # seconds between successive onsets, at the median
SLOWEST_QUARTER_S, FASTEST_QUARTER_S = 2.0, 0.15


@dataclass(frozen=True)
class Group:
    label: str
    first: int  # first year in the group
    last: int  # last year in the group

    def holds(self, start_year: float, end_year: float) -> bool:
        return self.first <= start_year and end_year <= self.last


PERIODS = (
    Group("Renaissance", 1400, 1599),
    Group("Baroque", 1600, 1750),
    Group("Classical", 1751, 1820),
    Group("Romantic", 1821, 1910),
)


@dataclass(frozen=True)
class Candidate:
    """A dated work that may become an item: a music21 work, or an imported item."""

    name: str  # what the stimulus key is made from (never shown to participants)
    creator: str
    kind: str  # "score" (music21), "midi", "audio" or "image"
    start_year: float
    end_year: float
    source: object  # the DatedWork, or the ImportedItem's id
    provenance: dict = field(default_factory=dict)


def year_bands(candidates: Iterable[Candidate], band_years: int) -> list[Group]:
    """Bands of `band_years` years (multiples of it) covering every candidate's year."""
    starts = [int(c.start_year) // band_years * band_years for c in candidates]
    if not starts:
        return []
    return [
        Group(f"{start}-{start + band_years - 1}", start, start + band_years - 1)
        for start in range(min(starts), max(starts) + 1, band_years)
    ]


def candidates_by_group(
    candidates: Iterable[Candidate], groups: Sequence[Group]
) -> dict[Group, list[Candidate]]:
    found: dict[Group, list[Candidate]] = {group: [] for group in groups}
    for candidate in candidates:
        for group in groups:
            if group.holds(candidate.start_year, candidate.end_year):
                found[group].append(candidate)
                break
    return found


def spread_order(candidates: Sequence[Candidate], rng: random.Random) -> list[Candidate]:
    """Seeded order taking each (kind, creator) in turn: one of each before a second of any."""
    by_source: dict[tuple[str, str], list[Candidate]] = {}
    for candidate in candidates:
        by_source.setdefault((candidate.kind, candidate.creator), []).append(candidate)
    queues = [rng.sample(members, len(members)) for _, members in sorted(by_source.items())]
    rng.shuffle(queues)
    ordered = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop())
    return ordered


def chosen_groups(
    by_group: dict[Group, list[Candidate]], *, n_groups: int, needed: int
) -> tuple[list[Group], list[str]]:
    """`n_groups` groups with at least `needed` candidates each, spread evenly over time
    (with four periods and two groups: the first and the last); or the reason there are not."""
    eligible = [group for group, members in by_group.items() if len(members) >= needed]
    if len(eligible) < n_groups:
        counts = ", ".join(f"{group.label}: {len(members)}" for group, members in by_group.items())
        return [], [
            f"Only {len(eligible)} group(s) have the {needed} dated items needed for "
            f"{n_groups} groups ({counts or 'no dated items'}); ask for fewer groups or items."
        ]
    if n_groups == 1:
        return [eligible[0]], []
    step = (len(eligible) - 1) / (n_groups - 1)
    return [eligible[round(i * step)] for i in range(n_groups)], []


def corpus_candidates() -> list[Candidate]:
    """The offline corpus' dated works (music21's bundled art music)."""
    from modeling.chronology.corpus import dated_works

    return [
        Candidate(
            name=work.ref.work_id,
            creator=work.ref.source,
            kind="score",
            start_year=work.start_year,
            end_year=work.end_year,
            source=work,
            provenance={
                "work": work.ref.work_id,
                "composer": work.ref.source,
                "years": [work.start_year, work.end_year],
                "dated_by": work.dated_by,
            },
        )
        for work in dated_works()
    ]


def score_clip(candidate: Candidate, *, seconds: float, rng: random.Random):
    """(audio FLAC, MIDI) of a music21 work, or None when it gives no clip."""
    from modeling.chronology.scores import notes_from_music21
    from modeling.data.corpus import parse_work

    try:
        notes = notes_from_music21(parse_work(candidate.source.ref))
    except Exception:  # music21 raises many kinds on malformed files
        return None
    return notes_clip(notes, seconds=seconds, rng=rng)


def midi_clip(path, *, seconds: float, rng: random.Random):
    """(audio FLAC, MIDI) of a MIDI file, or None when it gives no clip."""
    from modeling.chronology.scores import notes_from_midi

    try:
        notes = notes_from_midi(path)
    except ValueError:
        return None
    return notes_clip(notes, seconds=seconds, rng=rng)


def notes_clip(notes, *, seconds: float, rng: random.Random):
    """`seconds` of music from the start of one of the piece's clips, at the common pace."""
    import numpy as np

    from modeling.chronology.scores import cut_clips
    from modeling.render import clip_files

    clips = cut_clips(notes, max_clips=5)
    if not clips:
        return None
    clip = clips[rng.randrange(len(clips))]
    gaps = np.diff(clip.onset_times)
    quarter_s = PACE_S / float(np.median(gaps)) if len(gaps) else 0.5
    quarter_s = min(max(quarter_s, FASTEST_QUARTER_S), SLOWEST_QUARTER_S)
    begin = float(clip.onset[0])
    midi = piano_midi(clip, begin=begin, quarter_s=quarter_s, seconds=seconds)
    if midi is None:
        return None
    return clip_files(midi, length_s=seconds)


def piano_midi(notes, *, begin: float, quarter_s: float, seconds: float):
    """The notes from `begin` (quarter notes) as piano MIDI, cut at `seconds`; None if empty."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=60.0 / quarter_s)
    piano = pretty_midi.Instrument(program=0)
    for onset, duration, pitch in zip(notes.onset, notes.duration, notes.pitch, strict=True):
        start = (float(onset) - begin) * quarter_s
        if start < 0 or start >= seconds or not 0 <= int(pitch) <= 127:
            continue
        end = min(start + float(duration) * quarter_s, seconds)
        piano.notes.append(pretty_midi.Note(80, int(pitch), start, max(end, start + 0.05)))
    if not piano.notes:
        return None
    midi.instruments.append(piano)
    return midi
