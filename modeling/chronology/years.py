"""Dates as people write them -> (year, uncertainty), for importers and the offline corpus.

``parse_year("c. 1665")`` is ``YearEstimate(1665.0, 5.0)``. A date names a span of years; the
estimate is its middle and half its width, so "1501-1503" is (1502, 1), "1890s" is (1894.5,
4.5) and "17th century" is (1649.5, 49.5). "c.", "ca.", "circa", "about", "~" or a trailing "?"
widen the span by ``approximate_uncertainty`` years. Forms understood (any case, any dash):

- a year: ``1665``, ``"1665"``, ``"1665.0"`` (what spreadsheets make of a year column);
- a span: ``"1501-1503"``, ``"1665-70"``, ``"1501 to 1503"``, ``"1501/1503"``;
- a decade: ``"1890s"``, ``"early 1890s"``, ``"mid-1890s"``, ``"late 1890s"``; ``"1800s"`` (a
  round hundred) is read as the century 1800-1899, the usual meaning;
- a century: ``"17th century"``, ``"early 17th century"``, ``"late 16th c."`` (1600-1699 is
  the 17th century here, as art history counts it).

Anything else raises ``YearParseError`` with one sentence that says why, as do years outside
``earliest``..``latest`` (default: 1 to this year).
"""

from __future__ import annotations

import datetime
import math
import re
from typing import NamedTuple

DEFAULT_APPROXIMATE_UNCERTAINTY = 5.0
_APPROXIMATE = re.compile(
    r"^(?:circa|approximately|approx\.?|about|around|ca\.?|c\.?|~)\s*", re.IGNORECASE
)
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_PART = re.compile(r"^(early|mid|late)[\s-]+", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{1,4})$")
_SPAN = re.compile(r"^(\d{1,4})\s*(?:-|to|/)\s*(\d{1,4})$", re.IGNORECASE)
_DECADE = re.compile(r"^(\d{3}0)'?s$", re.IGNORECASE)
_CENTURY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)\s+(?:century|cent\.?|c\.?)$", re.IGNORECASE)


class YearParseError(ValueError):
    """A date that cannot be read as a year; the message says why."""


class YearEstimate(NamedTuple):
    """The middle of the span of years a date names, and half the span's width (years)."""

    year: float
    uncertainty: float


def parse_year(
    text: str | int | float | None,
    *,
    approximate_uncertainty: float = DEFAULT_APPROXIMATE_UNCERTAINTY,
    earliest: int = 1,
    latest: int | None = None,
) -> YearEstimate:
    """Read a date like "c. 1665", "1501-1503" or "1890s" as (year, uncertainty)."""
    cleaned = _clean(text)
    approximate = False
    if _APPROXIMATE.match(cleaned):
        cleaned, approximate = _APPROXIMATE.sub("", cleaned, count=1), True
    if cleaned.endswith("?"):
        cleaned, approximate = cleaned[:-1].strip(), True
    start, end = year_span(cleaned, original=str(text))
    latest = datetime.date.today().year if latest is None else latest
    for year in (start, end):
        if not earliest <= year <= latest:
            raise YearParseError(
                f"the date {str(text).strip()!r} gives the year {year}, outside {earliest} to "
                f"{latest}."
            )
    widen = approximate_uncertainty if approximate else 0.0
    return YearEstimate((start + end) / 2.0, (end - start) / 2.0 + widen)


def year_span(text: str, *, original: str | None = None) -> tuple[int, int]:
    """First and last year (inclusive) of a date without "c." (see the module docstring)."""
    original = text if original is None else original
    part = None
    match = _PART.match(text)
    if match:
        part, text = match.group(1).lower(), text[match.end() :]
    if match := _CENTURY.match(text):
        century = int(match.group(1))
        if century < 1:
            raise YearParseError(f"the date {original.strip()!r} names no century.")
        return _part_of((century - 1) * 100, (century - 1) * 100 + 99, part)
    if match := _DECADE.match(text):
        first = int(match.group(1))
        last = first + (99 if first % 100 == 0 else 9)
        return _part_of(first, last, part)
    if part is not None:
        raise YearParseError(
            f"the date {original.strip()!r} says {part!r} of something that is not a decade or "
            "a century."
        )
    if match := _YEAR.match(text):
        year = int(match.group(1))
        return year, year
    if match := _SPAN.match(text):
        return _span(match.group(1), match.group(2), original)
    raise YearParseError(
        f"the date {original.strip()!r} is not a year, a span like 1501-1503, a decade like "
        "1890s or a century like 17th century."
    )


def _clean(text: str | int | float | None) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        raise YearParseError("no date was given.")
    if isinstance(text, bool):
        raise YearParseError(f"{text!r} is not a date.")
    if isinstance(text, float):
        if not text.is_integer():
            raise YearParseError(f"the year {text} is not a whole number.")
        return str(int(text))
    cleaned = _DASHES.sub("-", str(text)).strip().rstrip(".").strip()
    if re.fullmatch(r"\d{1,4}\.0+", cleaned):
        cleaned = cleaned.split(".")[0]
    if not cleaned:
        raise YearParseError("no date was given.")
    return cleaned


def _span(first_text: str, last_text: str, original: str) -> tuple[int, int]:
    first = int(first_text)
    if len(last_text) < len(first_text):  # "1665-70": the end shares the start's leading digits
        scale = 10 ** len(last_text)
        last = first - first % scale + int(last_text)
    else:
        last = int(last_text)
    if last < first:
        raise YearParseError(f"the date {original.strip()!r} ends before it starts.")
    return first, last


def _part_of(first: int, last: int, part: str | None) -> tuple[int, int]:
    """The early, middle or late third of a span (the whole span when no part is named)."""
    if part is None:
        return first, last
    width = last - first + 1
    third = width // 3
    if part == "early":
        return first, first + third - 1
    if part == "mid":
        return first + third, last - third
    return last - third + 1, last
