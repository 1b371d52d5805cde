"""Dates for the music in music21's bundled corpus (its files mostly carry none).

Keys are the corpus' top-level folder names. Composers have life dates and, where music
history records them, the years from their first known work to their last (``active``);
anonymous folk collections have the years in which the collection was made or published
instead, because that is the only date the chronological experiment can honestly use for them.
``approximate`` marks dates that music history only knows roughly ("c. 1450").

``WORK_DATES`` dates single works or sets of works (by corpus path prefix) where the composition
or publication year is well known; ``work_years`` combines them: the work's own dates when
recorded, else the composer's active years, else the collection's years.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Composer:
    name: str
    born: int
    died: int
    approximate: bool = False
    active: tuple[int, int] | None = None  # first and last known work, where recorded


@dataclass(frozen=True)
class Collection:
    name: str
    start_year: int
    end_year: int
    note: str
    approximate: bool = False


COMPOSERS: dict[str, Composer] = {
    "bach": Composer("Johann Sebastian Bach", 1685, 1750, active=(1703, 1750)),
    "beach": Composer("Amy Beach", 1867, 1944, active=(1880, 1940), approximate=True),
    "beethoven": Composer("Ludwig van Beethoven", 1770, 1827, active=(1782, 1827)),
    "chopin": Composer("Frédéric Chopin", 1810, 1849, active=(1817, 1849)),
    "ciconia": Composer("Johannes Ciconia", 1370, 1412, active=(1390, 1412), approximate=True),
    "corelli": Composer("Arcangelo Corelli", 1653, 1713, active=(1681, 1713)),
    "cpebach": Composer("Carl Philipp Emanuel Bach", 1714, 1788, active=(1731, 1788)),
    "handel": Composer("George Frideric Handel", 1685, 1759, active=(1703, 1757)),
    "haydn": Composer("Joseph Haydn", 1732, 1809, active=(1749, 1803)),
    "johnson_j_r": Composer("J. Rosamond Johnson", 1873, 1954, active=(1896, 1954)),
    "joplin": Composer("Scott Joplin", 1868, 1917, approximate=True, active=(1895, 1917)),
    "josquin": Composer("Josquin des Prez", 1450, 1521, approximate=True, active=(1475, 1521)),
    "liliuokalani": Composer("Liliʻuokalani", 1838, 1917, active=(1860, 1917), approximate=True),
    "lusitano": Composer("Vicente Lusitano", 1520, 1561, approximate=True, active=(1551, 1561)),
    "monteverdi": Composer("Claudio Monteverdi", 1567, 1643, active=(1582, 1643)),
    "mozart": Composer("Wolfgang Amadeus Mozart", 1756, 1791, active=(1761, 1791)),
    "palestrina": Composer(
        "Giovanni Pierluigi da Palestrina", 1525, 1594, approximate=True, active=(1554, 1594)
    ),
    "schoenberg": Composer("Arnold Schoenberg", 1874, 1951, active=(1893, 1951)),
    "schubert": Composer("Franz Schubert", 1797, 1828, active=(1810, 1828)),
    "schumann_clara": Composer("Clara Schumann", 1819, 1896, active=(1829, 1853)),
    "schumann_robert": Composer("Robert Schumann", 1810, 1856, active=(1829, 1853)),
    "verdi": Composer("Giuseppe Verdi", 1813, 1901, active=(1839, 1897)),
    "weber": Composer("Carl Maria von Weber", 1786, 1826, active=(1798, 1826)),
    "webern": Composer("Anton Webern", 1883, 1945, active=(1899, 1943)),
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


@dataclass(frozen=True)
class WorkDate:
    start_year: int
    end_year: int
    what: str  # what the dates are (composition, publication) and of which work


# Corpus path prefix -> the years the work(s) under it were composed (or, where said, published).
WORK_DATES: dict[str, WorkDate] = {
    "beethoven/opus18": WorkDate(1798, 1800, "String Quartets Op. 18, composed"),
    "beethoven/opus59": WorkDate(1806, 1806, "'Razumovsky' Quartets Op. 59, composed"),
    "beethoven/opus74": WorkDate(1809, 1809, "String Quartet Op. 74 'Harp', composed"),
    "beethoven/opus132": WorkDate(1825, 1825, "String Quartet Op. 132, composed"),
    "beethoven/opus133": WorkDate(1825, 1826, "Grosse Fuge Op. 133, composed"),
    "chopin/mazurka06": WorkDate(1830, 1832, "Mazurkas Op. 6, composed"),
    "corelli/opus3": WorkDate(1689, 1689, "Sonate da chiesa Op. 3, published"),
    "cpebach/h186": WorkDate(1765, 1779, "Sonata H. 186 (Wq. 55/4), composed to published"),
    "handel/rinaldo": WorkDate(1711, 1711, "Rinaldo, first performed"),
    "haydn/opus1no1": WorkDate(1757, 1762, "String Quartet Op. 1 No. 1, composed (c.)"),
    "haydn/opus74no1": WorkDate(1793, 1793, "String Quartet Op. 74 No. 1, composed"),
    "johnson_j_r/lift_every_voice": WorkDate(1900, 1900, "Lift Every Voice and Sing, composed"),
    "joplin/maple_leaf_rag": WorkDate(1899, 1899, "Maple Leaf Rag, published"),
    "liliuokalani/aloha_oe": WorkDate(1878, 1878, "Aloha ʻOe, composed"),
    "monteverdi/madrigal.3.": WorkDate(1592, 1592, "Third Book of Madrigals, published"),
    "monteverdi/madrigal.4.": WorkDate(1603, 1603, "Fourth Book of Madrigals, published"),
    "monteverdi/madrigal.5.": WorkDate(1605, 1605, "Fifth Book of Madrigals, published"),
    "mozart/k80": WorkDate(1770, 1770, "String Quartet K. 80, composed"),
    "mozart/k155": WorkDate(1772, 1772, "String Quartet K. 155, composed"),
    "mozart/k156": WorkDate(1772, 1773, "String Quartet K. 156, composed"),
    "mozart/k458": WorkDate(1784, 1784, "String Quartet K. 458 'Hunt', composed"),
    "mozart/k545": WorkDate(1788, 1788, "Piano Sonata K. 545, composed"),
    "schoenberg/opus19": WorkDate(1911, 1911, "Six Little Piano Pieces Op. 19, composed"),
    "schubert/Lindenbaum": WorkDate(1827, 1827, "Winterreise, composed"),
    "schumann_clara/opus17": WorkDate(1846, 1846, "Piano Trio Op. 17, composed"),
    "schumann_clara/polonaise_op1": WorkDate(1829, 1831, "Polonaises Op. 1, composed"),
    "schumann_robert/dichterliebe": WorkDate(1840, 1840, "Dichterliebe Op. 48, composed"),
    "schumann_robert/opus48": WorkDate(1840, 1840, "Dichterliebe Op. 48, composed"),
    "schumann_robert/opus41": WorkDate(1842, 1842, "String Quartets Op. 41, composed"),
    "verdi/laDonnaEMobile": WorkDate(1851, 1851, "Rigoletto, first performed"),
    "weber/concertino_clarinet": WorkDate(1811, 1811, "Clarinet Concertino Op. 26, composed"),
    "webern/webern_dormi_jesu": WorkDate(1923, 1924, "Five Canons Op. 16, composed"),
}


def active_years(source: str) -> tuple[int, int]:
    """Years from a composer's first known work to the last (where recorded), else
    :func:`source_period`."""
    composer = COMPOSERS.get(source)
    if composer is not None and composer.active is not None:
        return composer.active
    return source_period(source)


def work_date(path: str) -> WorkDate | None:
    """The recorded dates of the work at a corpus path (longest matching prefix), if any."""
    matches = [prefix for prefix in WORK_DATES if path.startswith(prefix)]
    return WORK_DATES[max(matches, key=len)] if matches else None


def work_years(path: str) -> tuple[int, int, str]:
    """(first year, last year, where the dates come from) of the work at a corpus path.

    The work's own dates when ``WORK_DATES`` has them, else the composer's active years, else
    the collection's years; ``KeyError`` when the corpus folder has no dates at all.
    """
    recorded = work_date(path)
    if recorded is not None:
        return recorded.start_year, recorded.end_year, f"work: {recorded.what}"
    source = path.split("/")[0]
    start, end = active_years(source)
    if source in COMPOSERS:
        return start, end, "composer's active years"
    return start, end, "collection's years"
