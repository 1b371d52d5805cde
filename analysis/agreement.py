"""Inter-rater agreement: Fleiss' kappa and Randolph's free-marginal kappa, with a bootstrap
interval over participants.

Raters are participants, subjects are trials, categories are option identities (never screen
positions, which are shuffled per participant). Fleiss' kappa needs the same number of raters on
every trial; when a condition does not have that, `equalise_raters` makes it so and says how.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import fleiss_kappa

from analysis.notes import Notes
from analysis.significance import Interval

RaterPolicy = Literal["subsample", "complete_trials"]


@dataclass(frozen=True)
class Agreement:
    fleiss_kappa: float
    fleiss_ci: Interval | None
    randolph_kappa: float
    randolph_ci: Interval | None
    n_trials: int
    raters_per_trial: int
    n_categories: int
    categories: str
    rater_handling: str | None
    n_bootstrap: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RatingCodes:
    """Answers of one condition coded for agreement: one row per answer."""

    participant: np.ndarray  # int index into participants
    trial: np.ndarray  # int index into trials
    category: np.ndarray  # int category code
    n_participants: int
    n_trials: int
    n_categories: int
    description: str


def kappa_from_counts(counts: np.ndarray, *, method: str = "fleiss") -> float:
    """statsmodels' fleiss_kappa on a trials x categories count table; NaN where undefined.

    Fleiss' kappa is undefined when every rating falls in one category (chance agreement 1).
    """
    counts = np.asarray(counts, dtype=float)
    if counts.shape[0] < 1 or counts.sum(axis=1).min() < 2:
        return float("nan")
    shares = counts.sum(axis=0) / counts.sum()
    if method == "fleiss" and np.isclose((shares**2).sum(), 1.0):
        return float("nan")
    return float(fleiss_kappa(counts, method=method))


def code_ratings(answers: pd.DataFrame, *, n_options: int) -> RatingCodes:
    """Map each answer's chosen identity to a category column shared by all trials.

    When the condition has no more distinct identities than options (identities are labels
    such as classes, reused on every trial), each identity is its own category. Otherwise each
    trial's options are ranked by identity and the rank is the category; Fleiss' chance term then
    depends on that arbitrary order, Randolph's does not.
    """
    participants, participant_index = np.unique(answers["participant"], return_inverse=True)
    trials, trial_index = np.unique(answers["key"], return_inverse=True)
    identities = pd.unique(pd.concat([answers["chosen"], answers["correct"]]))
    if len(identities) <= n_options:
        order = {identity: code for code, identity in enumerate(sorted(identities))}
        category = answers["chosen"].map(order).to_numpy(dtype=int)
        n_categories = n_options
        description = "option identity (shared by all trials)"
    else:
        category, widest = _rank_within_trial(answers)
        n_categories = max(n_options, widest)
        description = "option identity, ranked within each trial (trials have different options)"
    return RatingCodes(
        participant=participant_index,
        trial=trial_index,
        category=category,
        n_participants=len(participants),
        n_trials=len(trials),
        n_categories=n_categories,
        description=description,
    )


def _rank_within_trial(answers: pd.DataFrame) -> tuple[np.ndarray, int]:
    seen = pd.concat(
        [
            answers[["key", "chosen"]],
            answers[["key", "correct"]].rename(columns={"correct": "chosen"}),
        ]
    ).drop_duplicates()
    seen = seen.sort_values(["key", "chosen"])
    seen["rank"] = seen.groupby("key").cumcount()
    ranks = answers[["key", "chosen"]].merge(seen, on=["key", "chosen"], how="left")["rank"]
    return ranks.to_numpy(dtype=int), int(seen["rank"].max()) + 1


def count_table(codes: RatingCodes) -> np.ndarray:
    """Trials x categories table of how many raters chose each category."""
    flat = codes.trial * codes.n_categories + codes.category
    counts = np.bincount(flat, minlength=codes.n_trials * codes.n_categories)
    return counts.reshape(codes.n_trials, codes.n_categories)


def equalise_raters(
    answers: pd.DataFrame, *, policy: RaterPolicy, seed: int
) -> tuple[pd.DataFrame, str | None]:
    """Give every trial the same number of raters; returns the answers and what was done."""
    raters = answers.groupby("key")["participant"].transform("size")
    low, high = int(raters.min()), int(raters.max())
    if low == high:
        return answers, None
    spread = f"raters per trial ranged from {low} to {high}"
    if policy == "complete_trials":
        kept = answers.loc[raters == high]
        n_trials = kept["key"].nunique()
        action = f"kept the {n_trials} trial(s) rated by all {high} raters"
        return kept, f"{spread}; {action} ({len(kept)} of {len(answers)} answers)."
    usable = answers.loc[raters >= 2]
    dropped_trials = answers["key"].nunique() - usable["key"].nunique()
    if len(usable) == 0:
        return usable, f"{spread}; no trial has two raters."
    target = int(usable.groupby("key").size().min())
    rng = np.random.default_rng(seed)
    shuffled = usable.assign(_draw=rng.random(len(usable)))
    rank = shuffled.groupby("key")["_draw"].rank(method="first")
    kept = usable.loc[rank.to_numpy() <= target]
    action = f"each trial subsampled at random to {target} raters (seed {seed})"
    if dropped_trials:
        action = f"{dropped_trials} trial(s) with fewer than 2 raters dropped; " + action
    return kept, f"{spread}; {action} ({len(kept)} of {len(answers)} answers kept)."


def bootstrap_kappas(
    codes: RatingCodes, *, n_bootstrap: int, seed: int, chunk: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Fleiss and Randolph kappas for participant-resampled replicates (vectorised).

    A participant drawn c times counts as c raters, but pairs of a participant with their own
    copies are not counted as agreement (that would inflate kappa).
    """
    n_p, n_t, n_k = codes.n_participants, codes.n_trials, codes.n_categories
    chosen = np.zeros((n_p, n_t * n_k))
    chosen[codes.participant, codes.trial * n_k + codes.category] = 1.0
    rated = np.zeros((n_p, n_t))
    rated[codes.participant, codes.trial] = 1.0
    rng = np.random.default_rng(seed)
    fleiss, randolph = [], []
    for start in range(0, n_bootstrap, chunk):
        size = min(chunk, n_bootstrap - start)
        draws = rng.integers(0, n_p, size=(size, n_p))
        offsets = (np.arange(size)[:, None] * n_p + draws).ravel()
        weights = np.bincount(offsets, minlength=size * n_p).reshape(size, n_p).astype(float)
        f, r = weighted_kappas(weights, chosen=chosen, rated=rated, n_categories=n_k)
        fleiss.append(f)
        randolph.append(r)
    if not fleiss:
        return np.array([]), np.array([])
    return np.concatenate(fleiss), np.concatenate(randolph)


def weighted_kappas(
    weights: np.ndarray, *, chosen: np.ndarray, rated: np.ndarray, n_categories: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fleiss and Randolph kappa for each row of participant weights (copy counts)."""
    size = weights.shape[0]
    counts = (weights @ chosen).reshape(size, -1, n_categories)
    raters = weights @ rated
    self_pairs = (weights * (weights - 1)) @ rated
    agreeing = (counts**2).sum(axis=2) - raters - self_pairs
    pairs = raters * (raters - 1) - self_pairs
    with np.errstate(invalid="ignore", divide="ignore"):
        per_trial = np.where(pairs > 0, agreeing / pairs, 0.0)
        observed = per_trial.sum(axis=1) / (pairs > 0).sum(axis=1)
        shares = counts.sum(axis=1) / raters.sum(axis=1, keepdims=True)
        expected = (shares**2).sum(axis=1)
        fleiss = np.where(np.isclose(expected, 1.0), np.nan, (observed - expected) / (1 - expected))
    uniform = 1.0 / n_categories
    randolph = (observed - uniform) / (1 - uniform)
    return fleiss, randolph


def percentile_interval(values: np.ndarray, *, level: float) -> Interval | None:
    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return None
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(low=float(low), high=float(high), level=level, method="bootstrap percentile")


def condition_agreement(
    answers: pd.DataFrame,
    *,
    condition: str,
    n_options: int,
    level: float,
    n_bootstrap: int,
    policy: RaterPolicy,
    seed: int,
    notes: Notes,
) -> Agreement | None:
    """Kappas for one condition's answers, or None (with a note) when they cannot be computed."""
    topic = f"agreement [{condition}]"
    if answers["participant"].nunique() < 2:
        notes.warn(topic, "kappa needs at least two participants rating the same trials.")
        return None
    balanced, handling = equalise_raters(answers, policy=policy, seed=seed)
    if handling:
        notes.warn(topic, handling)
    if len(balanced) == 0 or balanced.groupby("key").size().min() < 2:
        notes.warn(topic, "no trial was rated by two or more participants; kappa not computed.")
        return None
    codes = code_ratings(balanced, n_options=n_options)
    counts = count_table(codes)
    fleiss = kappa_from_counts(counts, method="fleiss")
    randolph = kappa_from_counts(counts, method="randolph")
    if np.isnan(fleiss):
        notes.warn(
            topic,
            "Fleiss' kappa is undefined: every rating fell in one category (chance agreement 1);"
            " Randolph's free-marginal kappa is reported.",
        )
    fleiss_boot, randolph_boot = bootstrap_kappas(codes, n_bootstrap=n_bootstrap, seed=seed)
    return Agreement(
        fleiss_kappa=fleiss,
        fleiss_ci=None if np.isnan(fleiss) else percentile_interval(fleiss_boot, level=level),
        randolph_kappa=randolph,
        randolph_ci=percentile_interval(randolph_boot, level=level),
        n_trials=codes.n_trials,
        raters_per_trial=int(counts.sum(axis=1)[0]),
        n_categories=codes.n_categories,
        categories=codes.description,
        rater_handling=handling,
        n_bootstrap=n_bootstrap,
    )
