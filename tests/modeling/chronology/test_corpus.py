"""The offline corpus: music21's art music, each work once, dated, cut into clips, cached."""

import numpy as np
import pytest

from modeling.chronology.corpus import DEFAULT_SOURCES, build_music_corpus, dated_works
from modeling.data.composers import COLLECTIONS, active_years, source_period, work_years

SMALL = dict(sources=("bach", "josquin"), max_works_per_source=3, seed=2)


@pytest.fixture(scope="module")
def works():
    return {work.ref.work_id: work for work in dated_works()}


def test_each_work_is_listed_once_in_its_best_format(works):
    assert "beethoven/opus18no1/movement1.mxl" in works
    assert "beethoven/opus18no1/movement1.krn" not in works  # the same movement in Humdrum
    assert not any(work_id.endswith(".rntxt") for work_id in works)  # analyses, not scores
    assert {work.ref.source for work in works.values()} == set(DEFAULT_SOURCES)


def test_works_are_dated_by_metadata_then_the_work_table_then_the_composer(works):
    chopin = works["chopin/mazurka06-2.krn"]
    assert (chopin.start_year, chopin.end_year) == (1830, 1832)
    assert chopin.dated_by.startswith("music21 metadata")
    madrigal = works["monteverdi/madrigal.3.1.mxl"]
    assert madrigal.year == 1592 and madrigal.uncertainty == 0
    chorale = works["bach/bwv66.6.mxl"]
    assert (chorale.year, chorale.uncertainty) == (1726.5, 23.5)  # active 1703-1750
    assert chorale.dated_by == "composer's active years"
    assert works["luca/gloria.xml"].dated_by == "collection's years"


def test_movements_of_one_piece_share_a_group(works):
    groups = {works[f"mozart/k458/movement{i}.mxl"].group for i in range(1, 5)}
    assert groups == {"mozart/k458"}
    assert works["bach/bwv66.6.mxl"].group == "bach/bwv66.6"


def test_folk_collections_are_not_in_the_default_corpus():
    assert not {"essenFolksong", "oneills1850", "airdsAirs"} & set(DEFAULT_SOURCES)


def test_the_composer_table_keeps_its_old_answers_and_adds_active_years_and_work_dates():
    assert source_period("bach") == (1705, 1750)  # unchanged for the melody corpus
    assert active_years("bach") == (1703, 1750)
    assert active_years("trecento") == (COLLECTIONS["trecento"].start_year, 1420)
    assert work_years("beethoven/opus59no2/movement3.mxl")[:2] == (1806, 1806)
    assert work_years("palestrina/Agnus_01.krn") == (1554, 1594, "composer's active years")


@pytest.mark.slow  # parses 6 small works (a few seconds)
def test_a_small_corpus_is_built_split_by_work_and_cached(tmp_path):
    cache = tmp_path / "corpus.npz"
    data = build_music_corpus(cache_path=cache, **SMALL)
    music = data.music
    assert data.image is None and "no images offline" in data.description["source"]
    assert music.features.shape[1] == 90 and len(music) >= 6
    assert set(music.sources) == {"bach", "josquin"}
    for group in set(music.groups):
        assert len(set(music.split[music.groups == group])) == 1  # a work in one split
    assert data.description["works"]["with_clips"] == 6
    again = build_music_corpus(cache_path=cache, **SMALL)
    np.testing.assert_array_equal(again.music.features, music.features)
    assert list(again.music.names) == list(music.names)
