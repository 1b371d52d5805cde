"""Table 1: one row per test (condition), in the form the Vis2Mus paper reports its tests.

Accuracy against the test's own chance level 1/k, the Clopper-Pearson interval, the one-sided
exact binomial p, that p Holm-adjusted across every row, and Fleiss' kappa. The HTML and PDF
reports put it at the top whenever there is more than one condition; the CSV and JSON carry it
always (`table1`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from analysis.report import ConditionResult

COLUMNS = [
    "test",
    "study",
    "n_participants",
    "n_answers",
    "chance",
    "accuracy",
    "ci_low",
    "ci_high",
    "ci_level",
    "p",
    "p_holm",
    "fleiss_kappa",
]

# What each column is called where people read it (HTML, PDF); the CI header names its level.
HEADINGS = {
    "test": "test",
    "study": "study",
    "n_participants": "n participants",
    "n_answers": "n answers",
    "chance": "chance",
    "accuracy": "accuracy",
    "ci": "{level} CI",
    "p": "p",
    "p_holm": "p Holm",
    "fleiss_kappa": "kappa (Fleiss)",
}


def table_one(conditions: list[ConditionResult], *, level: float) -> pd.DataFrame:
    rows = [
        {
            "test": c.condition,
            "study": c.study,
            "n_participants": c.n_participants,
            "n_answers": c.n_answers,
            "chance": c.chance,
            "accuracy": c.accuracy,
            "ci_low": c.test.clopper_pearson.low,
            "ci_high": c.test.clopper_pearson.high,
            "ci_level": level,
            "p": c.test.p_value,
            "p_holm": c.p_holm,
            "fleiss_kappa": c.agreement.fleiss_kappa if c.agreement is not None else None,
        }
        for c in conditions
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def table_one_caption(*, n_tests: int, level: float, alpha: float) -> str:
    return (
        f"Table 1. Accuracy per test against its own chance level 1/k, with the two-sided "
        f"{100 * level:g}% Clopper-Pearson interval; p: one-sided exact binomial test of "
        f"accuracy > chance; p Holm: adjusted across the {n_tests} tests (reject at "
        f"alpha = {alpha:g}); kappa: Fleiss' kappa between participants."
    )


def display_rows(table: pd.DataFrame, *, format_number) -> tuple[list[str], list[list[str]]]:
    """Headings and formatted cells as people read them (no study column when there is none)."""
    with_study = table["study"].notna().any()
    level = table["ci_level"].iloc[0] if len(table) else 0.95
    names = ["test", *(["study"] if with_study else []), "n_participants", "n_answers"]
    names += ["chance", "accuracy", "ci", "p", "p_holm", "fleiss_kappa"]
    headings = [HEADINGS[name].format(level=f"{100 * level:g}%") for name in names]
    rows = []
    for row in table.to_dict(orient="records"):
        cells = []
        for name in names:
            if name == "ci":
                cells.append(f"[{format_number(row['ci_low'])}, {format_number(row['ci_high'])}]")
            else:
                cells.append(format_number(row[name]))
        rows.append(cells)
    return headings, rows
