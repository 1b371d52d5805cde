"""Power and sample size: how many participants a study needs to show accuracy above chance.

Two answers, as in the report: the pooled exact binomial test (every answer independent; an
optimistic count) and the binomial mixed model (participants and items vary; honest), the
latter by simulation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize, stats
from scipy.special import expit, logit
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from analysis.mixed import MixedModelUnavailable, fit_accuracy_model

MAX_POOLED_ANSWERS = 200_000


@dataclass(frozen=True)
class PowerPoint:
    n_participants: int
    power: float


@dataclass
class MixedPlan:
    participants_needed: int | None
    participant_sd: float
    item_sd: float
    n_items: int
    n_simulations: int
    intercept: float
    curve: list[PowerPoint] = field(default_factory=list)


@dataclass
class SampleSizePlan:
    accuracy: float
    n_options: int
    chance: float
    alpha: float
    power: float
    trials_per_participant: int
    pooled_answers_needed: int | None
    pooled_answers_needed_stable: int | None
    pooled_participants_needed: int | None
    normal_approx_answers: float
    normal_approx_participants: int
    pooled_curve: list[PowerPoint] = field(default_factory=list)
    mixed: MixedPlan | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def exact_binomial_power(
    *, n_answers: np.ndarray | int, accuracy: float, chance: float, alpha: float
) -> np.ndarray:
    """Power of the one-sided exact binomial test at each number of answers.

    The test rejects when correct answers reach c, the smallest count with P(X >= c | chance)
    <= alpha; power is P(X >= c | accuracy).
    """
    n = np.atleast_1d(np.asarray(n_answers, dtype=int))
    critical = stats.binom.isf(alpha, n, chance) + 1
    return stats.binom.sf(critical - 1, n, accuracy)


def answers_needed_exact(
    *, accuracy: float, chance: float, alpha: float, power: float, limit: int = MAX_POOLED_ANSWERS
) -> tuple[int | None, int | None]:
    """(first n reaching `power`, first n from which power never drops below it again).

    Exact tests are discrete, so power saw-tooths in n; the second number is the safe plan.
    """
    upper = 64
    while upper <= limit:
        n = np.arange(1, upper + 1)
        reached = exact_binomial_power(n_answers=n, accuracy=accuracy, chance=chance, alpha=alpha)
        reached = reached >= power
        if reached.any() and reached[-1]:
            first = int(n[np.argmax(reached)])
            failing = np.flatnonzero(~reached)
            stable = int(n[failing[-1] + 1]) if len(failing) else 1
            return first, stable
        upper *= 2
    return None, None


def normal_approx_answers(*, accuracy: float, chance: float, alpha: float, power: float) -> float:
    """statsmodels' one-sample normal approximation (Cohen's h, one-sided)."""
    effect = proportion_effectsize(accuracy, chance)
    return float(
        NormalIndPower().solve_power(
            effect_size=effect, nobs1=None, alpha=alpha, power=power, ratio=0, alternative="larger"
        )
    )


def plan_sample_size(
    *,
    accuracy: float,
    n_options: int,
    alpha: float = 0.05,
    power: float = 0.8,
    trials_per_participant: int,
    participant_sd: float = 0.5,
    item_sd: float = 0.3,
    n_items: int | None = None,
    simulate_mixed: bool = True,
    n_simulations: int = 100,
    max_participants: int = 200,
    seed: int = 0,
) -> SampleSizePlan:
    """Participants needed to detect `accuracy` against chance 1/n_options.

    `participant_sd` and `item_sd` are random-intercept sds on the logit scale (used by the mixed
    model simulation only); `accuracy` is the expected share of correct answers in both parts.
    Every participant answers `trials_per_participant` trials drawn from `n_items` items
    (default: all participants answer the same items).
    """
    chance = _check_inputs(accuracy, n_options, alpha, power, trials_per_participant)
    first, stable = answers_needed_exact(accuracy=accuracy, chance=chance, alpha=alpha, power=power)
    approx = normal_approx_answers(accuracy=accuracy, chance=chance, alpha=alpha, power=power)
    plan = SampleSizePlan(
        accuracy=accuracy,
        n_options=n_options,
        chance=chance,
        alpha=alpha,
        power=power,
        trials_per_participant=trials_per_participant,
        pooled_answers_needed=first,
        pooled_answers_needed_stable=stable,
        pooled_participants_needed=_ceil_div(stable, trials_per_participant),
        normal_approx_answers=approx,
        normal_approx_participants=math.ceil(approx / trials_per_participant),
    )
    plan.pooled_curve = _pooled_curve(plan)
    if simulate_mixed:
        plan.mixed = plan_mixed_model(
            accuracy=accuracy,
            chance=chance,
            alpha=alpha,
            power=power,
            trials_per_participant=trials_per_participant,
            participant_sd=participant_sd,
            item_sd=item_sd,
            n_items=n_items or trials_per_participant,
            n_simulations=n_simulations,
            start=max(plan.pooled_participants_needed or 2, 2),
            max_participants=max_participants,
            seed=seed,
        )
        if plan.mixed.participants_needed is None:
            plan.notes.append(
                f"the mixed model did not reach power {power:g} with up to {max_participants}"
                " participants in simulation."
            )
    return plan


def _check_inputs(
    accuracy: float, n_options: int, alpha: float, power: float, trials: int
) -> float:
    if n_options < 2:
        raise ValueError("n_options must be at least 2 (one option has no chance level)")
    chance = 1.0 / n_options
    if not chance < accuracy < 1:
        raise ValueError(f"accuracy must lie between chance ({chance:.3f}) and 1")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must lie between 0 and 1")
    if trials < 1:
        raise ValueError("trials_per_participant must be at least 1")
    return chance


def _ceil_div(value: int | None, divisor: int) -> int | None:
    return None if value is None else math.ceil(value / divisor)


def _pooled_curve(plan: SampleSizePlan) -> list[PowerPoint]:
    top = max(2 * (plan.pooled_participants_needed or 10), 10)
    participants = np.arange(1, top + 1)
    powers = exact_binomial_power(
        n_answers=participants * plan.trials_per_participant,
        accuracy=plan.accuracy,
        chance=plan.chance,
        alpha=plan.alpha,
    )
    return [PowerPoint(int(n), float(p)) for n, p in zip(participants, powers, strict=True)]


def intercept_for_accuracy(*, accuracy: float, total_sd: float) -> float:
    """Logit intercept whose accuracy, averaged over normal random effects, is `accuracy`."""
    if total_sd == 0:
        return float(logit(accuracy))
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()

    def gap(intercept: float) -> float:
        return float(weights @ expit(intercept + total_sd * nodes)) - accuracy

    return float(optimize.brentq(gap, -20, 20))


def simulated_mixed_power(
    *,
    n_participants: int,
    intercept: float,
    chance: float,
    alpha: float,
    trials_per_participant: int,
    participant_sd: float,
    item_sd: float,
    n_items: int,
    n_simulations: int,
    seed: int,
) -> float:
    """Share of simulated studies whose mixed-model intercept test rejects chance at alpha."""
    rejections = 0
    for simulation in range(n_simulations):
        rng = np.random.default_rng([seed, simulation])
        correct, participant, item = _simulate_study(
            rng,
            n_participants=n_participants,
            intercept=intercept,
            trials=trials_per_participant,
            participant_sd=participant_sd,
            item_sd=item_sd,
            n_items=n_items,
        )
        try:
            fit = fit_accuracy_model(
                correct=correct, participant=participant, item=item, chance=chance
            )
        except MixedModelUnavailable:
            continue
        rejections += fit.p_value < alpha
    return rejections / n_simulations


def _simulate_study(
    rng: np.random.Generator,
    *,
    n_participants: int,
    intercept: float,
    trials: int,
    participant_sd: float,
    item_sd: float,
    n_items: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    participant_effects = rng.normal(0, participant_sd, n_participants)
    item_effects = rng.normal(0, item_sd, n_items)
    participant = np.repeat(np.arange(n_participants), trials)
    if n_items == trials:
        item = np.tile(np.arange(trials), n_participants)
    else:
        draws = [
            rng.choice(n_items, size=trials, replace=trials > n_items)
            for _ in range(n_participants)
        ]
        item = np.concatenate(draws)
    eta = intercept + participant_effects[participant] + item_effects[item]
    correct = (rng.random(len(eta)) < expit(eta)).astype(float)
    return correct, participant, item


def plan_mixed_model(
    *,
    accuracy: float,
    chance: float,
    alpha: float,
    power: float,
    trials_per_participant: int,
    participant_sd: float,
    item_sd: float,
    n_items: int,
    n_simulations: int,
    start: int,
    max_participants: int,
    seed: int,
) -> MixedPlan:
    """Smallest participant count whose simulated power reaches `power` (grow, then bisect).

    Every candidate count reuses the same simulation seeds, which keeps the power curve smooth.
    """
    intercept = intercept_for_accuracy(
        accuracy=accuracy, total_sd=math.hypot(participant_sd, item_sd)
    )
    curve: dict[int, float] = {}

    def power_at(n: int) -> float:
        if n not in curve:
            curve[n] = simulated_mixed_power(
                n_participants=n,
                intercept=intercept,
                chance=chance,
                alpha=alpha,
                trials_per_participant=trials_per_participant,
                participant_sd=participant_sd,
                item_sd=item_sd,
                n_items=n_items,
                n_simulations=n_simulations,
                seed=seed,
            )
        return curve[n]

    low, high = 1, min(max(start, 2), max_participants)  # one participant identifies nothing
    while power_at(high) < power:
        if high >= max_participants:
            return _mixed_plan(
                None, curve, participant_sd, item_sd, n_items, n_simulations, intercept
            )
        low, high = high, min(max(math.ceil(high * 1.3), high + 1), max_participants)
    while high - low > 1:
        middle = (low + high) // 2
        if power_at(middle) >= power:
            high = middle
        else:
            low = middle
    return _mixed_plan(high, curve, participant_sd, item_sd, n_items, n_simulations, intercept)


def _mixed_plan(
    needed: int | None,
    curve: dict[int, float],
    participant_sd: float,
    item_sd: float,
    n_items: int,
    n_simulations: int,
    intercept: float,
) -> MixedPlan:
    return MixedPlan(
        participants_needed=needed,
        participant_sd=participant_sd,
        item_sd=item_sd,
        n_items=n_items,
        n_simulations=n_simulations,
        intercept=intercept,
        curve=[PowerPoint(n, p) for n, p in sorted(curve.items())],
    )
