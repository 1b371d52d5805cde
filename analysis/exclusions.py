"""Participant exclusion rules, applied before any statistic, keeping raw counts for the report.

Catch trials (`is_catch`) never count towards accuracy; they only feed the failed-catch rule.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from analysis.notes import Notes


@dataclass(frozen=True)
class ExclusionRules:
    """Which participants to leave out. `None` switches a threshold rule off.

    - use_excluded_flag: drop participants whose rows carry `excluded` = true.
    - require_screening_pass: drop participants with `failed_screening` = true.
    - max_failed_catch: drop participants who failed more catch trials than this. A participant's
      count is the larger of the upstream `failed_catch` value and their wrong `is_catch` answers.
    - min_median_rt_ms: drop participants whose median reaction time (non-catch answers) is lower.
    - min_answers: drop participants with fewer non-catch answers.
    """

    use_excluded_flag: bool = True
    require_screening_pass: bool = True
    max_failed_catch: int | None = 0
    min_median_rt_ms: float | None = None
    min_answers: int | None = None

    @classmethod
    def none(cls) -> ExclusionRules:
        """Keep everybody (catch trials are still left out of accuracy)."""
        return cls(
            use_excluded_flag=False,
            require_screening_pass=False,
            max_failed_catch=None,
            min_median_rt_ms=None,
            min_answers=None,
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RuleCount:
    rule: str
    description: str
    n_participants: int
    n_answers: int


@dataclass
class ExclusionSummary:
    """Raw counts before exclusions, what each rule flagged, and what was kept."""

    rules: dict
    n_participants_raw: int
    n_answers_raw: int
    n_catch_answers: int
    per_rule: list[RuleCount] = field(default_factory=list)
    n_participants_excluded: int = 0
    n_answers_excluded: int = 0
    n_participants_kept: int = 0
    n_answers_kept: int = 0
    excluded_participants: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def apply_exclusions(
    answers: pd.DataFrame, *, rules: ExclusionRules, notes: Notes
) -> tuple[pd.DataFrame, ExclusionSummary]:
    """Return the non-catch answers of kept participants and a summary of what was removed."""
    catch = answers["is_catch"].to_numpy(dtype=bool)
    regular = answers.loc[~catch]
    summary = ExclusionSummary(
        rules=rules.to_dict(),
        n_participants_raw=int(answers["participant"].nunique()),
        n_answers_raw=len(regular),
        n_catch_answers=int(catch.sum()),
    )
    if len(answers) == 0:
        return regular, summary
    flags = participant_flags(answers, rules=rules, notes=notes)
    answers_per_participant = regular.groupby("participant").size()
    for rule, (description, flagged) in flags.items():
        summary.per_rule.append(
            RuleCount(
                rule=rule,
                description=description,
                n_participants=len(flagged),
                n_answers=int(answers_per_participant.reindex(list(flagged)).fillna(0).sum()),
            )
        )
        for participant in sorted(flagged):
            summary.excluded_participants.setdefault(participant, []).append(rule)
    excluded = set(summary.excluded_participants)
    dropped = regular["participant"].isin(excluded)
    kept = regular.loc[~dropped]
    summary.n_participants_excluded = len(excluded)
    summary.n_answers_excluded = int(dropped.sum())
    summary.n_participants_kept = int(kept["participant"].nunique())
    summary.n_answers_kept = len(kept)
    return kept, summary


def participant_flags(
    answers: pd.DataFrame, *, rules: ExclusionRules, notes: Notes
) -> dict[str, tuple[str, set[str]]]:
    """Rule name -> (human description, participants flagged by it), for the active rules."""
    by_participant = answers.groupby("participant")
    flags: dict[str, tuple[str, set[str]]] = {}
    if rules.use_excluded_flag:
        flagged = _participants_where(by_participant["excluded"].any())
        flags["excluded_flag"] = ("flagged `excluded` upstream", flagged)
    if rules.require_screening_pass:
        flagged = _participants_where(by_participant["failed_screening"].any())
        flags["failed_screening"] = ("failed the screening check", flagged)
    if rules.max_failed_catch is not None:
        failed = failed_catch_counts(answers)
        flagged = _participants_where(failed > rules.max_failed_catch)
        flags["failed_catch"] = (
            f"failed more than {rules.max_failed_catch} catch trial(s)",
            flagged,
        )
    if rules.min_median_rt_ms is not None:
        flags["fast_responder"] = (
            f"median reaction time below {rules.min_median_rt_ms:g} ms",
            _fast_responders(answers, threshold_ms=rules.min_median_rt_ms, notes=notes),
        )
    if rules.min_answers is not None:
        counts = answers.loc[~answers["is_catch"]].groupby("participant").size()
        counts = counts.reindex(answers["participant"].unique(), fill_value=0)
        flags["too_few_answers"] = (
            f"fewer than {rules.min_answers} non-catch answers",
            _participants_where(counts < rules.min_answers),
        )
    return flags


def failed_catch_counts(answers: pd.DataFrame) -> pd.Series:
    """Per participant: max(upstream `failed_catch`, wrong answers on `is_catch` trials)."""
    upstream = answers.groupby("participant")["failed_catch"].max()
    wrong_catch = (
        (answers["is_catch"] & ~answers["is_correct"]).groupby(answers["participant"]).sum()
    )
    return np.maximum(upstream, wrong_catch.reindex(upstream.index, fill_value=0))


def _fast_responders(answers: pd.DataFrame, *, threshold_ms: float, notes: Notes) -> set[str]:
    regular = answers.loc[~answers["is_catch"]]
    medians = regular.groupby("participant")["rt_ms"].median()
    unknown = int(medians.isna().sum())
    if unknown:
        notes.warn(
            "exclusions",
            f"reaction-time rule not applied to {unknown} participant(s) without reaction times.",
        )
    return _participants_where(medians < threshold_ms)


def _participants_where(mask: pd.Series) -> set[str]:
    return {str(p) for p in mask.index[mask.to_numpy(dtype=bool)]}
