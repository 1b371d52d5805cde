"""MAESTRO's composers, as its canonical_composer column spells them, have dates."""

import pytest

from modeling.data.composers import (
    COMPOSERS,
    OTHER_COMPOSERS,
    composer_active_years,
    composer_named,
)

MAESTRO_SPELLINGS = [
    "Johann Sebastian Bach",
    "Domenico Scarlatti",
    "Joseph Haydn",
    "Wolfgang Amadeus Mozart",
    "Ludwig van Beethoven",
    "Franz Schubert",
    "Frédéric Chopin",
    "Robert Schumann",
    "Franz Liszt",
    "Johannes Brahms",
    "Claude Debussy",
    "Maurice Ravel",
    "Sergei Rachmaninoff",
    "Alexander Scriabin",
    "Felix Mendelssohn",
    "Pyotr Ilyich Tchaikovsky",
    "Modest Mussorgsky",
    "Edvard Grieg",
    "César Franck",
    "George Frideric Handel",
    "Sergei Prokofiev",
    "Isaac Albéniz",
    "Enrique Granados",
    "Leoš Janáček",
    "Mily Balakirev",
    "Nikolai Medtner",
    "Alban Berg",
    "Muzio Clementi",
    "Jean-Philippe Rameau",
    "Charles-Valentin Alkan",
    "Carl Maria von Weber",
]


@pytest.mark.parametrize("name", MAESTRO_SPELLINGS)
def test_each_maestro_composer_is_found_with_a_working_life(name):
    composer = composer_named(name)
    assert composer is not None, name
    start, end = composer_active_years(composer)
    assert composer.born < start <= end <= composer.died


def test_names_match_without_accents_case_or_punctuation():
    assert composer_named("FREDERIC CHOPIN").name == "Frédéric Chopin"
    assert composer_named("Sergei Rachmaninov").name == "Sergei Rachmaninoff"
    assert composer_named("Leos Janacek").name == "Leoš Janáček"
    assert composer_named("Zygmunt Nobody") is None


def test_the_corpus_table_is_unchanged_by_the_recorded_repertoire():
    assert not set(OTHER_COMPOSERS) & set(COMPOSERS)
    for key, composer in OTHER_COMPOSERS.items():
        assert 1600 < composer.born < composer.died < 2000, key
