"""Sample-size planning: exact binomial power, normal approximation, mixed-model simulation."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit

from analysis.power import (
    answers_needed_exact,
    exact_binomial_power,
    intercept_for_accuracy,
    normal_approx_answers,
    plan_sample_size,
)


def brute_force_power(n, accuracy, chance, alpha):
    """Reject when the exact p-value (upper tail under chance) is <= alpha; sum P(k | accuracy)."""
    return sum(
        stats.binom.pmf(k, n, accuracy)
        for k in range(n + 1)
        if stats.binom.sf(k - 1, n, chance) <= alpha
    )


@pytest.mark.parametrize("n", [5, 20, 47, 120])
def test_exact_power_matches_a_brute_force_sum(n):
    ours = exact_binomial_power(n_answers=n, accuracy=0.6, chance=1 / 3, alpha=0.05)[0]
    assert ours == pytest.approx(brute_force_power(n, 0.6, 1 / 3, 0.05), abs=1e-12)


def test_power_at_chance_never_exceeds_alpha():
    powers = exact_binomial_power(
        n_answers=np.arange(1, 300), accuracy=0.25, chance=0.25, alpha=0.05
    )
    assert powers.max() <= 0.05 + 1e-12


def test_answers_needed_is_the_first_n_reaching_power_and_the_stable_n_never_dips_after():
    first, stable = answers_needed_exact(accuracy=0.6, chance=0.5, alpha=0.05, power=0.8)
    n = np.arange(1, 4 * stable)
    powers = exact_binomial_power(n_answers=n, accuracy=0.6, chance=0.5, alpha=0.05)
    assert powers[first - 1] >= 0.8 and (powers[: first - 1] < 0.8).all()
    assert (powers[stable - 1 :] >= 0.8).all() and powers[stable - 2] < 0.8
    assert first <= stable


def test_normal_approximation_agrees_with_the_exact_count_roughly():
    approx = normal_approx_answers(accuracy=0.6, chance=0.5, alpha=0.05, power=0.8)
    _, stable = answers_needed_exact(accuracy=0.6, chance=0.5, alpha=0.05, power=0.8)
    assert 0.8 * stable < approx < 1.2 * stable


def test_intercept_for_accuracy_averages_back_to_the_requested_accuracy():
    intercept = intercept_for_accuracy(accuracy=0.7, total_sd=1.0)
    draws = np.random.default_rng(0).normal(intercept, 1.0, 200_000)
    assert expit(draws).mean() == pytest.approx(0.7, abs=3e-3)
    assert intercept_for_accuracy(accuracy=0.7, total_sd=0.0) == pytest.approx(math.log(0.7 / 0.3))


def test_pooled_plan_converts_answers_to_participants():
    plan = plan_sample_size(
        accuracy=0.45, n_options=3, trials_per_participant=20, simulate_mixed=False
    )
    assert plan.pooled_participants_needed == math.ceil(plan.pooled_answers_needed_stable / 20)
    assert plan.normal_approx_participants == math.ceil(plan.normal_approx_answers / 20)
    assert plan.mixed is None
    curve = {p.n_participants: p.power for p in plan.pooled_curve}
    assert curve[plan.pooled_participants_needed] >= 0.8


@pytest.mark.slow
def test_mixed_model_needs_at_least_as_many_participants_as_the_pooled_test():
    plan = plan_sample_size(
        accuracy=0.45,
        n_options=3,
        trials_per_participant=10,
        participant_sd=0.8,
        item_sd=0.3,
        n_simulations=16,
        max_participants=80,
        seed=1,
    )
    mixed = plan.mixed
    assert mixed.participants_needed is not None
    assert mixed.participants_needed >= plan.pooled_participants_needed
    curve = {p.n_participants: p.power for p in mixed.curve}
    assert curve[mixed.participants_needed] >= 0.8
    below = [n for n in curve if n < mixed.participants_needed]
    assert all(curve[n] < 0.8 for n in below)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accuracy": 0.3, "n_options": 3}, "between chance"),
        ({"accuracy": 0.9, "n_options": 1}, "at least 2"),
        ({"accuracy": 0.9, "n_options": 2, "power": 1.5}, "between 0 and 1"),
    ],
)
def test_impossible_plans_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plan_sample_size(trials_per_participant=20, simulate_mixed=False, **kwargs)
