"""Melody corpus from music21's bundled corpus: split by work, transposed, deduplicated, cached."""

import numpy as np
import pytest

from modeling.data import corpus as corpus_module
from modeling.data.composers import COLLECTIONS, COMPOSERS, composer_years, source_period
from modeling.data.corpus import (
    build_melody_corpus,
    extract_work_windows,
    list_corpus_works,
    select_works,
    split_works_by_id,
)
from modeling.data.melody import NUM_CLASSES, STEPS

SMALL = {"max_works": 8, "sources": ("essenFolksong", "bach"), "seed": 3}


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    cache = tmp_path_factory.mktemp("corpus") / "melodies.npz"
    return build_melody_corpus(transpositions=(-2, 0, 3), cache_path=cache, **SMALL), cache


def rows(array):
    return {row.tobytes() for row in array}


@pytest.mark.slow  # shares a 6 s corpus build
def test_small_corpus_has_melody_windows_in_both_splits(small_corpus):
    corpus, _ = small_corpus
    for split in (corpus.train, corpus.val):
        assert split.dtype == np.int64
        assert split.ndim == 2 and split.shape[1] == STEPS and len(split) > 0
        assert split.min() >= 0 and split.max() < NUM_CLASSES
    assert corpus.description["counts"]["train"] == len(corpus.train)


@pytest.mark.slow  # shares a 6 s corpus build
def test_no_work_is_in_both_splits_and_no_window_repeats(small_corpus):
    corpus, _ = small_corpus
    works = corpus.description["works"]
    assert works["train"] + works["val"] == works["with_windows"] <= SMALL["max_works"]
    assert not set(works["train_ids"]) & set(works["val_ids"])
    assert len(rows(corpus.train)) == len(corpus.train)
    assert len(rows(corpus.val)) == len(corpus.val)
    assert not rows(corpus.train) & rows(corpus.val)


@pytest.mark.slow  # shares a 6 s corpus build
def test_description_says_how_it_was_made(small_corpus):
    corpus, _ = small_corpus
    description = corpus.description
    assert description["transpositions"] == [-2, 0, 3]
    assert description["seed"] == SMALL["seed"]
    assert "no work in both" in description["split_rule"]
    assert set(description["works"]["per_source"]) <= {"essenFolksong", "bach"}
    skipped = sum(description["works"]["skipped"].values())
    assert skipped + description["works"]["with_windows"] == description["works"]["listed"]


@pytest.mark.slow  # shares a 6 s corpus build
def test_transpositions_multiply_the_training_windows(small_corpus):
    corpus, _ = small_corpus
    untransposed = build_melody_corpus(transpositions=(0,), **SMALL)
    assert (
        untransposed.description["works"]["train_ids"] == (corpus.description["works"]["train_ids"])
    )
    assert rows(untransposed.train) <= rows(corpus.train)
    assert len(corpus.train) > 2 * len(untransposed.train)


@pytest.mark.slow  # shares a 6 s corpus build
def test_cache_is_reused_for_the_same_settings_only(small_corpus, monkeypatch):
    corpus, cache = small_corpus
    assert cache.exists()

    def refuse_to_parse(*args, **kwargs):
        raise AssertionError("the corpus was rebuilt instead of read from the cache")

    monkeypatch.setattr(corpus_module, "extract_work_windows", refuse_to_parse)
    again = build_melody_corpus(transpositions=(-2, 0, 3), cache_path=cache, **SMALL)
    np.testing.assert_array_equal(again.train, corpus.train)
    np.testing.assert_array_equal(again.val, corpus.val)
    with pytest.raises(AssertionError, match="rebuilt"):
        build_melody_corpus(transpositions=(0,), cache_path=cache, **SMALL)


def test_work_listing_counts_songbook_tunes_one_by_one():
    works = list_corpus_works(sources=("essenFolksong", "bach"))
    essen = [w for w in works if w.source == "essenFolksong"]
    assert len(essen) > 8000  # 31 ABC songbooks holding about 8,500 songs
    assert all(w.number is not None for w in essen)
    assert len({w.work_id for w in works}) == len(works)
    with pytest.raises(ValueError, match="no works"):
        list_corpus_works(sources=("no_such_composer",))


def test_work_selection_is_seeded_and_spreads_over_sources():
    works = list_corpus_works(sources=("essenFolksong", "bach"))
    first = select_works(works, max_works=6, seed=1)
    assert first == select_works(works, max_works=6, seed=1)
    assert first != select_works(works, max_works=6, seed=2)
    assert {w.source for w in first} == {"essenFolksong", "bach"}


def test_split_by_work_puts_each_work_in_exactly_one_split():
    ids = [f"work{i}" for i in range(50)]
    train, val = split_works_by_id(ids, val_fraction=0.1, seed=0)
    assert len(val) == 5
    assert sorted(train + val) == sorted(ids)
    assert split_works_by_id(ids, val_fraction=0.1, seed=1) != (train, val)
    with pytest.raises(ValueError, match="at least 2 works"):
        split_works_by_id(["only"], val_fraction=0.1, seed=0)


def test_every_composer_folder_of_music21_has_dates():
    from music21 import corpus

    folders = {str(p).split("/corpus/")[1].split("/")[0] for p in corpus.getCorePaths()}
    not_music_of_one_era = {"demos", "leadSheet", "theoryExercises"}
    undated = folders - set(COMPOSERS) - set(COLLECTIONS) - not_music_of_one_era
    assert not undated
    for key, composer in COMPOSERS.items():
        assert 1300 < composer.born < composer.died < 2000, key
    assert composer_years("bach") == (1685, 1750)
    assert source_period("bach") == (1705, 1750)
    assert source_period("ryansMammoth") == (1883, 1883)
    with pytest.raises(KeyError):
        composer_years("essenFolksong")


@pytest.mark.slow  # starts two spawned processes that import music21
def test_parallel_parsing_gives_the_same_windows():
    works = select_works(list_corpus_works(sources=("bach",)), max_works=4, seed=0)
    serial, serial_skipped = extract_work_windows(works)
    parallel, parallel_skipped = extract_work_windows(works, processes=2)
    assert serial_skipped == parallel_skipped
    assert sorted(serial) == sorted(parallel)
    for work_id, windows in serial.items():
        np.testing.assert_array_equal(parallel[work_id], windows)
