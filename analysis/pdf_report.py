"""The PDF report: the HTML report's sections, in its order, on A4 pages (analysis.pdf_layout).

Table 1 at the top when there is more than one condition, then the summary, notes, exclusions
and results as tables, the sections some designs add (d' of yes/no conditions, accuracy by year
gap, grouping boards' adjusted Rand index), the tests used, every figure with its title, legend
and caption, and the breakdown tables. The long tables (participants, choices, and trials past
LONG_TABLE_ROWS rows) are in the CSV tables instead, as the HTML report folds them away.
Matplotlib only: no system library (no cairo, no LaTeX).
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_pdf import PdfPages

from analysis.pdf_layout import BODY, HEADING, SMALL, SUBHEADING, TITLE, WARNING, PageFlow
from analysis.plot_kit import ReportFigure, quiet_matplotlib
from analysis.plots import report_figures
from analysis.report import Report
from analysis.report_text import (
    COLLAPSED_TABLES,
    CONDITION_HEADINGS,
    CONDITIONS_NOTE,
    GROUPING_NOTE,
    SIGNAL_DETECTION_NOTE,
    TABLE_TITLES,
    YEAR_GAP_NOTE,
    condition_cells,
    exclusion_rows,
    format_number,
    formatted_table,
    rules_sentence,
    studies_sentence,
    summary_sentence,
    table_one_parts,
)

LONG_TABLE_ROWS = 60


def render_pdf(report: Report, *, figures: list[ReportFigure] | None = None) -> bytes:
    """The report as PDF bytes (figures drawn unless passed in)."""
    figures = report_figures(report) if figures is None else figures
    buffer = io.BytesIO()
    with quiet_matplotlib():
        flow = PageFlow(footer=report.title)
        _front(flow, report)
        _results(flow, report)
        _figures(flow, figures)
        _tables(flow, report)
        with PdfPages(buffer) as pdf:
            for page in flow.pages():
                pdf.savefig(page)
            info = pdf.infodict()
            info["Title"] = report.title
            info["Creator"] = "synlab analysis"
    return buffer.getvalue()


def _front(flow: PageFlow, report: Report) -> None:
    flow.paragraph(report.title, TITLE)
    flow.paragraph(f"Generated {report.generated_at} by synlab analysis.", SMALL)
    studies = studies_sentence(report)
    if studies:
        flow.paragraph(studies)
    table_one = table_one_parts(report)
    if table_one is not None:
        headings, rows, caption = table_one
        flow.heading("Table 1")
        flow.table(headings, rows, caption=caption, size=8)
    flow.heading("Summary")
    flow.paragraph(summary_sentence(report))


def _results(flow: PageFlow, report: Report) -> None:
    flow.heading("Notes")
    if report.notes:
        flow.bullets(
            [
                (f"{note.topic}: {note.message}", WARNING if note.level == "warning" else BODY)
                for note in report.notes
            ]
        )
    else:
        flow.paragraph("Nothing to report: every statistic could be computed.")
    flow.heading("Exclusions")
    flow.paragraph(rules_sentence(report), SMALL)
    rows = [[label, format_number(a), format_number(b)] for label, a, b in exclusion_rows(report)]
    flow.table(["step", "participants", "answers"], rows)
    flow.heading("Results per condition")
    if report.conditions:
        flow.paragraph(CONDITIONS_NOTE, SMALL)
        flow.table(CONDITION_HEADINGS, [condition_cells(c) for c in report.conditions])
    else:
        flow.paragraph("No condition could be analysed.")
    _design_sections(flow, report)
    flow.heading("Tests used")
    flow.bullets([(line, BODY) for line in report.tests_used])


def _design_sections(flow: PageFlow, report: Report) -> None:
    """What some designs add, as in the HTML report: d' and c of yes/no conditions, accuracy
    by year gap (period matching), the adjusted Rand index of grouping boards."""
    tables = report.tables
    if _has_rows(tables.get("signal_detection")):
        flow.heading("Signal detection (yes/no conditions)")
        flow.paragraph(SIGNAL_DETECTION_NOTE, SMALL)
        _table_or_pointer(flow, report, "signal_detection")
        _table_or_pointer(flow, report, "signal_detection_participants")
    if _has_rows(tables.get("year_gap_bands")):
        from analysis.plot_year_gap import year_gap_figure

        flow.heading("Accuracy by year gap (period matching)")
        flow.paragraph(YEAR_GAP_NOTE, SMALL)
        _table_or_pointer(flow, report, "year_gap")
        _table_or_pointer(flow, report, "year_gap_bands")
        chance = {c.condition: c.chance for c in report.conditions}
        level = 1 - report.alpha
        flow.figure(
            year_gap_figure(
                tables["year_gap_bands"], tables["year_gap"], chance=chance, level=level
            )
        )
    if _has_rows(tables.get("grouping")):
        flow.heading("Grouping (adjusted Rand index)")
        flow.paragraph(GROUPING_NOTE, SMALL)
        _table_or_pointer(flow, report, "grouping")
        _table_or_pointer(flow, report, "grouping_participants")


def _has_rows(table) -> bool:
    return table is not None and len(table) > 0


def _table_or_pointer(flow: PageFlow, report: Report, name: str) -> None:
    """The table, or where to find it when it is longer than a page or two."""
    table = report.tables[name]
    if len(table) > LONG_TABLE_ROWS:
        flow.paragraph(f"{len(table)} rows: in the CSV tables ({name}.csv).", SMALL)
        return
    headings, rows = formatted_table(table)
    flow.table(headings, rows)


def _figures(flow: PageFlow, figures: list[ReportFigure]) -> None:
    flow.heading("Figures")
    if not figures:
        flow.paragraph("No data to plot.")
    for figure in figures:
        flow.figure(figure)


def _tables(flow: PageFlow, report: Report) -> None:
    flow.heading("Tables")
    for name, title in TABLE_TITLES.items():
        table = report.tables.get(name)
        if table is None or len(table) == 0:
            continue
        flow.paragraph(title, SUBHEADING, keep_with=0.5)
        if name in COLLAPSED_TABLES and (name != "trials" or len(table) > LONG_TABLE_ROWS):
            flow.paragraph(f"{len(table)} rows: in the CSV tables ({name}.csv).", SMALL)
            continue
        headings, rows = formatted_table(table)
        flow.table(headings, rows)


__all__ = ["HEADING", "render_pdf"]
