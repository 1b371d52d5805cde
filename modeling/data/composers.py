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


# Composers of recorded repertoire who are not folders of music21's corpus (MAESTRO's piano
# repertoire, above all), kept apart from COMPOSERS so that the corpus' sources stay its
# folders. Life dates; ``active`` only where the first and last works are well known.
OTHER_COMPOSERS: dict[str, Composer] = {
    "albeniz": Composer("Isaac Albéniz", 1860, 1909, active=(1880, 1909)),
    "alkan": Composer("Charles-Valentin Alkan", 1813, 1888),
    "arensky": Composer("Anton Arensky", 1861, 1906),
    "balakirev": Composer("Mily Balakirev", 1837, 1910),
    "barber": Composer("Samuel Barber", 1910, 1981, active=(1928, 1978)),
    "bartok": Composer("Béla Bartók", 1881, 1945, active=(1898, 1945)),
    "berg": Composer("Alban Berg", 1885, 1935, active=(1904, 1935)),
    "bizet": Composer("Georges Bizet", 1838, 1875, active=(1855, 1875)),
    "brahms": Composer("Johannes Brahms", 1833, 1897, active=(1851, 1896)),
    "busoni": Composer("Ferruccio Busoni", 1866, 1924),
    "couperin": Composer("François Couperin", 1668, 1733, active=(1690, 1730)),
    "clementi": Composer("Muzio Clementi", 1752, 1832),
    "czerny": Composer("Carl Czerny", 1791, 1857),
    "debussy": Composer("Claude Debussy", 1862, 1918, active=(1879, 1917)),
    "dukas": Composer("Paul Dukas", 1865, 1935),
    "faure": Composer("Gabriel Fauré", 1845, 1924, active=(1861, 1924)),
    "franck": Composer("César Franck", 1822, 1890),
    "gershwin": Composer("George Gershwin", 1898, 1937, active=(1916, 1937)),
    "ginastera": Composer("Alberto Ginastera", 1916, 1983, active=(1934, 1983)),
    "glinka": Composer("Mikhail Glinka", 1804, 1857),
    "godowsky": Composer("Leopold Godowsky", 1870, 1938),
    "granados": Composer("Enrique Granados", 1867, 1916, active=(1886, 1916)),
    "grieg": Composer("Edvard Grieg", 1843, 1907, active=(1858, 1907)),
    "hummel": Composer("Johann Nepomuk Hummel", 1778, 1837),
    "janacek": Composer("Leoš Janáček", 1854, 1928),
    "kreisler": Composer("Fritz Kreisler", 1875, 1962),
    "liszt": Composer("Franz Liszt", 1811, 1886, active=(1822, 1886)),
    "lyadov": Composer("Anatoly Lyadov", 1855, 1914),
    "lyapunov": Composer("Sergei Lyapunov", 1859, 1924),
    "medtner": Composer("Nikolai Medtner", 1880, 1951),
    "moszkowski": Composer("Moritz Moszkowski", 1854, 1925),
    "mendelssohn": Composer("Felix Mendelssohn", 1809, 1847, active=(1820, 1847)),
    "messiaen": Composer("Olivier Messiaen", 1908, 1992, active=(1928, 1992)),
    "mussorgsky": Composer("Modest Mussorgsky", 1839, 1881),
    "paganini": Composer("Niccolò Paganini", 1782, 1840),
    "rimsky_korsakov": Composer("Nikolai Rimsky-Korsakov", 1844, 1908, active=(1861, 1907)),
    "poulenc": Composer("Francis Poulenc", 1899, 1963, active=(1917, 1963)),
    "prokofiev": Composer("Sergei Prokofiev", 1891, 1953, active=(1902, 1953)),
    "rachmaninoff": Composer("Sergei Rachmaninoff", 1873, 1943, active=(1890, 1940)),
    "rameau": Composer("Jean-Philippe Rameau", 1683, 1764, active=(1706, 1764)),
    "ravel": Composer("Maurice Ravel", 1875, 1937, active=(1893, 1932)),
    "rubinstein": Composer("Anton Rubinstein", 1829, 1894),
    "saint_saens": Composer("Camille Saint-Saëns", 1835, 1921),
    "scarlatti": Composer("Domenico Scarlatti", 1685, 1757),
    "soler": Composer("Antonio Soler", 1729, 1783),
    "strauss_johann_ii": Composer("Johann Strauss II", 1825, 1899, active=(1844, 1899)),
    "scriabin": Composer("Alexander Scriabin", 1872, 1915, active=(1886, 1914)),
    "shostakovich": Composer("Dmitri Shostakovich", 1906, 1975, active=(1919, 1975)),
    "stravinsky": Composer("Igor Stravinsky", 1882, 1971, active=(1902, 1966)),
    "szymanowski": Composer("Karol Szymanowski", 1882, 1937),
    "tchaikovsky": Composer("Pyotr Ilyich Tchaikovsky", 1840, 1893, active=(1854, 1893)),
}

# Other spellings of composers' names (normalised as by ``composer_key``) -> their key.
COMPOSER_ALIASES: dict[str, str] = {
    "bach": "bach",
    "j s bach": "bach",
    "joseph haydn": "haydn",
    "franz joseph haydn": "haydn",
    "frederic francois chopin": "chopin",
    "fryderyk chopin": "chopin",
    "w a mozart": "mozart",
    "felix mendelssohn bartholdy": "mendelssohn",
    "sergei rachmaninov": "rachmaninoff",
    "sergej rachmaninoff": "rachmaninoff",
    "alexander scriabin": "scriabin",
    "alexander skryabin": "scriabin",
    "peter ilyich tchaikovsky": "tchaikovsky",
    "pyotr tchaikovsky": "tchaikovsky",
    "modest petrovich mussorgsky": "mussorgsky",
    "modeste mussorgsky": "mussorgsky",
    "george frederic handel": "handel",
    "georg friedrich handel": "handel",
    "georg friedrich haendel": "handel",
    "robert schumann": "schumann_robert",
    "clara schumann": "schumann_clara",
    "isaac albeniz": "albeniz",
    "leos janacek": "janacek",
    "johann strauss jr": "strauss_johann_ii",
    "nikolay rimsky korsakov": "rimsky_korsakov",
    "anatoly liadov": "lyadov",
    "nikolai medtner": "medtner",
    "nikolay medtner": "medtner",
}


def composer_key(name: str) -> str:
    """A composer's name as the tables compare it: accents, punctuation and case removed."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    plain = "".join(char if char.isalnum() else " " for char in plain.lower())
    return " ".join(plain.split())


def _names_to_keys() -> dict[str, str]:
    names = {composer_key(c.name): key for key, c in {**COMPOSERS, **OTHER_COMPOSERS}.items()}
    return {**names, **COMPOSER_ALIASES}


def composer_named(name: str) -> Composer | None:
    """The composer a full name (as MAESTRO's ``canonical_composer`` writes it, any accents
    or case) refers to, from COMPOSERS or OTHER_COMPOSERS; None when the tables lack them."""
    key = _names_to_keys().get(composer_key(name))
    if key is None:
        return None
    return COMPOSERS.get(key) or OTHER_COMPOSERS[key]


def composer_active_years(composer: Composer) -> tuple[int, int]:
    """First and last year of a composer's working life: the recorded ``active`` years, else
    from age 20 to death (as :func:`source_period` counts it)."""
    return composer.active if composer.active is not None else (composer.born + 20, composer.died)
