"""A 2-bar melody corpus from music21's bundled corpus (no network).

Works are listed from music21's shipped metadata bundle (one entry per tune of an ABC
songbook, one per file otherwise), parsed one at a time, cut into 2-bar melody windows
(:mod:`modeling.data.melody`), split into train/val BY WORK, transposed, deduplicated and
optionally cached to ``.npz``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import multiprocessing
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from modeling.data import melody

DEFAULT_SOURCES = ("essenFolksong", "oneills1850", "bach")
DEFAULT_TRANSPOSITIONS = tuple(range(-5, 7))
SPLIT_RULE = (
    "works that yield at least one window are shuffled with the seed; the first "
    "max(1, round(val_fraction * n_works)) go to val, the rest to train (no work in both). "
    "Transpositions are applied to both splits, identical windows are kept once per split, "
    "and val windows that also occur in train are removed from val."
)
CACHE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class WorkRef:
    """One work of music21's core corpus: a file, or one numbered tune of an ABC songbook."""

    source: str
    path: str
    number: int | None = None

    @property
    def work_id(self) -> str:
        return self.path if self.number is None else f"{self.path}#{self.number}"


@dataclass
class MelodyCorpus:
    train: np.ndarray
    val: np.ndarray
    description: dict = field(default_factory=dict)


def build_melody_corpus(
    *,
    max_works: int | None = None,
    sources: Sequence[str] = DEFAULT_SOURCES,
    transpositions: Sequence[int] = DEFAULT_TRANSPOSITIONS,
    val_fraction: float = 0.1,
    seed: int = 0,
    cache_path: Path | None = None,
    min_sounding_fraction: float = melody.DEFAULT_MIN_SOUNDING_FRACTION,
    progress: Callable[[int, int], None] | None = None,
    processes: int = 1,
) -> MelodyCorpus:
    """Build (or load from ``cache_path``) train/val melody windows [N, 32] int64.

    ``sources`` are music21 corpus folders (e.g. ``"essenFolksong"``, ``"bach"``,
    ``"oneills1850"``). With ``max_works``, that many works are drawn with the seed, spread
    round-robin over the sources. ``progress(done, total)`` is called after each parsed work.
    A full build of the default sources parses about 11,000 works and takes minutes; pass
    ``cache_path`` to do it once, and ``processes`` to parse in parallel (same result).
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    if not sources:
        raise ValueError("at least one music21 corpus source is needed")
    settings = {
        "cache_format": CACHE_FORMAT_VERSION,
        "sources": list(sources),
        "max_works": max_works,
        "transpositions": [int(t) for t in transpositions],
        "val_fraction": float(val_fraction),
        "seed": int(seed),
        "min_sounding_fraction": float(min_sounding_fraction),
    }
    if cache_path is not None:
        cached = load_cached_corpus(Path(cache_path), settings=settings)
        if cached is not None:
            return cached
    works = select_works(list_corpus_works(sources=sources), max_works=max_works, seed=seed)
    windows_by_work, skipped = extract_work_windows(
        works, min_sounding_fraction=min_sounding_fraction, progress=progress, processes=processes
    )
    train_ids, val_ids = split_works_by_id(
        sorted(windows_by_work), val_fraction=val_fraction, seed=seed
    )
    train = _stack_transposed(windows_by_work, train_ids, transpositions)
    val = _stack_transposed(windows_by_work, val_ids, transpositions)
    val_before_overlap = len(val)
    val = _drop_rows_in(val, train)
    rng = np.random.default_rng(seed)
    train = train[rng.permutation(len(train))]
    description = _describe(
        settings=settings,
        works=works,
        windows_by_work=windows_by_work,
        skipped=skipped,
        split=(train_ids, val_ids),
        arrays=(train, val),
        val_removed=val_before_overlap - len(val),
    )
    corpus = MelodyCorpus(train=train, val=val, description=description)
    if cache_path is not None:
        save_corpus(corpus, Path(cache_path))
    return corpus


def list_corpus_works(*, sources: Sequence[str]) -> list[WorkRef]:
    """All works of the given music21 corpus folders, in a stable order."""
    from music21 import corpus as m21corpus

    bundle = m21corpus.corpora.CoreCorpus().metadataBundle
    # The bundle's public iteration rebuilds a list per item (quadratic for 15,000 entries).
    entries = getattr(bundle, "_metadataEntries", None)
    entries = list(entries.values()) if entries is not None else list(bundle)
    wanted = set(sources)
    works = []
    for entry in entries:
        path = Path(entry.sourcePath).as_posix()
        source = path.split("/")[0]
        if source not in wanted:
            continue
        if path.endswith(".abc") and entry.number is None:
            continue  # the songbook as a whole; its tunes are listed one by one
        works.append(WorkRef(source=source, path=path, number=entry.number))
    missing = wanted - {w.source for w in works}
    if missing:
        raise ValueError(f"music21's corpus has no works in {sorted(missing)}")
    return sorted(works, key=lambda w: (w.source, w.path, w.number or 0))


def select_works(works: Sequence[WorkRef], *, max_works: int | None, seed: int) -> list[WorkRef]:
    """All works, or ``max_works`` drawn with the seed round-robin across sources."""
    if max_works is None or max_works >= len(works):
        return list(works)
    if max_works < 2:
        raise ValueError("max_works must be at least 2 (one work for train, one for val)")
    rng = np.random.default_rng(seed)
    per_source: dict[str, list[WorkRef]] = {}
    for work in works:
        per_source.setdefault(work.source, []).append(work)
    queues = [
        [group[i] for i in rng.permutation(len(group))] for _, group in sorted(per_source.items())
    ]
    chosen: list[WorkRef] = []
    while len(chosen) < max_works:
        for queue in queues:
            if queue and len(chosen) < max_works:
                chosen.append(queue.pop())
    return chosen


def extract_work_windows(
    works: Sequence[WorkRef],
    *,
    min_sounding_fraction: float = melody.DEFAULT_MIN_SOUNDING_FRACTION,
    progress: Callable[[int, int], None] | None = None,
    processes: int = 1,
) -> tuple[dict[str, np.ndarray], Counter]:
    """Melody windows per work id (works with none are left out) and why works were skipped.

    With ``processes > 1`` works are parsed in that many spawned processes; the result is
    the same as with one.
    """
    windows: dict[str, np.ndarray] = {}
    skipped: Counter = Counter()
    extract = functools.partial(windows_of_work, min_sounding_fraction=min_sounding_fraction)
    with contextlib.ExitStack() as stack:
        if processes > 1:
            pool = stack.enter_context(
                ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
            )
            results = pool.map(extract, works, chunksize=64)
        else:
            results = map(extract, works)
        for done, (work, found, reason) in enumerate(results, start=1):
            if found is not None:
                windows[work.work_id] = found
            else:
                skipped[reason] += 1
            if progress is not None:
                progress(done, len(works))
    return windows, skipped


def windows_of_work(
    work: WorkRef, *, min_sounding_fraction: float
) -> tuple[WorkRef, np.ndarray | None, str | None]:
    """(work, its melody windows, None), or (work, None, why it has none)."""
    try:
        found = melody.melodies_from_music21(
            parse_work(work), min_sounding_fraction=min_sounding_fraction
        )
    except melody.UnsupportedMeterError:
        return work, None, "meter not 2/4, 4/4 or 2/2"
    except Exception as error:  # music21 raises many kinds on malformed files
        return work, None, f"unreadable ({type(error).__name__})"
    if len(found) == 0:
        return work, None, "no usable window"
    return work, found, None


def parse_work(work: WorkRef):
    """The music21 score of one work (one tune when the file is an ABC songbook)."""
    from music21 import corpus as m21corpus

    if work.number is None:
        return m21corpus.parse(work.path)
    return m21corpus.parse(work.path, number=work.number)


def split_works_by_id(
    work_ids: Sequence[str], *, val_fraction: float, seed: int
) -> tuple[list[str], list[str]]:
    """Seeded split of work ids into (train, val); each id lands in exactly one."""
    if len(work_ids) < 2:
        raise ValueError(
            f"need at least 2 works with melody windows to split train/val, got {len(work_ids)}"
        )
    order = np.random.default_rng(seed).permutation(len(work_ids))
    n_val = n_val_works(len(work_ids), val_fraction)
    val = sorted(work_ids[i] for i in order[:n_val])
    train = sorted(work_ids[i] for i in order[n_val:])
    return train, val


def n_val_works(n_works: int, val_fraction: float) -> int:
    """How many of ``n_works`` works go to val (at least 1, at most n_works - 1)."""
    return min(n_works - 1, max(1, math.floor(val_fraction * n_works + 0.5)))


def save_corpus(corpus: MelodyCorpus, path: Path) -> None:
    """Write train/val arrays and the description (as JSON) to an ``.npz`` file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez_compressed(
            handle,
            train=corpus.train,
            val=corpus.val,
            description=np.array(json.dumps(corpus.description)),
        )


def load_corpus(path: Path) -> MelodyCorpus:
    """Read a corpus written by :func:`save_corpus`."""
    with np.load(path, allow_pickle=False) as data:
        description = json.loads(str(data["description"]))
        return MelodyCorpus(
            train=data["train"].astype(np.int64),
            val=data["val"].astype(np.int64),
            description=description,
        )


def load_cached_corpus(path: Path, *, settings: dict) -> MelodyCorpus | None:
    """The cached corpus if it exists and was built with the same settings, else None."""
    if not path.exists():
        return None
    try:
        corpus = load_corpus(path)
    except (OSError, ValueError, KeyError):
        return None
    return corpus if corpus.description.get("settings") == settings else None


def _describe(
    *,
    settings: dict,
    works: Sequence[WorkRef],
    windows_by_work: dict[str, np.ndarray],
    skipped: Counter,
    split: tuple[list[str], list[str]],
    arrays: tuple[np.ndarray, np.ndarray],
    val_removed: int,
) -> dict:
    """What the corpus is and how it was made, for checkpoints and reports."""
    train_ids, val_ids = split
    train, val = arrays
    return {
        "source": "music21 core corpus " + _music21_version(),
        "settings": settings,
        "sources": settings["sources"],
        "encoding": "MelodyOneHotEncoding, 90 classes, 32 sixteenth-note steps (2 bars of 4/4)",
        "works": {
            "listed": len(works),
            "with_windows": len(windows_by_work),
            "train": len(train_ids),
            "val": len(val_ids),
            "skipped": dict(skipped),
            "per_source": dict(Counter(w.split("/")[0] for w in windows_by_work)),
            "train_ids": list(train_ids),
            "val_ids": list(val_ids),
        },
        "counts": {
            "windows_before_transposition": int(sum(len(w) for w in windows_by_work.values())),
            "train": int(len(train)),
            "val": int(len(val)),
            "val_removed_as_in_train": int(val_removed),
        },
        "transpositions": settings["transpositions"],
        "seed": settings["seed"],
        "split_rule": SPLIT_RULE,
        "window_rule": (
            "highest note of the melody part (Soprano, else highest part), 16th-note grid, "
            "non-overlapping 2-bar windows from the first downbeat, only 2/4, 4/4, 2/2; "
            f"windows sounding less than {settings['min_sounding_fraction']:.0%} of steps "
            "are skipped"
        ),
    }


def _stack_transposed(
    windows_by_work: dict[str, np.ndarray], work_ids: Sequence[str], transpositions: Sequence[int]
) -> np.ndarray:
    if not work_ids:
        return np.zeros((0, melody.STEPS), dtype=np.int64)
    originals = np.concatenate([windows_by_work[w] for w in work_ids])
    shifted = [melody.transpose_melodies(originals, semitones=t) for t in transpositions or (0,)]
    return np.unique(np.concatenate(shifted), axis=0).astype(np.int64)


def _drop_rows_in(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    if len(rows) == 0 or len(reference) == 0:
        return rows
    seen = {row.tobytes() for row in reference}
    keep = np.array([row.tobytes() not in seen for row in rows], dtype=bool)
    return rows[keep]


def _music21_version() -> str:
    import music21

    return music21.__version__
