"""Dates as WikiArt and catalogues write them, read as (year, uncertainty) for importers."""

import pytest

from modeling.chronology.years import YearEstimate, YearParseError, parse_year


@pytest.mark.parametrize(
    ("written", "year", "uncertainty"),
    [
        ("1665", 1665, 0),
        (1665, 1665, 0),
        (1665.0, 1665, 0),
        ("1665.0", 1665, 0),  # a spreadsheet's year column
        ("c. 1665", 1665, 5),
        ("ca.1665", 1665, 5),
        ("circa 1665", 1665, 5),
        ("1665?", 1665, 5),
        ("1501-1503", 1502, 1),
        ("1501 \u2013 1503", 1502, 1),  # an en dash
        ("1501 to 1503", 1502, 1),
        ("1665-70", 1667.5, 2.5),
        ("c. 1501-1503", 1502, 6),
        ("1890s", 1894.5, 4.5),
        ("early 1890s", 1891, 1),
        ("mid-1890s", 1894.5, 1.5),
        ("late 1890s", 1898, 1),
        ("1800s", 1849.5, 49.5),
        ("17th century", 1649.5, 49.5),
        ("late 16th c.", 1583, 16),
    ],
)
def test_a_written_date_becomes_the_middle_of_its_span_and_half_its_width(
    written, year, uncertainty
):
    assert parse_year(written) == YearEstimate(year, uncertainty)


def test_how_much_circa_widens_is_a_parameter():
    assert parse_year("c. 1665", approximate_uncertainty=10) == (1665, 10)
    year, uncertainty = parse_year("1501-1503")  # a plain tuple for callers that unpack
    assert (year, uncertainty) == (1502, 1)


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "no date was given."),
        (None, "no date was given."),
        (float("nan"), "no date was given."),
        ("unknown", "is not a year, a span like 1501-1503"),
        ("1503-1501", "ends before it starts."),
        ("early 1665", "not a decade or a century"),
        ("1665.5", "is not a year"),
        ("2999", "gives the year 2999, outside 1 to"),
    ],
)
def test_an_unreadable_or_impossible_date_is_refused_in_one_sentence(written, reason):
    with pytest.raises(YearParseError, match=reason.replace("?", r"\?")) as caught:
        parse_year(written)
    message = str(caught.value)
    assert message.endswith(".") and message.count(". ") == 0


def test_the_importer_chooses_the_years_it_accepts():
    with pytest.raises(YearParseError, match="outside 1400 to 1950"):
        parse_year("1350", earliest=1400, latest=1950)
    assert parse_year("1949", earliest=1400, latest=1950).year == 1949
