"""Exact one-sided binomial tests against chance, binomial intervals, Holm correction.

The pooled test treats every answer as independent; repeated answers of one person are not,
which is why reports show the mixed model (analysis.mixed) beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float
    method: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BinomialTest:
    """One-sided exact binomial test of accuracy > chance, with two-sided intervals."""

    n_correct: int
    n_answers: int
    chance: float
    accuracy: float
    p_value: float
    clopper_pearson: Interval
    wilson: Interval

    def to_dict(self) -> dict:
        return asdict(self)


def clopper_pearson_interval(*, successes: int, trials: int, level: float = 0.95) -> Interval:
    """Exact (Clopper-Pearson) two-sided interval for a binomial proportion."""
    low, high = proportion_confint(successes, trials, alpha=1 - level, method="beta")
    return Interval(low=float(low), high=float(high), level=level, method="clopper-pearson")


def wilson_interval(*, successes: int, trials: int, level: float = 0.95) -> Interval:
    """Wilson score two-sided interval for a binomial proportion."""
    low, high = proportion_confint(successes, trials, alpha=1 - level, method="wilson")
    return Interval(low=float(low), high=float(high), level=level, method="wilson")


def binomial_test_against_chance(
    *, n_correct: int, n_answers: int, chance: float, level: float = 0.95
) -> BinomialTest:
    """scipy.stats.binomtest(k, n, p=chance, alternative='greater') plus both intervals."""
    if n_answers < 1:
        raise ValueError("a binomial test needs at least one answer")
    result = stats.binomtest(int(n_correct), int(n_answers), p=chance, alternative="greater")
    return BinomialTest(
        n_correct=int(n_correct),
        n_answers=int(n_answers),
        chance=float(chance),
        accuracy=n_correct / n_answers,
        p_value=float(result.pvalue),
        clopper_pearson=clopper_pearson_interval(
            successes=n_correct, trials=n_answers, level=level
        ),
        wilson=wilson_interval(successes=n_correct, trials=n_answers, level=level),
    )


def holm_adjust(p_values: list[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN entries stay NaN and do not count as tests)."""
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(values, np.nan)
    finite = np.isfinite(values)
    if finite.any():
        adjusted[finite] = multipletests(values[finite], method="holm")[1]
    return adjusted


def wilson_bounds(successes: np.ndarray, trials: np.ndarray, *, level: float) -> np.ndarray:
    """Vectorised Wilson intervals for table rows; returns an (n, 2) array (NaN where n = 0)."""
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    bounds = np.full((len(trials), 2), np.nan)
    ok = trials > 0
    if ok.any():
        low, high = proportion_confint(successes[ok], trials[ok], alpha=1 - level, method="wilson")
        bounds[ok, 0], bounds[ok, 1] = low, high
    return bounds


def uniform_choice_test(counts: np.ndarray) -> float:
    """Chi-square goodness-of-fit p-value of choice counts against equal shares (NaN if n < 1)."""
    counts = np.asarray(counts, dtype=float)
    if counts.sum() < 1 or len(counts) < 2:
        return float("nan")
    return float(stats.chisquare(counts).pvalue)
