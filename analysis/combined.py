"""Reports across several studies: one answers table with a `study` column.

The Vis2Mus paper reports its brightness, contrast and style tests, three studies, in one table:
each test against its own chance level, Holm across the three. Stacking the studies' tables
and analysing them as one report does exactly that, provided two things hold:

- a condition names one study's test: `<condition>` when no other study has that condition,
  else `<study>: <condition>`;
- a participant of one study is not a participant of another: when the same id appears in two
  studies, every id becomes `<study>/<id>`.

Each study may exclude participants by its own rules: `flag_exclusions_by_study` applies them
study by study and marks the excluded rows, so the combined report keeps its own counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from analysis.exclusions import ExclusionRules, participant_flags
from analysis.notes import Notes


def stack_studies(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One table from several, each row tagged with its study's name (a `study` column the
    table already fills is kept, so a combined export can be stacked again)."""
    frames = []
    for name, table in tables.items():
        frame = table.copy()
        if "study" in frame.columns:
            given = frame["study"].astype(object)
            blank = given.isna() | (given.astype(str).str.strip() == "")
            frame["study"] = given.where(~blank, name)
        else:
            frame["study"] = name
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True, sort=False)


def study_names(answers: pd.DataFrame) -> list[str]:
    """The distinct studies of a table, in order of appearance (none: [])."""
    if "study" not in answers.columns:
        return []
    return [str(s) for s in pd.unique(answers["study"].dropna())]


def separate_studies(answers: pd.DataFrame, *, notes: Notes) -> pd.DataFrame:
    """Conditions and participants of a normalised table made distinct per study.

    A table of one study (or none) comes back as it is.
    """
    studies = study_names(answers)
    if len(studies) < 2:
        return answers
    answers = answers.copy()
    answers["study"] = answers["study"].fillna("(no study)")
    studies_per_condition = answers.groupby("condition")["study"].nunique()
    shared = sorted(studies_per_condition.index[studies_per_condition > 1])
    in_shared = answers["condition"].isin(shared)
    answers.loc[in_shared, "condition"] = (
        answers.loc[in_shared, "study"] + ": " + answers.loc[in_shared, "condition"]
    )
    people = answers.groupby("participant")["study"].nunique()
    if (people > 1).any():
        answers["participant"] = answers["study"] + "/" + answers["participant"]
        notes.info(
            "studies",
            f"{int((people > 1).sum())} participant id(s) appear in more than one study: "
            "participants are named '<study>/<id>'.",
        )
    answers["key"] = answers["condition"] + " / " + answers["trial"]
    named = ""
    if shared:
        named = "; conditions several studies share are named '<study>: <condition>' "
        named += f"({', '.join(shared)})"
    notes.info(
        "studies",
        f"answers of {len(studies)} studies ({', '.join(studies)}): each condition is analysed "
        f"against its own chance level, Holm across all of them{named}.",
    )
    return answers


def rules_by_study(
    answers: pd.DataFrame, rules: Mapping[str, ExclusionRules], *, notes: Notes
) -> tuple[pd.DataFrame, ExclusionRules]:
    """The rules to apply to a table over several studies, each with its own rules.

    Studies that share one set of rules: that set. Otherwise each study's rules flag its own
    participants (`excluded`, with the rules in `exclusion_reason`) and the combined report
    honours that flag alone. A study missing from `rules` keeps everyone.
    """
    distinct = set(rules.values())
    if len(distinct) == 1:
        return answers, distinct.pop()
    marked = answers.copy()
    marked["excluded"] = False
    for study, study_rules in rules.items():
        rows = marked["study"] == study
        flagged: dict[str, list[str]] = {}
        for rule, (_, participants) in participant_flags(
            marked.loc[rows], rules=study_rules, notes=notes
        ).items():
            for participant in participants:
                flagged.setdefault(participant, []).append(rule)
        hit = rows & marked["participant"].isin(set(flagged))
        marked.loc[hit, "excluded"] = True
        marked.loc[hit, "exclusion_reason"] = marked.loc[hit, "participant"].map(
            lambda p, flagged=flagged: ", ".join(flagged[p])
        )
        if flagged:
            notes.info(
                "exclusions",
                f"{study}: its own rules exclude {len(flagged)} participant(s) "
                f"({_rule_counts(flagged)}).",
            )
    notes.info(
        "exclusions",
        "the studies exclude participants by different rules: each study's rules were applied "
        "to its own participants (counted here as rule excluded_flag).",
    )
    return marked, replace(ExclusionRules.none(), use_excluded_flag=True)


def _rule_counts(flagged: dict[str, list[str]]) -> str:
    counts: dict[str, int] = {}
    for rules in flagged.values():
        for rule in rules:
            counts[rule] = counts.get(rule, 0) + 1
    return ", ".join(f"{rule}: {n}" for rule, n in sorted(counts.items()))
