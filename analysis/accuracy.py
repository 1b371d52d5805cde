"""Accuracy tables: pooled, per participant, condition, class, trial, demographic group, position.

Every function takes the cleaned, non-catch answers (see analysis.table.normalise_answers) and
returns a plain DataFrame, so the report, the CSV export and the tests read the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.significance import uniform_choice_test, wilson_bounds
from analysis.table import MISSING_LABEL

COUNT_COLUMNS = [
    "n_participants",
    "n_answers",
    "n_correct",
    "accuracy",
    "wilson_low",
    "wilson_high",
]


def accuracy_table(answers: pd.DataFrame, *, by: list[str], level: float = 0.95) -> pd.DataFrame:
    """Answers, correct answers, accuracy and its Wilson interval for each group of `by`."""
    if len(answers) == 0:
        return pd.DataFrame(columns=[*by, *COUNT_COLUMNS])
    grouped = answers.groupby(by, sort=True, dropna=False)
    table = grouped.agg(
        n_participants=("participant", "nunique"),
        n_answers=("is_correct", "size"),
        n_correct=("is_correct", "sum"),
    ).reset_index()
    table["n_correct"] = table["n_correct"].astype(int)
    table["accuracy"] = table["n_correct"] / table["n_answers"]
    bounds = wilson_bounds(table["n_correct"], table["n_answers"], level=level)
    table["wilson_low"], table["wilson_high"] = bounds[:, 0], bounds[:, 1]
    return table


def participant_accuracy(answers: pd.DataFrame) -> pd.DataFrame:
    """One row per participant and condition: answers, accuracy, median rt, mean plays."""
    columns = ["condition", "participant", "n_answers", "n_correct", "accuracy"]
    if len(answers) == 0:
        return pd.DataFrame(columns=[*columns, "median_rt_ms", "mean_plays"])
    grouped = answers.groupby(["condition", "participant"], sort=True)
    table = grouped.agg(
        n_answers=("is_correct", "size"),
        n_correct=("is_correct", "sum"),
        median_rt_ms=("rt_ms", "median"),
        mean_plays=("plays", "mean"),
    ).reset_index()
    table["n_correct"] = table["n_correct"].astype(int)
    table["accuracy"] = table["n_correct"] / table["n_answers"]
    return table[[*columns, "median_rt_ms", "mean_plays"]]


def participant_spread(participants: pd.DataFrame) -> pd.DataFrame:
    """Per condition: mean and sd (ddof=1) of participant accuracies, min and max."""
    if len(participants) == 0:
        return pd.DataFrame(columns=["condition", "n", "mean", "sd", "min", "max"])
    grouped = participants.groupby("condition", sort=True)["accuracy"]
    table = grouped.agg(["size", "mean", "std", "min", "max"]).reset_index()
    return table.rename(columns={"size": "n", "std": "sd"})


def trial_accuracy(answers: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Per trial (within condition): accuracy, with the trial's item, class and n_options."""
    table = accuracy_table(answers, by=["condition", "trial"], level=level)
    if len(answers) == 0:
        return table.assign(item=[], **{"class": []}, n_options=[])
    first = answers.groupby(["condition", "trial"], sort=True)[
        ["item", "class", "n_options"]
    ].first()
    return table.merge(first.reset_index(), on=["condition", "trial"], how="left")


def class_accuracy(answers: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Per class of the correct option (within condition); rows without a class are '(missing)'."""
    labelled = answers.assign(**{"class": answers["class"].fillna(MISSING_LABEL)})
    return accuracy_table(labelled, by=["condition", "class"], level=level)


def demographic_accuracy(
    answers: pd.DataFrame, *, column: str, level: float = 0.95
) -> pd.DataFrame:
    """Per condition and value of a demographic column: pooled accuracy and participant spread."""
    labelled = answers.assign(group=answers[column].fillna(MISSING_LABEL))
    table = accuracy_table(labelled, by=["condition", "group"], level=level)
    if len(labelled) == 0:
        return table.assign(variable=[], participant_sd=[])
    per_person = labelled.groupby(["condition", "group", "participant"])["is_correct"].mean()
    spread = per_person.groupby(["condition", "group"]).std().rename("participant_sd")
    table = table.merge(spread.reset_index(), on=["condition", "group"], how="left")
    table.insert(0, "variable", column)
    return table


def position_table(answers: pd.DataFrame) -> pd.DataFrame:
    """Per condition and chosen screen position: how often it was chosen and how often rightly.

    `expected_share` is 1/n_options: what an unbiased participant would give if correct options
    were spread evenly over positions. `chi2_p` (same for every row of a condition) tests the
    chosen-position counts against equal shares.
    """
    columns = ["condition", "position", "n_chosen", "share_chosen", "expected_share"]
    columns += ["accuracy_when_chosen", "chi2_p"]
    known = answers.loc[answers["position"].notna()]
    if len(known) == 0:
        return pd.DataFrame(columns=columns)
    rows = []
    for condition, group in known.groupby("condition", sort=True):
        n_options = int(group["n_options"].max())
        positions = group["position"].astype(int)
        observed = positions.value_counts()
        index = sorted(set(range(n_options)) | set(observed.index))
        counts = observed.reindex(index, fill_value=0)
        correct_by_position = group.groupby(positions)["is_correct"].mean()
        chi2_p = uniform_choice_test(counts.reindex(range(n_options)).to_numpy())
        for position, n_chosen in counts.items():
            rows.append(
                {
                    "condition": condition,
                    "position": int(position),
                    "n_chosen": int(n_chosen),
                    "share_chosen": n_chosen / len(group),
                    "expected_share": 1.0 / n_options,
                    "accuracy_when_chosen": correct_by_position.get(position, np.nan),
                    "chi2_p": chi2_p,
                }
            )
    return pd.DataFrame(rows, columns=columns)


def correct_position_accuracy(answers: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Accuracy by the screen position of the correct option (needs `correct_position`)."""
    known = answers.loc[answers["correct_position"].notna()]
    known = known.assign(correct_position=known["correct_position"].astype(int))
    return accuracy_table(known, by=["condition", "correct_position"], level=level)
