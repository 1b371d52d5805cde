"""Binomial tests and intervals, checked against independent computations."""

import math

import numpy as np
import pytest
from scipy import stats

from analysis.significance import (
    binomial_test_against_chance,
    clopper_pearson_interval,
    holm_adjust,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("k", "n", "chance"),
    [(14, 20, 1 / 3), (7, 20, 1 / 3), (60, 100, 0.5), (3, 4, 0.25), (0, 5, 0.5)],
)
def test_one_sided_p_value_is_the_upper_tail_sum_of_binomial_probabilities(k, n, chance):
    upper_tail = sum(stats.binom.pmf(j, n, chance) for j in range(k, n + 1))
    result = binomial_test_against_chance(n_correct=k, n_answers=n, chance=chance)
    assert result.p_value == pytest.approx(upper_tail, rel=1e-9)
    assert result.accuracy == k / n


def test_vis2mus_style_result_is_significant_and_chance_level_result_is_not():
    # 62.5% of 80 answers on a two-option task vs 40 of 80
    assert binomial_test_against_chance(n_correct=50, n_answers=80, chance=0.5).p_value < 0.05
    assert binomial_test_against_chance(n_correct=40, n_answers=80, chance=0.5).p_value > 0.4


@pytest.mark.parametrize(("k", "n"), [(14, 20), (1, 30), (250, 360)])
def test_clopper_pearson_bounds_have_exactly_half_alpha_in_each_tail(k, n):
    interval = clopper_pearson_interval(successes=k, trials=n, level=0.95)
    # the lower bound is the p at which seeing k or more is just 2.5% likely, and vice versa
    assert stats.binom.sf(k - 1, n, interval.low) == pytest.approx(0.025, abs=1e-7)
    assert stats.binom.cdf(k, n, interval.high) == pytest.approx(0.025, abs=1e-7)
    assert interval.low < k / n < interval.high


def test_clopper_pearson_is_one_sided_at_the_extremes():
    assert clopper_pearson_interval(successes=0, trials=10).low == 0.0
    assert clopper_pearson_interval(successes=10, trials=10).high == 1.0


@pytest.mark.parametrize(("k", "n"), [(14, 20), (0, 12), (250, 360)])
def test_wilson_interval_matches_the_score_formula(k, n):
    z = stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    interval = wilson_interval(successes=k, trials=n, level=0.95)
    assert interval.low == pytest.approx(centre - half, abs=1e-12)
    assert interval.high == pytest.approx(centre + half, abs=1e-12)


def test_holm_multiplies_the_smallest_p_by_the_number_of_tests_and_keeps_order():
    adjusted = holm_adjust([0.01, 0.04, 0.03, float("nan")])
    assert adjusted[0] == pytest.approx(0.03)
    assert adjusted[2] == pytest.approx(0.06)  # second smallest times 2
    assert adjusted[1] == pytest.approx(0.06)  # max(0.04 * 1, previous) keeps monotonicity
    assert np.isnan(adjusted[3])


def test_a_test_without_answers_is_refused():
    with pytest.raises(ValueError, match="at least one answer"):
        binomial_test_against_chance(n_correct=0, n_answers=0, chance=0.5)
