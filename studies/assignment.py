"""Balanced assignment: which test trials a new participant gets, and in which option order.

Every trial is handed out until it has `quota` active raters and never beyond, least-covered
trials first, so each trial ends with exactly the same number of raters (what Fleiss' kappa
needs). Option positions are counterbalanced, not just shuffled: the k-th rater of a trial sees
a fixed per-trial order rotated by k, so over any n_options raters each option (the correct
one included) appears once in every screen position.
"""

import random
from collections.abc import Mapping, Sequence


def choose_trials(
    *,
    trial_ids: Sequence[int],
    active_raters: Mapping[int, int],
    quota: int,
    wanted: int,
    rng: random.Random,
) -> list[int] | None:
    """The `wanted` least-covered trials with room left, in a random order; None when full."""
    open_trials = [t for t in trial_ids if active_raters.get(t, 0) < quota]
    if len(open_trials) < wanted:
        return None
    rng.shuffle(open_trials)  # ties between equally covered trials are broken at random
    open_trials.sort(key=lambda t: active_raters.get(t, 0))
    chosen = open_trials[:wanted]
    rng.shuffle(chosen)
    return chosen


def counterbalanced_order(
    *, option_ids: Sequence[int], rater_index: int, trial_seed: str
) -> list[int]:
    """Screen order for the `rater_index`-th rater: a per-trial base order, rotated."""
    base = sorted(option_ids)
    random.Random(trial_seed).shuffle(base)
    shift = rater_index % len(base)
    return base[shift:] + base[:shift]
