"""Signal detection for yes/no conditions: d' and the criterion c, per participant and pooled.

A condition is yes/no when every answer's `correct` and `chosen` are "yes" or "no" (the
identities of worded Yes / No options, e.g. the affect_matching kind's "does this clip fit
this picture?"). A trial whose correct answer is "yes" is a signal trial (a fitting pair),
one whose correct answer is "no" a noise trial. Counts: hits ("yes" on signal), misses,
false alarms ("yes" on noise), correct rejections.

Rates use the log-linear correction (Hautus 1995): 0.5 is added to the hits and to the false
alarms and 1 to the number of signal and of noise trials, for every participant whatever
their rates, so a rate of 0 or 1 never makes z infinite:

    H = (hits + 0.5) / (signal trials + 1)        F = (false alarms + 0.5) / (noise trials + 1)
    d' = z(H) - z(F)                               c = -(z(H) + z(F)) / 2

z is the standard normal quantile (scipy.stats.norm.ppf). d' = 0 is chance (no
discrimination); c > 0 is a bias towards "no", c < 0 towards "yes". The correction pulls d'
towards 0 a little, more with fewer trials.

Against chance: the participants' d' by a one-sided one-sample t-test of mean d' > 0 (each
participant one value, so participants are the unit of analysis); the pooled d' (counts
summed over participants) with the Gourevitch & Galanter (1967) standard error and a
one-sided z-test of d' > 0, which treats every answer as independent.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

YES, NO = "yes", "no"
CORRECTION = "log-linear (Hautus 1995): +0.5 to hits and false alarms, +1 to trial counts"
COUNT_COLUMNS = ("signal_trials", "noise_trials", "hits", "false_alarms")
PARTICIPANT_COLUMNS = (
    "condition",
    "participant",
    *COUNT_COLUMNS,
    "hit_rate",
    "false_alarm_rate",
    "d_prime",
    "criterion",
)
SUMMARY_COLUMNS = (
    "condition",
    "n_participants",
    *COUNT_COLUMNS,
    "pooled_d_prime",
    "pooled_d_prime_se",
    "pooled_criterion",
    "pooled_p",
    "participant_d_prime_mean",
    "participant_d_prime_sd",
    "participant_t",
    "participant_p",
)


def is_yes_no(answers: pd.DataFrame) -> bool:
    """Whether every answer of these (one condition's) chose and was due "yes" or "no"."""
    if len(answers) == 0:
        return False
    words = {YES, NO}
    correct = answers["correct"].astype(str).str.lower()
    chosen = answers["chosen"].astype(str).str.lower()
    return bool(correct.isin(words).all() and chosen.isin(words).all())


def corrected_rates(
    *, hits: int, signal_trials: int, false_alarms: int, noise_trials: int
) -> tuple[float, float]:
    """(H, F) with the log-linear correction."""
    return (hits + 0.5) / (signal_trials + 1), (false_alarms + 0.5) / (noise_trials + 1)


def d_prime_and_criterion(
    *, hits: int, signal_trials: int, false_alarms: int, noise_trials: int
) -> tuple[float, float]:
    """(d', c) from counts, with the log-linear correction; NaN without signal or noise trials."""
    if signal_trials == 0 or noise_trials == 0:
        return float("nan"), float("nan")
    hit_rate, false_alarm_rate = corrected_rates(
        hits=hits,
        signal_trials=signal_trials,
        false_alarms=false_alarms,
        noise_trials=noise_trials,
    )
    z_hit, z_false_alarm = stats.norm.ppf(hit_rate), stats.norm.ppf(false_alarm_rate)
    return float(z_hit - z_false_alarm), float(-(z_hit + z_false_alarm) / 2)


def d_prime_standard_error(
    *, hits: int, signal_trials: int, false_alarms: int, noise_trials: int
) -> float:
    """Gourevitch & Galanter (1967): var(d') = H(1-H) / (N_s phi(z_H)^2) + F(1-F) / (N_n
    phi(z_F)^2), at the corrected rates."""
    if signal_trials == 0 or noise_trials == 0:
        return float("nan")
    h, f = corrected_rates(
        hits=hits,
        signal_trials=signal_trials,
        false_alarms=false_alarms,
        noise_trials=noise_trials,
    )
    variance = h * (1 - h) / (signal_trials * stats.norm.pdf(stats.norm.ppf(h)) ** 2) + f * (
        1 - f
    ) / (noise_trials * stats.norm.pdf(stats.norm.ppf(f)) ** 2)
    return math.sqrt(variance)


def counts(answers: pd.DataFrame) -> dict[str, int]:
    signal = answers["correct"].astype(str).str.lower() == YES
    said_yes = answers["chosen"].astype(str).str.lower() == YES
    return {
        "signal_trials": int(signal.sum()),
        "noise_trials": int((~signal).sum()),
        "hits": int((signal & said_yes).sum()),
        "false_alarms": int((~signal & said_yes).sum()),
    }


def participant_signal_detection(answers: pd.DataFrame) -> pd.DataFrame:
    """One row per yes/no condition and participant: counts, corrected rates, d', c."""
    rows = []
    for condition, group in answers.groupby("condition", sort=True):
        if not is_yes_no(group):
            continue
        for participant, own in group.groupby("participant", sort=True):
            tally = counts(own)
            hit_rate, false_alarm_rate = corrected_rates(**tally)
            d_prime, criterion = d_prime_and_criterion(**tally)
            rows.append(
                {
                    "condition": condition,
                    "participant": participant,
                    **tally,
                    "hit_rate": hit_rate,
                    "false_alarm_rate": false_alarm_rate,
                    "d_prime": d_prime,
                    "criterion": criterion,
                }
            )
    return pd.DataFrame(rows, columns=list(PARTICIPANT_COLUMNS))


def condition_signal_detection(answers: pd.DataFrame) -> pd.DataFrame:
    """One row per yes/no condition: pooled d' (with its standard error and one-sided z-test
    against 0) and c, and the participants' d' (mean, sd, one-sided t-test against 0)."""
    participants = participant_signal_detection(answers)
    rows = []
    for condition, group in answers.groupby("condition", sort=True):
        if not is_yes_no(group):
            continue
        tally = counts(group)
        pooled, criterion = d_prime_and_criterion(**tally)
        se = d_prime_standard_error(**tally)
        values = participants.loc[participants["condition"] == condition, "d_prime"].dropna()
        t, p = one_sided_t_against_zero(values.to_numpy(dtype=float))
        rows.append(
            {
                "condition": condition,
                "n_participants": int(group["participant"].nunique()),
                **tally,
                "pooled_d_prime": pooled,
                "pooled_d_prime_se": se,
                "pooled_criterion": criterion,
                "pooled_p": float(stats.norm.sf(pooled / se)) if se > 0 else float("nan"),
                "participant_d_prime_mean": float(values.mean()) if len(values) else float("nan"),
                "participant_d_prime_sd": float(values.std()) if len(values) > 1 else float("nan"),
                "participant_t": t,
                "participant_p": p,
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def one_sided_t_against_zero(values: np.ndarray) -> tuple[float, float]:
    """(t, p) of mean > 0; NaN with fewer than two values or no spread."""
    if len(values) < 2 or float(np.std(values)) == 0.0:
        return float("nan"), float("nan")
    result = stats.ttest_1samp(values, 0.0, alternative="greater")
    return float(result.statistic), float(result.pvalue)


TESTS_USED = (
    "Signal detection (yes/no conditions): hits are 'yes' to trials whose answer is yes, false "
    "alarms 'yes' to trials whose answer is no; rates with the log-linear correction (Hautus "
    "1995: +0.5 to hits and false alarms, +1 to trial counts); d' = z(H) - z(F), c = -(z(H) + "
    "z(F)) / 2 (scipy.stats.norm.ppf). Against chance (d' = 0): participants' d' by a "
    "one-sided one-sample t-test (scipy.stats.ttest_1samp, alternative='greater'); pooled "
    "counts' d' by a one-sided z-test with the Gourevitch & Galanter (1967) standard error."
)
