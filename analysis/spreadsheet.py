"""CSV cells that a spreadsheet will not run as formulas (OWASP's rule for CSV injection).

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula, so a participant id like `=HYPERLINK(...)` would
run on the researcher's machine. Such cells get a leading apostrophe. Numbers are left alone
(a negative reaction time stays a number).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported only by safe_table: the web process's CSVs need none
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: dict) -> dict:
    return {name: safe_cell(value) for name, value in row.items()}


def safe_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells (and column names) are safe to open in a spreadsheet."""
    import pandas as pd

    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(safe_cell)
    safe.columns = [safe_cell(column) for column in safe.columns]
    return safe
