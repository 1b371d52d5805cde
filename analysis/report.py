"""build_report: the one entry point from an answers table to every statistic of a report.

The result is a plain dataclass; renderers (HTML, PDF, JSON, CSV) only read it. Odd data never
raises here: what cannot be computed becomes a note saying why. The one exception is a table
that has rows but lacks required columns (AnswersSchemaError): that is a caller's bug.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from analysis import accuracy, choices, grouping, signal_detection, year_gap
from analysis.agreement import Agreement, RaterPolicy, condition_agreement
from analysis.combined import rules_by_study, separate_studies, study_names
from analysis.exclusions import ExclusionRules, ExclusionSummary, apply_exclusions
from analysis.mixed import MixedModel, MixedModelUnavailable, fit_accuracy_model
from analysis.notes import Notes
from analysis.significance import BinomialTest, binomial_test_against_chance, holm_adjust
from analysis.table import DEMOGRAPHIC_COLUMNS, normalise_answers
from analysis.table_one import table_one

FORMAT_VERSION = 1


@dataclass
class ConditionResult:
    condition: str
    n_options: int
    chance: float
    n_participants: int
    n_answers: int
    n_correct: int
    accuracy: float
    participant_mean: float
    participant_sd: float
    test: BinomialTest
    p_holm: float = float("nan")
    agreement: Agreement | None = None
    mixed: MixedModel | None = None
    study: str | None = None  # the study a condition belongs to, in a report across studies

    def to_dict(self, *, alpha: float) -> dict:
        agreement = self.agreement
        return {
            "study": self.study,
            "n_options": self.n_options,
            "chance": self.chance,
            "n_participants": self.n_participants,
            "n_answers": self.n_answers,
            "n_correct": self.n_correct,
            "accuracy": self.accuracy,
            "accuracy_ci": self.test.clopper_pearson.to_dict(),
            "accuracy_ci_wilson": self.test.wilson.to_dict(),
            "participant_accuracy_mean": self.participant_mean,
            "participant_accuracy_sd": self.participant_sd,
            "binomial_p": self.test.p_value,
            "binomial_p_holm": self.p_holm,
            "rejects_chance_holm": bool(self.p_holm < alpha),
            "fleiss_kappa": agreement.fleiss_kappa if agreement else None,
            "fleiss_kappa_ci": _interval(agreement.fleiss_ci if agreement else None),
            "randolph_kappa": agreement.randolph_kappa if agreement else None,
            "randolph_kappa_ci": _interval(agreement.randolph_ci if agreement else None),
            "agreement": agreement.to_dict() if agreement else None,
            "mixed_model": self.mixed.to_dict() if self.mixed else None,
        }


@dataclass
class Report:
    title: str
    generated_at: str
    settings: dict
    tests_used: list[str]
    n_participants: int
    n_answers: int
    exclusions: ExclusionSummary
    conditions: list[ConditionResult] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: Notes = field(default_factory=Notes)
    studies: list[str] = field(default_factory=list)  # several: a report across studies

    @property
    def alpha(self) -> float:
        return self.settings["alpha"]

    def to_dict(self, *, include_tables: bool = True) -> dict:
        """JSON-ready dict (NaN -> None); keys are documented in docs/analysis.md."""
        data = {
            "format_version": FORMAT_VERSION,
            "title": self.title,
            "studies": self.studies,
            "generated_at": self.generated_at,
            "settings": self.settings,
            "tests_used": self.tests_used,
            "n_participants": self.n_participants,
            "n_answers": self.n_answers,
            "exclusions": self.exclusions.to_dict(),
            "conditions": {c.condition: c.to_dict(alpha=self.alpha) for c in self.conditions},
            "notes": [note.to_dict() for note in self.notes],
        }
        if include_tables:
            data["tables"] = {name: _records(table) for name, table in self.tables.items()}
        return jsonable(data)


def build_report(
    answers: pd.DataFrame | list[dict],
    *,
    title: str = "Synlab study report",
    exclusions: ExclusionRules | Mapping[str, ExclusionRules] | None = None,
    alpha: float = 0.05,
    n_bootstrap: int = 1000,
    rater_policy: RaterPolicy = "subsample",
    mixed_model: bool = True,
    seed: int = 0,
    groupings: pd.DataFrame | list[dict] | None = None,
) -> Report:
    """Every statistic of a report, from one answers table (columns: docs/analysis.md).

    answers: a DataFrame or a list of row dicts, one per answer. A `study` column naming several
    studies makes a report across them (analysis.combined: conditions and participants kept
    apart per study, Holm across every condition).
    exclusions: participant rules applied first (default ExclusionRules(); ExclusionRules.none()
    keeps everyone); across studies also a mapping study -> its own rules.
    alpha: test level; intervals are two-sided at 1 - alpha. n_bootstrap: participant
    resamples for the kappa intervals. rater_policy: how trials with unequal rater
    counts are made equal for Fleiss' kappa. mixed_model: fit the binomial mixed model.
    groupings: the grouping table (studies/grouping_table.py), analysed by analysis.grouping.
    """
    notes = Notes()
    if not isinstance(answers, pd.DataFrame):  # e.g. the platform's answer_table rows
        answers = pd.DataFrame(list(answers))
    clean = separate_studies(normalise_answers(answers, notes=notes), notes=notes)
    if isinstance(exclusions, Mapping):
        clean, rules = rules_by_study(clean, exclusions, notes=notes)
    else:
        rules = exclusions if exclusions is not None else ExclusionRules()
    kept, summary = apply_exclusions(clean, rules=rules, notes=notes)
    kept = _drop_single_option_trials(kept, notes=notes)
    kept = _split_conditions_by_option_count(kept, notes=notes)
    report = Report(
        title=title,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        settings={
            "alpha": alpha,
            "confidence_level": 1 - alpha,
            "n_bootstrap": n_bootstrap,
            "rater_policy": rater_policy,
            "mixed_model": mixed_model,
            "seed": seed,
            "exclusion_rules": rules.to_dict(),
        },
        tests_used=[],
        n_participants=int(kept["participant"].nunique()),
        n_answers=len(kept),
        exclusions=summary,
        notes=notes,
        studies=study_names(clean) if len(study_names(clean)) > 1 else [],
    )
    grouped = groupings is not None and len(groupings) > 0
    if len(clean) == 0 and not grouped:
        notes.warn("data", "the study has no answers: nothing can be computed.")
    elif len(kept) == 0 and len(clean) > 0:
        notes.warn("data", "no answers are left after exclusions: nothing can be computed.")
    report.tables = build_tables(kept, level=1 - alpha, notes=notes)
    report.tables |= signal_detection_tables(kept)
    report.tables |= year_gap_tables(kept, level=1 - alpha, notes=notes)
    report.tables |= grouping.grouping_report_tables(groupings, seed=seed)
    report.conditions = [
        _analyse_condition(
            condition,
            group,
            participants=report.tables["participants"],
            alpha=alpha,
            n_bootstrap=n_bootstrap,
            rater_policy=rater_policy,
            mixed_model=mixed_model,
            seed=seed,
            notes=notes,
        )
        for condition, group in kept.groupby("condition", sort=True)
    ]
    _apply_holm(report.conditions)
    report.tables["conditions"] = condition_table(report.conditions, alpha=alpha)
    report.tables["table1"] = table_one(report.conditions, level=1 - alpha)
    report.tests_used = describe_tests(report, n_bootstrap=n_bootstrap, mixed_model=mixed_model)
    _note_data_gaps(kept, notes=notes)
    _note_model_agreement(report.conditions, notes=notes)
    return report


def _drop_single_option_trials(answers: pd.DataFrame, *, notes: Notes) -> pd.DataFrame:
    single = answers["n_options"] < 2
    if single.any():
        n_trials = answers.loc[single, "key"].nunique()
        notes.warn(
            "data",
            f"{n_trials} trial(s) offer a single option ({int(single.sum())} answers): chance is 1,"
            " so they carry no information and are left out.",
        )
    return answers.loc[~single]


def _split_conditions_by_option_count(answers: pd.DataFrame, *, notes: Notes) -> pd.DataFrame:
    """A condition mixing option counts has no single chance level: analyse each count apart."""
    counts = answers.groupby("condition")["n_options"].nunique()
    mixed = counts.index[counts > 1]
    if len(mixed) == 0:
        return answers
    answers = answers.copy()
    rows = answers["condition"].isin(mixed)
    answers.loc[rows, "condition"] = (
        answers.loc[rows, "condition"] + " [k=" + answers.loc[rows, "n_options"].astype(str) + "]"
    )
    answers["key"] = answers["condition"] + " / " + answers["trial"]
    for condition in mixed:
        notes.warn(
            "data",
            f"condition '{condition}' mixes trials with different numbers of options; each option"
            " count is analysed as its own condition ('[k=n]').",
        )
    return answers


def build_tables(answers: pd.DataFrame, *, level: float, notes: Notes) -> dict[str, pd.DataFrame]:
    """All breakdown tables of a report, keyed by the names used in the CSV export."""
    participants = accuracy.participant_accuracy(answers)
    tables = {
        "participants": participants,
        "participant_spread": accuracy.participant_spread(participants),
        "trials": accuracy.trial_accuracy(answers, level=level),
        "classes": accuracy.class_accuracy(answers, level=level),
        "demographics": _demographics(answers, level=level, notes=notes),
        "positions": accuracy.position_table(answers),
        "correct_positions": accuracy.correct_position_accuracy(answers, level=level),
        "choices": choices.choice_distribution(answers),
        "class_confusion": choices.class_confusion(answers),
    }
    return tables


def signal_detection_tables(answers: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """d' and c of the yes/no conditions (analysis.signal_detection); none without one."""
    summary = signal_detection.condition_signal_detection(answers)
    if len(summary) == 0:
        return {}
    return {
        "signal_detection": summary,
        "signal_detection_participants": signal_detection.participant_signal_detection(answers),
    }


def year_gap_tables(answers: pd.DataFrame, *, level: float, notes: Notes) -> dict:
    """Accuracy against the year gap of the period matching conditions (analysis.year_gap):
    the logistic fits and the accuracy per gap band; none without such a condition."""
    fits, bands = year_gap.year_gap_analysis(answers, level=level, notes=notes)
    if len(bands) == 0:
        return {}
    columns = list(year_gap.YearGapFit.__dataclass_fields__)
    return {
        "year_gap": pd.DataFrame([fit.to_dict() for fit in fits], columns=columns),
        "year_gap_bands": bands,
    }


def _note_model_agreement(conditions: list[ConditionResult], *, notes: Notes) -> None:
    """A condition named "agreement with ..." (retrieval_check) scores the model, not people."""
    for result in conditions:
        if result.condition.startswith("agreement with"):
            notes.info(
                f"agreement [{result.condition}]",
                "the 'correct' option is the model's pick: accuracy here is the share of "
                "answers that agree with the model, not how often people were right.",
            )


def _demographics(answers: pd.DataFrame, *, level: float, notes: Notes) -> pd.DataFrame:
    tables = []
    for column in DEMOGRAPHIC_COLUMNS:
        missing = answers.groupby("participant")[column].first().isna()
        if len(missing) and missing.all():
            if column in ("gender", "musical_level"):  # age_band is an optional extra
                notes.info("demographics", f"no '{column}' values: breakdown by {column} skipped.")
            continue
        if missing.any():
            notes.info(
                "demographics",
                f"{int(missing.sum())} participant(s) without '{column}': shown as '(missing)'.",
            )
        tables.append(accuracy.demographic_accuracy(answers, column=column, level=level))
    if not tables:
        return accuracy.demographic_accuracy(answers.iloc[0:0], column="gender", level=level)
    return pd.concat(tables, ignore_index=True)


def _analyse_condition(
    condition: str,
    answers: pd.DataFrame,
    *,
    participants: pd.DataFrame,
    alpha: float,
    n_bootstrap: int,
    rater_policy: RaterPolicy,
    mixed_model: bool,
    seed: int,
    notes: Notes,
) -> ConditionResult:
    n_options = int(answers["n_options"].iloc[0])
    studies = answers["study"].dropna().unique()
    chance = 1.0 / n_options
    n_correct = int(answers["is_correct"].sum())
    people = participants.loc[participants["condition"] == condition, "accuracy"]
    if len(people) < 2:
        notes.warn(
            f"accuracy [{condition}]",
            "one participant: the sd of participant accuracy is undefined.",
        )
    result = ConditionResult(
        condition=condition,
        n_options=n_options,
        chance=chance,
        n_participants=int(answers["participant"].nunique()),
        n_answers=len(answers),
        n_correct=n_correct,
        accuracy=n_correct / len(answers),
        participant_mean=float(people.mean()),
        participant_sd=float(people.std()) if len(people) > 1 else float("nan"),
        test=binomial_test_against_chance(
            n_correct=n_correct, n_answers=len(answers), chance=chance, level=1 - alpha
        ),
        study=str(studies[0]) if len(studies) == 1 else None,
    )
    try:
        result.agreement = condition_agreement(
            answers,
            condition=condition,
            n_options=n_options,
            level=1 - alpha,
            n_bootstrap=n_bootstrap,
            policy=rater_policy,
            seed=seed,
            notes=notes,
        )
    except (ValueError, ZeroDivisionError, FloatingPointError) as error:
        notes.warn(f"agreement [{condition}]", f"kappa failed ({type(error).__name__}: {error}).")
    if mixed_model:
        result.mixed = _fit_mixed(condition, answers, chance=chance, alpha=alpha, notes=notes)
    return result


def _fit_mixed(
    condition: str, answers: pd.DataFrame, *, chance: float, alpha: float, notes: Notes
) -> MixedModel | None:
    topic = f"mixed model [{condition}]"
    try:
        fit = fit_accuracy_model(
            correct=answers["is_correct"].to_numpy(dtype=float),
            participant=answers["participant"].to_numpy(),
            item=answers["item"].to_numpy(),
            chance=chance,
            level=1 - alpha,
        )
    except MixedModelUnavailable as reason:
        notes.warn(topic, f"not fitted: {reason}.")
        return None
    except (ValueError, np.linalg.LinAlgError, FloatingPointError) as error:
        notes.warn(topic, f"fit failed ({type(error).__name__}: {error}).")
        return None
    if fit.item_sd is None:
        notes.info(topic, "one item only: fitted with a participant effect alone.")
    if fit.sd_method.startswith("variational"):
        notes.warn(
            topic,
            "too many participants x items for the Laplace sd: the VB sd is"
            " used and understates the uncertainty.",
        )
    if not fit.converged:
        notes.warn(topic, "the variational fit did not report convergence; read it with care.")
    return fit


def _apply_holm(conditions: list[ConditionResult]) -> None:
    adjusted = holm_adjust([c.test.p_value for c in conditions])
    for condition, p in zip(conditions, adjusted, strict=True):
        condition.p_holm = float(p)


def condition_table(conditions: list[ConditionResult], *, alpha: float) -> pd.DataFrame:
    """The per-condition summary as one flat table (CSV `conditions.csv`)."""
    rows = []
    for c in conditions:
        row = {"condition": c.condition}
        flat = c.to_dict(alpha=alpha)
        for key, value in flat.items():
            if key in ("agreement", "mixed_model"):
                continue
            if isinstance(value, dict):
                row[f"{key}_low"], row[f"{key}_high"] = value["low"], value["high"]
            else:
                row[key] = value
        mixed = c.mixed
        row["mixed_intercept"] = mixed.intercept if mixed else np.nan
        row["mixed_intercept_sd"] = mixed.intercept_sd if mixed else np.nan
        row["mixed_accuracy_typical"] = mixed.accuracy_typical if mixed else np.nan
        row["mixed_p"] = mixed.p_value if mixed else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def describe_tests(report: Report, *, n_bootstrap: int, mixed_model: bool) -> list[str]:
    """The exact procedures behind the numbers, in words, for the report header."""
    level = f"{100 * (1 - report.alpha):g}%"
    lines = [
        "Accuracy per condition: one-sided exact binomial test of accuracy > chance 1/k "
        "(scipy.stats.binomtest(k, n, p=1/k, alternative='greater')); it treats every answer as "
        "independent.",
        f"Holm correction across the {len(report.conditions)} condition(s) "
        "(statsmodels multipletests, method='holm').",
        f"Intervals: two-sided {level} Clopper-Pearson (exact) and Wilson score.",
        "Participant accuracy: mean and sd (ddof=1) across participants.",
        "Agreement: Fleiss' kappa (statsmodels fleiss_kappa; raters = participants, subjects = "
        "trials, categories = option identity) and Randolph's free-marginal kappa; "
        f"{level} percentile bootstrap over participants ({n_bootstrap} resamples).",
        "Position bias: chi-square goodness of fit of chosen screen positions to equal shares.",
    ]
    if mixed_model:
        lines.append(
            "Mixed model: correct ~ 1 + (1|participant) + (1|item), statsmodels "
            "BinomialBayesMixedGLM fitted by variational Bayes; the intercept is compared with "
            "logit(1/k) by a one-sided normal test, its sd from the Laplace approximation given "
            "the variance components."
        )
    if "signal_detection" in report.tables:
        lines.append(signal_detection.TESTS_USED)
    if "year_gap" in report.tables:
        lines.append(year_gap.TESTS_USED)
    if "grouping" in report.tables:
        lines.append(grouping.tests_used(report.tables))
    return lines


def _note_data_gaps(answers: pd.DataFrame, *, notes: Notes) -> None:
    if len(answers) == 0:
        return
    missing_rt = int(answers["rt_ms"].isna().sum())
    if missing_rt:
        notes.info(
            "data",
            f"{missing_rt} answer(s) without a reaction time: medians use the others.",
        )
    if answers["position"].isna().all():
        notes.info("positions", "no screen positions: position bias not computed.")
    if answers["class"].isna().all():
        notes.info("classes", "no classes: per-class accuracy shows one '(missing)' class.")


def _interval(interval) -> dict | None:
    return interval.to_dict() if interval is not None else None


def _records(table: pd.DataFrame) -> list[dict]:
    return table.to_dict(orient="records")


def jsonable(value):
    """Recursively convert numpy scalars to Python and NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
