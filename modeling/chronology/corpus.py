"""The offline chronology corpus: music21's bundled art music, dated, cut into clips, featured.

Works come from music21's core corpus (``modeling.data.corpus.list_corpus_works``); a work
given in two formats is kept once (MusicXML before Humdrum before ABC; Roman-numeral analyses
are left out), and movements of one piece form one group (they share a split). Each work is
dated by, in order: the composition date in music21's metadata, the work table
(``modeling.data.composers.WORK_DATES``), the composer's active years, or the collection's
years; its year is the middle of that span and its uncertainty half the span.

The default sources are the composers and the two dated art-music collections (trecento, the
Q15 Gloria): from the 14th century to Webern. Folk-song collections are left out by default:
their only dates are when they were collected or printed, which would teach the network
"folk tune", not a period. Nothing here is art: the offline corpus is music only.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import re
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from modeling.chronology.data import (
    SPLIT_RULE,
    ChronologyData,
    ModalityItems,
    load_data,
    save_data,
    split_groups_by_period,
)
from modeling.chronology.music_features import SCORE_FEATURE_NAMES, score_features
from modeling.chronology.scores import DEFAULT_ONSETS_PER_CLIP, cut_clips, notes_from_music21
from modeling.data.composers import COMPOSERS, work_years
from modeling.data.corpus import WorkRef, list_corpus_works, parse_work

DEFAULT_SOURCES: tuple[str, ...] = (*sorted(COMPOSERS), "luca", "trecento")
FORMAT_ORDER = (".mxl", ".musicxml", ".xml", ".krn", ".abc")
DEFAULT_MAX_CLIPS_PER_WORK = 6
CACHE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class DatedWork:
    ref: WorkRef
    group: str  # the piece: movements of one piece share it
    start_year: int
    end_year: int
    dated_by: str

    @property
    def year(self) -> float:
        return (self.start_year + self.end_year) / 2.0

    @property
    def uncertainty(self) -> float:
        return (self.end_year - self.start_year) / 2.0


def dated_works(*, sources: Sequence[str] = DEFAULT_SOURCES) -> list[DatedWork]:
    """Every work of the sources, once each, with its dates (see the module docstring)."""
    metadata_dates = music21_dates()
    chosen: dict[tuple[str, int | None], WorkRef] = {}
    for ref in list_corpus_works(sources=sources):
        suffix = PurePosixPath(ref.path).suffix.lower()
        if suffix not in FORMAT_ORDER:
            continue
        key = (str(PurePosixPath(ref.path).with_suffix("")), ref.number)
        held = chosen.get(key)
        if held is None or FORMAT_ORDER.index(suffix) < FORMAT_ORDER.index(
            PurePosixPath(held.path).suffix.lower()
        ):
            chosen[key] = ref
    works = []
    for key in sorted(chosen, key=lambda k: (k[0], k[1] or 0)):
        ref = chosen[key]
        if ref.work_id in metadata_dates:
            start, end = metadata_dates[ref.work_id]
            dated_by = "music21 metadata: composition date"
        else:
            start, end, dated_by = work_years(ref.path)
        works.append(DatedWork(ref, piece_group(ref), start, end, dated_by))
    return works


def piece_group(ref: WorkRef) -> str:
    """The piece a file belongs to: its folder when the file is a movement
    (``beethoven/opus59no1/movement2.mxl`` -> ``beethoven/opus59no1``), else the file without its
    format; tunes of a composer's ABC file are parts of one piece, a songbook's tunes are not."""
    path = PurePosixPath(ref.path)
    if len(path.parts) >= 3:
        return str(path.parent)
    stem = str(path.with_suffix(""))
    if ref.number is not None and ref.source not in COMPOSERS:
        return f"{stem}#{ref.number}"
    return stem


def music21_dates() -> dict[str, tuple[int, int]]:
    """Work id -> (first, last) year of the composition dates music21's metadata records."""
    from music21 import corpus as m21corpus

    bundle = m21corpus.corpora.CoreCorpus().metadataBundle
    entries = getattr(bundle, "_metadataEntries", None)
    entries = list(entries.values()) if entries is not None else list(bundle)
    dates = {}
    for entry in entries:
        created = entry.metadata.dateCreated if entry.metadata is not None else None
        years = [int(y) for y in re.findall(r"\d{4}", str(created))] if created else []
        if years:
            ref = WorkRef(
                source=str(entry.sourcePath).split("/")[0],
                path=Path(entry.sourcePath).as_posix(),
                number=entry.number,
            )
            dates[ref.work_id] = (min(years), max(years))
    return dates


def select_by_source(
    works: Sequence[DatedWork], *, max_per_source: int | None, seed: int
) -> list[DatedWork]:
    """At most ``max_per_source`` works of each source, drawn with the seed (all when None)."""
    if max_per_source is None:
        return list(works)
    rng = np.random.default_rng(seed)
    by_source: dict[str, list[DatedWork]] = {}
    for work in works:
        by_source.setdefault(work.ref.source, []).append(work)
    chosen = []
    for _, group in sorted(by_source.items()):
        picks = sorted(rng.permutation(len(group))[:max_per_source])
        chosen.extend(group[i] for i in picks)
    return chosen


def clip_features_of_work(
    work: DatedWork, *, onsets_per_clip: int, max_clips: int
) -> tuple[DatedWork, np.ndarray | None, str | None]:
    """(work, [clips, 90] features, None) or (work, None, why it gives no clip)."""
    try:
        notes = notes_from_music21(parse_work(work.ref))
    except Exception as error:  # music21 raises many kinds on malformed files
        return work, None, f"unreadable ({type(error).__name__})"
    clips = cut_clips(notes, onsets_per_clip=onsets_per_clip, max_clips=max_clips)
    if not clips:
        return work, None, "too few notes for a clip"
    return work, np.stack([score_features(clip) for clip in clips]), None


def build_music_corpus(
    *,
    sources: Sequence[str] = DEFAULT_SOURCES,
    max_works_per_source: int | None = 100,
    onsets_per_clip: int = DEFAULT_ONSETS_PER_CLIP,
    max_clips_per_work: int = DEFAULT_MAX_CLIPS_PER_WORK,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    cache_path: Path | str | None = None,
    progress: Callable[[int, int], None] | None = None,
    processes: int = 1,
) -> ChronologyData:
    """The offline music corpus as ``ChronologyData`` (music only), cached when asked.

    A cache written with other settings is rebuilt. Parsing a few hundred works takes minutes
    on one core; ``processes`` parses in parallel (same result).
    """
    settings = {
        "cache_format": CACHE_FORMAT_VERSION,
        "sources": list(sources),
        "max_works_per_source": max_works_per_source,
        "onsets_per_clip": onsets_per_clip,
        "max_clips_per_work": max_clips_per_work,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
        "seed": seed,
    }
    if cache_path is not None and Path(cache_path).exists():
        with contextlib.suppress(OSError, ValueError, KeyError):
            cached = load_data(cache_path)
            if cached.description.get("settings") == settings:
                return cached
    works = select_by_source(
        dated_works(sources=sources), max_per_source=max_works_per_source, seed=seed
    )
    extract = functools.partial(
        clip_features_of_work, onsets_per_clip=onsets_per_clip, max_clips=max_clips_per_work
    )
    found, skipped = _extract_all(works, extract, progress=progress, processes=processes)
    data = ChronologyData(
        music=_items_of(found, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed)
    )
    data.description = _describe(settings, works, found, skipped, data.music)
    if cache_path is not None:
        save_data(data, cache_path)
    return data


def _extract_all(works, extract, *, progress, processes):
    found: list[tuple[DatedWork, np.ndarray]] = []
    skipped: Counter = Counter()
    with contextlib.ExitStack() as stack:
        if processes > 1:
            pool = stack.enter_context(
                ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
            )
            results = pool.map(extract, works, chunksize=8)
        else:
            results = map(extract, works)
        for done, (work, features, reason) in enumerate(results, start=1):
            if features is None:
                skipped[reason] += 1
            else:
                found.append((work, features))
            if progress is not None:
                progress(done, len(works))
    if not found:
        raise ValueError("no work of the chosen sources gave a clip")
    return found, skipped


def _items_of(found, *, val_fraction: float, test_fraction: float, seed: int) -> ModalityItems:
    rows = [(work, index, row) for work, features in found for index, row in enumerate(features)]
    groups = np.array([work.group for work, _, _ in rows])
    years = np.array([work.year for work, _, _ in rows])
    return ModalityItems(
        features=np.stack([row for _, _, row in rows]),
        years=years,
        uncertainty=np.array([work.uncertainty for work, _, _ in rows]),
        groups=groups,
        sources=np.array([work.ref.source for work, _, _ in rows]),
        split=split_groups_by_period(
            groups, years, val_fraction=val_fraction, test_fraction=test_fraction, seed=seed
        ),
        names=np.array([f"{work.ref.work_id}@clip{index}" for work, index, _ in rows]),
    )


def _describe(settings, works, found, skipped, items: ModalityItems) -> dict:
    import music21

    dated_by = Counter(work.dated_by.split(":")[0] for work, _ in found)
    return {
        "source": f"music21 {music21.__version__} core corpus (music only; no images offline)",
        "settings": settings,
        "features": f"{len(SCORE_FEATURE_NAMES)} score features per clip (music_features.py)",
        "clip_rule": (
            f"non-overlapping windows of {settings['onsets_per_clip']} successive onset times, "
            f"at most {settings['max_clips_per_work']} per work spread over it, at least 16 notes"
        ),
        "split_rule": SPLIT_RULE,
        "works": {
            "listed": len(works),
            "with_clips": len(found),
            "skipped": dict(skipped),
            "dated_by": dict(dated_by),
            "per_source": dict(Counter(work.ref.source for work, _ in found)),
        },
        "counts": items.counts(),
        "test_groups": sorted({str(g) for g in items.groups[items.in_split("test")]}),
        "year_range": [float(items.years.min()), float(items.years.max())],
    }
