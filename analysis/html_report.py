"""A self-contained HTML report: inline CSS, figures embedded as base64 PNG, no external files."""

from __future__ import annotations

import base64
import html
import math

import pandas as pd

from analysis.plots import ReportFigure, report_figures
from analysis.report import ConditionResult, Report

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.4;padding:0 1rem}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.notes li.warning{color:#8a4b00}.notes li.info{color:#444}
.figure{margin:1rem 0}.figure img{max-width:100%}.caption{font-size:.85rem;color:#555}
.meta{color:#666;font-size:.9rem}details{margin:.5rem 0}summary{cursor:pointer}
"""

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


def render_html(report: Report, *, figures: list[ReportFigure] | None = None) -> str:
    """The whole report as one HTML document (figures drawn unless passed in)."""
    figures = report_figures(report) if figures is None else figures
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="meta">Generated {_e(report.generated_at)} by synlab analysis.</p>',
        _summary_section(report),
        _notes_section(report),
        _exclusions_section(report),
        _conditions_section(report),
        _tests_section(report),
        _figures_section(figures),
        _tables_section(report),
        "</body></html>",
    ]
    return "\n".join(parts)


def _e(value: object) -> str:
    return html.escape(str(value))


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


def _interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "–"
    return f"[{format_number(low)}, {format_number(high)}]"


def _summary_section(report: Report) -> str:
    excluded = report.exclusions.n_participants_excluded
    return (
        "<h2>Summary</h2><p>"
        f"<b>{report.n_participants}</b> participants and <b>{report.n_answers}</b> answers "
        f"analysed (after exclusions; catch trials not counted), in "
        f"<b>{len(report.conditions)}</b> condition(s). {excluded} participant(s) excluded. "
        f"Tests at alpha = {report.alpha:g}; intervals are two-sided "
        f"{100 * (1 - report.alpha):g}%.</p>"
    )


def _notes_section(report: Report) -> str:
    if not report.notes:
        return "<h2>Notes</h2><p>Nothing to report: every statistic could be computed.</p>"
    items = "".join(
        f'<li class="{_e(n.level)}"><b>{_e(n.topic)}</b>: {_e(n.message)}</li>'
        for n in report.notes
    )
    return f'<h2>Notes</h2><ul class="notes">{items}</ul>'


def _exclusions_section(report: Report) -> str:
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
        (
            "excluded (any rule)",
            summary.n_participants_excluded,
            summary.n_answers_excluded,
        ),
        ("kept", summary.n_participants_kept, summary.n_answers_kept),
    ]
    body = "".join(
        f"<tr><td>{_e(label)}</td><td>{_e(a)}</td><td>{_e(b)}</td></tr>" for label, a, b in rows
    )
    rules = ", ".join(f"{k} = {v}" for k, v in summary.rules.items())
    return (
        "<h2>Exclusions</h2>"
        f'<p class="meta">Rules: {_e(rules)}</p>'
        "<table><tr><th>step</th><th>participants</th><th>answers</th></tr>"
        f"{body}</table>"
    )


def _conditions_section(report: Report) -> str:
    if not report.conditions:
        return "<h2>Results per condition</h2><p>No condition could be analysed.</p>"
    header = (
        "<tr><th>condition</th><th>k</th><th>chance</th><th>participants</th><th>answers</th>"
        "<th>accuracy</th><th>Clopper-Pearson</th><th>Wilson</th><th>participant mean (sd)</th>"
        "<th>binomial p</th><th>Holm p</th><th>Fleiss κ [CI]</th><th>Randolph κ [CI]</th>"
        "<th>mixed: typical accuracy [CI]</th><th>mixed p</th></tr>"
    )
    rows = "".join(_condition_row(c) for c in report.conditions)
    return (
        "<h2>Results per condition</h2>"
        "<p class='meta'>The pooled binomial test treats every answer as independent; the mixed "
        "model allows for differences between participants and items and is the more honest "
        "test. Both are shown.</p>"
        f"<table>{header}{rows}</table>"
    )


def _condition_row(c: ConditionResult) -> str:
    cp, wilson = c.test.clopper_pearson, c.test.wilson
    agreement = c.agreement
    fleiss = randolph = "–"
    if agreement is not None:
        fleiss = _kappa_text(agreement.fleiss_kappa, agreement.fleiss_ci)
        randolph = _kappa_text(agreement.randolph_kappa, agreement.randolph_ci)
    mixed_text, mixed_p = "–", "–"
    if c.mixed is not None:
        m = c.mixed
        interval = m.accuracy_typical_interval
        mixed_text = (
            f"{format_number(m.accuracy_typical)} {_interval_text(interval.low, interval.high)}"
        )
        mixed_p = format_number(m.p_value)
    cells = [
        c.condition,
        c.n_options,
        format_number(c.chance),
        c.n_participants,
        c.n_answers,
        format_number(c.accuracy),
        _interval_text(cp.low, cp.high),
        _interval_text(wilson.low, wilson.high),
        f"{format_number(c.participant_mean)} ({format_number(c.participant_sd)})",
        format_number(c.test.p_value),
        format_number(c.p_holm),
        fleiss,
        randolph,
        mixed_text,
        mixed_p,
    ]
    return "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in cells) + "</tr>"


def _kappa_text(value: float, interval) -> str:
    text = format_number(value)
    if interval is not None:
        text += " " + _interval_text(interval.low, interval.high)
    return text


def _tests_section(report: Report) -> str:
    items = "".join(f"<li>{_e(line)}</li>" for line in report.tests_used)
    return f"<h2>Tests used</h2><ul>{items}</ul>"


def _figures_section(figures: list[ReportFigure]) -> str:
    if not figures:
        return "<h2>Figures</h2><p>No data to plot.</p>"
    blocks = []
    for figure in figures:
        encoded = base64.b64encode(figure.png()).decode("ascii")
        blocks.append(
            f'<div class="figure"><h3>{_e(figure.title)}</h3>'
            f'<img alt="{_e(figure.title)}" src="data:image/png;base64,{encoded}">'
            f'<div class="caption">{_e(figure.caption)}</div></div>'
        )
    return "<h2>Figures</h2>" + "".join(blocks)


def _tables_section(report: Report) -> str:
    blocks = ["<h2>Tables</h2>"]
    for name, title in TABLE_TITLES.items():
        table = report.tables.get(name)
        if table is None or len(table) == 0:
            continue
        rendered = _table_html(table)
        if name in COLLAPSED_TABLES:
            blocks.append(
                f"<details><summary>{_e(title)} ({len(table)} rows)</summary>{rendered}</details>"
            )
        else:
            blocks.append(f"<h3>{_e(title)}</h3>{rendered}")
    return "".join(blocks)


def _table_html(table: pd.DataFrame) -> str:
    formatted = table.astype(object).map(format_number)
    rendered = formatted.to_html(index=False, escape=True, border=0)
    # STYLE aligns the headers; pandas' inline style attribute would break the page's CSP.
    return rendered.replace('<tr style="text-align: right;">', "<tr>")
