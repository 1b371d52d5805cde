"""Dates for the music in music21's bundled corpus (its files mostly carry none).

Keys are the corpus' top-level folder names. Composers have life dates; anonymous folk
collections have the years in which the collection was made or published instead, because
that is the only date the chronological experiment can honestly use for them. ``approximate``
marks dates that music history only knows roughly ("c. 1450").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Composer:
    name: str
    born: int
    died: int
    approximate: bool = False


@dataclass(frozen=True)
class Collection:
    name: str
    start_year: int
    end_year: int
    note: str
    approximate: bool = False


COMPOSERS: dict[str, Composer] = {
    "bach": Composer("Johann Sebastian Bach", 1685, 1750),
    "beach": Composer("Amy Beach", 1867, 1944),
    "beethoven": Composer("Ludwig van Beethoven", 1770, 1827),
    "chopin": Composer("Frédéric Chopin", 1810, 1849),
    "ciconia": Composer("Johannes Ciconia", 1370, 1412, approximate=True),
    "corelli": Composer("Arcangelo Corelli", 1653, 1713),
    "cpebach": Composer("Carl Philipp Emanuel Bach", 1714, 1788),
    "handel": Composer("George Frideric Handel", 1685, 1759),
    "haydn": Composer("Joseph Haydn", 1732, 1809),
    "johnson_j_r": Composer("J. Rosamond Johnson", 1873, 1954),
    "joplin": Composer("Scott Joplin", 1868, 1917, approximate=True),
    "josquin": Composer("Josquin des Prez", 1450, 1521, approximate=True),
    "liliuokalani": Composer("Liliʻuokalani", 1838, 1917),
    "lusitano": Composer("Vicente Lusitano", 1520, 1561, approximate=True),
    "monteverdi": Composer("Claudio Monteverdi", 1567, 1643),
    "mozart": Composer("Wolfgang Amadeus Mozart", 1756, 1791),
    "palestrina": Composer("Giovanni Pierluigi da Palestrina", 1525, 1594, approximate=True),
    "schoenberg": Composer("Arnold Schoenberg", 1874, 1951),
    "schubert": Composer("Franz Schubert", 1797, 1828),
    "schumann_clara": Composer("Clara Schumann", 1819, 1896),
    "schumann_robert": Composer("Robert Schumann", 1810, 1856),
    "verdi": Composer("Giuseppe Verdi", 1813, 1901),
    "weber": Composer("Carl Maria von Weber", 1786, 1826),
    "webern": Composer("Anton Webern", 1883, 1945),
}

COLLECTIONS: dict[str, Collection] = {
    "airdsAirs": Collection(
        "Aird's Selection of Scotch, English, Irish and Foreign Airs", 1782, 1803, "6 volumes"
    ),
    "essenFolksong": Collection(
        "Essen Folksong Collection (EsAC)",
        1800,
        1990,
        "mostly German folk songs transcribed in the 19th and 20th centuries; no song dates",
        approximate=True,
    ),
    "luca": Collection(
        "Bologna manuscript Q15 (Gloria by 'D. Luca')",
        1420,
        1435,
        "the composer's life dates are unknown; dated by the manuscript",
        approximate=True,
    ),
    "miscFolk": Collection(
        "American fife tunes and Northumbrian Minstrelsy",
        1780,
        1882,
        "tunes printed between the 1780s and 1882",
        approximate=True,
    ),
    "nottingham-dataset": Collection(
        "Nottingham folk music database (reels)",
        1700,
        1900,
        "traditional British and Irish dance tunes; no tune dates",
        approximate=True,
    ),
    "oneills1850": Collection("O'Neill's Music of Ireland", 1903, 1903, "published in Chicago"),
    "ryansMammoth": Collection(
        "Ryan's Mammoth Collection", 1883, 1883, "published in Boston by Elias Howe"
    ),
    "trecento": Collection(
        "Italian and French Trecento polyphony",
        1330,
        1420,
        "various, mostly anonymous composers",
        approximate=True,
    ),
}


def composer_years(source: str) -> tuple[int, int]:
    """(birth, death) of the composer whose music21 corpus folder is ``source``."""
    try:
        composer = COMPOSERS[source]
    except KeyError:
        raise KeyError(
            f"no composer is recorded for {source!r}; known: {sorted(COMPOSERS)}"
        ) from None
    return composer.born, composer.died


def source_period(source: str) -> tuple[int, int]:
    """Years in which the music of a corpus folder was written or collected.

    For composers this is the working life, taken as from age 20 to death; for collections,
    the years the collection was made or published.
    """
    if source in COMPOSERS:
        born, died = composer_years(source)
        return born + 20, died
    if source in COLLECTIONS:
        collection = COLLECTIONS[source]
        return collection.start_year, collection.end_year
    raise KeyError(f"no dates are recorded for corpus folder {source!r}")
