"""Accuracy as a function of the year gap (period matching): the farther the distractors lie
in time from the prompt, the easier the trial should be.

A period matching trial names its gap in its class: ``"gap 20-29 years"``, the band holding
the years between the prompt and the nearest distractor (``gap_class_label``: 10-year bands
below 100 years, 50-year bands to 500, 100-year bands beyond). A condition whose every trial
has such a class is analysed here: a logistic regression of correct (0/1) on the gap (the
band's middle, in units of 100 years), with its slope (log-odds per 100 years), the slope's
confidence interval and two-sided p, and the odds ratio per 100 years. With at least
``MIN_CLUSTERS`` participants the standard errors are cluster-robust by participant (one
person's answers are not independent); with fewer, every answer counts as independent and a
note says so. Pure functions on the analysis table, no ORM.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analysis.notes import Notes

GAP_CLASS = re.compile(r"^gap (\d+)-(\d+) years$")
MIN_CLUSTERS = 10
PER_YEARS = 100.0  # the slope is per this many years
TESTS_USED = (
    "Year gap (period matching conditions): logistic regression of correct on the gap between "
    "the prompt and the nearest distractor (the middle of the trial's gap band, per 100 years; "
    "statsmodels GLM, binomial family), slope with its Wald interval and two-sided p; standard "
    f"errors cluster-robust by participant when there are at least {MIN_CLUSTERS} participants, "
    "else every answer is taken as independent."
)


def gap_band(gap: float) -> tuple[int, int]:
    """(first, last) whole year of the band holding ``gap`` (see the module docstring)."""
    years = int(math.floor(abs(gap)))
    width = 10 if years < 100 else 50 if years < 500 else 100
    first = years - years % width
    return first, first + width - 1


def gap_class_label(gap: float) -> str:
    first, last = gap_band(gap)
    return f"gap {first}-{last} years"


def gap_of_class(label: object) -> float | None:
    """The middle of a gap band named by ``gap_class_label`` (20-29 -> 25), else None."""
    match = GAP_CLASS.match(str(label)) if isinstance(label, str) else None
    if match is None:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    return (first + last + 1) / 2.0


@dataclass
class YearGapFit:
    condition: str
    n_answers: int
    n_participants: int
    n_bands: int
    slope_per_100y: float  # log-odds of a correct answer per 100 years of gap
    ci_low: float
    ci_high: float
    p_value: float  # two-sided, slope = 0
    odds_ratio_per_100y: float
    intercept: float
    errors: str  # "cluster-robust by participant" or "answers taken as independent"

    def to_dict(self) -> dict:
        return asdict(self)


def year_gap_conditions(answers: pd.DataFrame) -> list[str]:
    """Conditions whose every answered trial names its gap band in its class."""
    if len(answers) == 0 or "class" not in answers:
        return []
    gaps = answers["class"].map(gap_of_class)
    named = gaps.notna().groupby(answers["condition"]).all()
    return sorted(str(c) for c in named.index[named])


def fit_year_gap(
    answers: pd.DataFrame, *, condition: str, level: float = 0.95, notes: Notes | None = None
) -> YearGapFit | None:
    """The logistic regression of one condition's answers (columns: participant, class,
    is_correct); None, with a note, when it cannot be fitted."""
    notes = notes if notes is not None else Notes()
    rows = answers.loc[answers["condition"] == condition]
    gap = rows["class"].map(gap_of_class).astype(float).to_numpy() / PER_YEARS
    correct = rows["is_correct"].astype(float).to_numpy()
    why = unfittable(gap, correct)
    if why:
        notes.info("year gap", f"condition '{condition}': no year-gap regression, {why}.")
        return None
    participants = rows["participant"].astype(str).to_numpy()
    result, errors = fitted_logit(gap, correct, participants)
    if result is None:
        notes.warn("year gap", f"condition '{condition}': the year-gap regression did not fit.")
        return None
    if errors != "cluster-robust by participant":
        notes.info(
            "year gap",
            f"condition '{condition}': fewer than {MIN_CLUSTERS} participants, so the year-gap "
            "regression takes every answer as independent (its p-value is optimistic).",
        )
    low, high = result.conf_int(alpha=1 - level)[1]
    slope = float(result.params[1])
    return YearGapFit(
        condition=condition,
        n_answers=len(rows),
        n_participants=len(set(participants)),
        n_bands=len(np.unique(gap)),
        slope_per_100y=slope,
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(result.pvalues[1]),
        odds_ratio_per_100y=float(math.exp(slope)),
        intercept=float(result.params[0]),
        errors=errors,
    )


def unfittable(gap: np.ndarray, correct: np.ndarray) -> str:
    """Why a regression cannot be fitted ('' when it can)."""
    if len(gap) < 3:
        return "fewer than 3 answers"
    if len(np.unique(gap)) < 2:
        return "every trial has the same gap band"
    if len(np.unique(correct)) < 2:
        return "every answer is right" if correct[0] == 1 else "every answer is wrong"
    return ""


def fitted_logit(gap: np.ndarray, correct: np.ndarray, participants: np.ndarray):
    """(statsmodels result, what its standard errors are) or (None, '') when it fails."""
    import statsmodels.api as sm

    design = sm.add_constant(gap, has_constant="add")
    clustered = len(set(participants)) >= MIN_CLUSTERS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.GLM(correct, design, family=sm.families.Binomial())
            if clustered:
                groups = pd.factorize(participants)[0]
                result = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
            else:
                result = model.fit()
    except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
        return None, ""
    if not np.all(np.isfinite(np.asarray(result.params))):
        return None, ""
    return result, "cluster-robust by participant" if clustered else "answers taken as independent"


def gap_band_table(answers: pd.DataFrame, conditions: list[str]) -> pd.DataFrame:
    """Per condition and gap band: answers, correct ones and accuracy, bands in order."""
    columns = ["condition", "gap_band", "gap_years", "n_answers", "n_correct", "accuracy"]
    rows = answers.loc[answers["condition"].isin(conditions)]
    if len(rows) == 0:
        return pd.DataFrame(columns=columns)
    table = (
        rows.assign(gap_years=rows["class"].map(gap_of_class))
        .groupby(["condition", "class", "gap_years"])["is_correct"]
        .agg(n_answers="size", n_correct="sum")
        .reset_index()
        .rename(columns={"class": "gap_band"})
        .sort_values(["condition", "gap_years"])
    )
    table["n_correct"] = table["n_correct"].astype(int)
    table["accuracy"] = table["n_correct"] / table["n_answers"]
    return table[columns].reset_index(drop=True)


def year_gap_analysis(
    answers: pd.DataFrame, *, level: float = 0.95, notes: Notes | None = None
) -> tuple[list[YearGapFit], pd.DataFrame]:
    """Every year-gap condition's fit, and the accuracy per gap band."""
    conditions = year_gap_conditions(answers)
    fits = [fit_year_gap(answers, condition=c, level=level, notes=notes) for c in conditions]
    return [fit for fit in fits if fit is not None], gap_band_table(answers, conditions)
