"""What a report says, as plain text: the numbers, sentences and table cells that the HTML and
the PDF report both show, so the two read the same."""

from __future__ import annotations

import math

import pandas as pd

from analysis.report import ConditionResult, Report
from analysis.table_one import display_rows, table_one_caption

TABLE_TITLES = {
    "trials": "Accuracy per trial",
    "classes": "Accuracy per class",
    "demographics": "Accuracy per demographic group",
    "positions": "Chosen screen positions",
    "correct_positions": "Accuracy by position of the correct option",
    "class_confusion": "Chosen class per correct class",
    "participant_spread": "Participant accuracy spread",
    "choices": "Choices per trial",
    "participants": "Participants",
}
COLLAPSED_TABLES = frozenset({"choices", "participants", "trials"})

# The sections some designs add, in the HTML and the PDF report alike.
SIGNAL_DETECTION_NOTE = (
    "Hits: 'yes' where the answer is yes; false alarms: 'yes' where it is no. Rates with the "
    "log-linear correction (+0.5 to hits and false alarms, +1 to trial counts). d' = 0 is "
    "chance; c > 0 leans to 'no', c < 0 to 'yes'. pooled_p: one-sided z-test of the pooled "
    "d' > 0; participant_p: one-sided t-test of the participants' mean d' > 0."
)

YEAR_GAP_NOTE = (
    "The gap is the years between the prompt and the nearest distractor (the middle of the "
    "trial's band). slope_per_100y: change in the log-odds of a right answer per 100 years of "
    "gap (> 0: farther distractors are easier), with its interval and two-sided p; "
    "odds_ratio_per_100y = exp(slope)."
)

GROUPING_NOTE = (
    "mean_ari: the mean over participants of each one's mean adjusted Rand index against the "
    "true groups (1: the true grouping, 0: what random sorting gives on average). "
    "p_permutation: how often shuffled true labels give a mean as high (pooled; per "
    "participant in the second table). perfect: answers that rebuilt the true groups exactly."
)

CONDITION_HEADINGS = [
    "condition",
    "k",
    "chance",
    "participants",
    "answers",
    "accuracy",
    "Clopper-Pearson",
    "Wilson",
    "participant mean (sd)",
    "binomial p",
    "Holm p",
    "Fleiss κ [CI]",
    "Randolph κ [CI]",
    "mixed: typical accuracy [CI]",
    "mixed p",
]
CONDITIONS_NOTE = (
    "The pooled binomial test treats every answer as independent; the mixed model allows for "
    "differences between participants and items and is the more honest test. Both are shown."
)


def format_number(value: object) -> str:
    """Short, readable numbers for tables: 0.694, 2.2e-44, 4012."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:.0f}"
        if abs(value) < 0.001:
            return f"{value:.2g}"
        return f"{value:.3f}"
    return str(value)


def interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "–"
    return f"[{format_number(low)}, {format_number(high)}]"


def kappa_text(value: float, interval) -> str:
    text = format_number(value)
    if interval is not None:
        text += " " + interval_text(interval.low, interval.high)
    return text


def studies_sentence(report: Report) -> str | None:
    if not report.studies:
        return None
    return f"Across {len(report.studies)} studies: {', '.join(report.studies)}."


def table_one_parts(report: Report) -> tuple[list[str], list[list[str]], str] | None:
    """Table 1's headings, rows and caption; None unless there is more than one condition."""
    table = report.tables.get("table1")
    if table is None or len(table) < 2:
        return None
    headings, rows = display_rows(table, format_number=format_number)
    caption = table_one_caption(n_tests=len(table), level=1 - report.alpha, alpha=report.alpha)
    return headings, rows, caption


def summary_sentence(report: Report) -> str:
    excluded = report.exclusions.n_participants_excluded
    return (
        f"{report.n_participants} participants and {report.n_answers} answers analysed (after "
        f"exclusions; catch trials not counted), in {len(report.conditions)} condition(s). "
        f"{excluded} participant(s) excluded. Tests at alpha = {report.alpha:g}; intervals are "
        f"two-sided {100 * (1 - report.alpha):g}%."
    )


def exclusion_rows(report: Report) -> list[tuple[str, object, object]]:
    summary = report.exclusions
    rows = [
        ("participants before exclusions", summary.n_participants_raw, ""),
        ("non-catch answers before exclusions", summary.n_answers_raw, ""),
        ("catch-trial answers (never in accuracy)", summary.n_catch_answers, ""),
    ]
    rows += [
        (f"rule {r.rule}: {r.description}", r.n_participants, r.n_answers) for r in summary.per_rule
    ]
    rows += [
        ("excluded (any rule)", summary.n_participants_excluded, summary.n_answers_excluded),
        ("kept", summary.n_participants_kept, summary.n_answers_kept),
    ]
    return rows


def rules_sentence(report: Report) -> str:
    return "Rules: " + ", ".join(f"{k} = {v}" for k, v in report.exclusions.rules.items())


def condition_cells(c: ConditionResult) -> list[str]:
    cp, wilson = c.test.clopper_pearson, c.test.wilson
    agreement = c.agreement
    fleiss = randolph = "–"
    if agreement is not None:
        fleiss = kappa_text(agreement.fleiss_kappa, agreement.fleiss_ci)
        randolph = kappa_text(agreement.randolph_kappa, agreement.randolph_ci)
    mixed_text, mixed_p = "–", "–"
    if c.mixed is not None:
        m = c.mixed
        interval = m.accuracy_typical_interval
        mixed_text = (
            f"{format_number(m.accuracy_typical)} {interval_text(interval.low, interval.high)}"
        )
        mixed_p = format_number(m.p_value)
    return [
        c.condition,
        str(c.n_options),
        format_number(c.chance),
        str(c.n_participants),
        str(c.n_answers),
        format_number(c.accuracy),
        interval_text(cp.low, cp.high),
        interval_text(wilson.low, wilson.high),
        f"{format_number(c.participant_mean)} ({format_number(c.participant_sd)})",
        format_number(c.test.p_value),
        format_number(c.p_holm),
        fleiss,
        randolph,
        mixed_text,
        mixed_p,
    ]


def formatted_table(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """A breakdown table's headings and cells as text."""
    cells = table.astype(object).map(format_number)
    return [str(c) for c in table.columns], cells.to_numpy().tolist()
