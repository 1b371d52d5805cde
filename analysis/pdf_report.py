"""A PDF report with matplotlib's PdfPages: text pages first, then one page per figure.

Needs no system library (no cairo, no LaTeX).
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.backends.backend_pdf import PdfPages

from analysis.html_report import format_number
from analysis.plots import ReportFigure, new_figure, report_figures
from analysis.report import ConditionResult, Report

LINES_PER_PAGE = 62
WRAP_WIDTH = 110


def render_pdf(report: Report, *, figures: list[ReportFigure] | None = None) -> bytes:
    """The report as PDF bytes (figures drawn unless passed in)."""
    figures = report_figures(report) if figures is None else figures
    buffer = io.BytesIO()
    with PdfPages(buffer) as pdf:
        lines = report_lines(report)
        for start in range(0, len(lines), LINES_PER_PAGE):
            pdf.savefig(_text_page(lines[start : start + LINES_PER_PAGE]))
        for figure in figures:
            title = figure.figure.suptitle(figure.title)
            pdf.savefig(figure.figure)
            title.remove()  # the same figure may also go to HTML, which titles it itself
        info = pdf.infodict()
        info["Title"] = report.title
        info["Creator"] = "synlab analysis"
    return buffer.getvalue()


def report_lines(report: Report) -> list[str]:
    """The text part of the report, wrapped for a portrait page."""
    raw = [
        report.title,
        f"Generated {report.generated_at}",
        "",
        f"{report.n_participants} participants, {report.n_answers} answers analysed "
        f"(after exclusions, catch trials not counted); alpha = {report.alpha:g}.",
        "",
        "EXCLUSIONS",
        *_exclusion_lines(report),
        "",
        "RESULTS PER CONDITION",
    ]
    for condition in report.conditions:
        raw += _condition_lines(condition)
    if not report.conditions:
        raw.append("No condition could be analysed.")
    raw += ["", "NOTES"]
    raw += [f"- [{n.level}] {n.topic}: {n.message}" for n in report.notes] or ["- none"]
    raw += ["", "TESTS USED"] + [f"- {line}" for line in report.tests_used]
    wrapped: list[str] = []
    for line in raw:
        wrapped += textwrap.wrap(line, WRAP_WIDTH, subsequent_indent="  ") or [""]
    return wrapped


def _exclusion_lines(report: Report) -> list[str]:
    s = report.exclusions
    lines = [
        f"before: {s.n_participants_raw} participants, {s.n_answers_raw} non-catch answers, "
        f"{s.n_catch_answers} catch answers",
    ]
    lines += [
        f"rule {r.rule} ({r.description}): {r.n_participants} participants, {r.n_answers} answers"
        for r in s.per_rule
    ]
    lines.append(
        f"excluded: {s.n_participants_excluded} participants ({s.n_answers_excluded} answers); "
        f"kept: {s.n_participants_kept} participants ({s.n_answers_kept} answers)"
    )
    return lines


def _condition_lines(c: ConditionResult) -> list[str]:
    cp = c.test.clopper_pearson
    lines = [
        "",
        f"{c.condition}: k = {c.n_options} (chance {format_number(c.chance)}), "
        f"{c.n_participants} participants, {c.n_answers} answers",
        f"  accuracy {format_number(c.accuracy)} [{format_number(cp.low)}, "
        f"{format_number(cp.high)}] (Clopper-Pearson); participant mean "
        f"{format_number(c.participant_mean)} (sd {format_number(c.participant_sd)})",
        f"  binomial p = {format_number(c.test.p_value)}, Holm p = {format_number(c.p_holm)}",
    ]
    if c.agreement is not None:
        a = c.agreement
        lines.append(
            f"  Fleiss kappa {format_number(a.fleiss_kappa)}, Randolph kappa "
            f"{format_number(a.randolph_kappa)} ({a.n_trials} trials x {a.raters_per_trial} raters)"
        )
    if c.mixed is not None:
        m = c.mixed
        i = m.accuracy_typical_interval
        lines.append(
            f"  mixed model: intercept {format_number(m.intercept)} (sd "
            f"{format_number(m.intercept_sd)}) vs logit(1/k) {format_number(m.chance_logit)}, "
            f"p = {format_number(m.p_value)}; typical accuracy "
            f"{format_number(m.accuracy_typical)} [{format_number(i.low)}, {format_number(i.high)}]"
        )
    return lines


def _text_page(lines: list[str]):
    figure = new_figure(8.27, 11.69)
    figure.text(0.05, 0.97, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=7.2)
    return figure
