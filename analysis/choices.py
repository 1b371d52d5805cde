"""Choice distributions: which option participants picked on each trial (SynVAE paper, figure 2),
and, when the class of the chosen option is known, a class confusion table.
"""

from __future__ import annotations

import pandas as pd

from analysis.table import MISSING_LABEL

CHOICE_COLUMNS = [
    "condition",
    "trial",
    "item",
    "class",
    "option",
    "n_chosen",
    "share",
    "is_correct",
]


def choice_distribution(answers: pd.DataFrame) -> pd.DataFrame:
    """Per trial: share of its participants who chose each option; the correct option is flagged.

    Options nobody chose are absent, except the correct one, which always has a row (share 0).
    """
    if len(answers) == 0:
        return pd.DataFrame(columns=CHOICE_COLUMNS)
    trials = answers.groupby(["condition", "trial"], sort=True).agg(
        item=("item", "first"),
        klass=("class", "first"),
        correct=("correct", "first"),
        n=("participant", "size"),
    )
    chosen = answers.groupby(["condition", "trial", "chosen"], sort=True).size().rename("n_chosen")
    chosen = chosen.reset_index().rename(columns={"chosen": "option"})
    correct = trials.reset_index()[["condition", "trial", "correct"]]
    correct = correct.rename(columns={"correct": "option"}).assign(n_chosen=0)
    table = pd.concat([chosen, correct]).drop_duplicates(["condition", "trial", "option"])
    table = table.merge(trials.reset_index(), on=["condition", "trial"], how="left")
    table["share"] = table["n_chosen"] / table["n"]
    table["is_correct"] = table["option"] == table["correct"]
    table = table.rename(columns={"klass": "class"})
    table = table.sort_values(
        ["condition", "trial", "is_correct", "n_chosen"], ascending=[True, True, False, False]
    )
    return table[CHOICE_COLUMNS].reset_index(drop=True)


def class_confusion(answers: pd.DataFrame) -> pd.DataFrame:
    """Per condition and class of the correct option: share choosing each class (long format).

    Needs `chosen_class`; rows without it count as '(missing)'.
    """
    columns = ["condition", "class", "chosen_class", "n_chosen", "share"]
    if len(answers) == 0 or answers["chosen_class"].isna().all():
        return pd.DataFrame(columns=columns)
    labelled = answers.assign(
        **{
            "class": answers["class"].fillna(MISSING_LABEL),
            "chosen_class": answers["chosen_class"].fillna(MISSING_LABEL),
        }
    )
    counts = labelled.groupby(["condition", "class", "chosen_class"], sort=True).size()
    table = counts.rename("n_chosen").reset_index()
    totals = table.groupby(["condition", "class"])["n_chosen"].transform("sum")
    table["share"] = table["n_chosen"] / totals
    return table[columns]
