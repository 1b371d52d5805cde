"""A self-contained HTML report: inline CSS, figures embedded as base64 PNG, no external files."""

from __future__ import annotations

import base64
import html

import pandas as pd

from analysis.plots import ReportFigure, report_figures
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
    rules_sentence,
    studies_sentence,
    summary_sentence,
    table_one_parts,
)

__all__ = ["STYLE", "format_number", "render_html"]

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
caption{caption-side:bottom;text-align:left;font-size:.85rem;color:#555;padding-top:.3rem}
"""


def render_html(report: Report, *, figures: list[ReportFigure] | None = None) -> str:
    """The whole report as one HTML document (figures drawn unless passed in)."""
    figures = report_figures(report) if figures is None else figures
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(report.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="meta">Generated {_e(report.generated_at)} by synlab analysis.</p>',
        _studies_line(report),
        _table_one_section(report),
        _summary_section(report),
        _notes_section(report),
        _exclusions_section(report),
        _conditions_section(report),
        _signal_detection_section(report),
        _year_gap_section(report),
        _grouping_section(report),
        _tests_section(report),
        _figures_section(figures),
        _tables_section(report),
        "</body></html>",
    ]
    return "\n".join(parts)


def _e(value: object) -> str:
    return html.escape(str(value))


def _studies_line(report: Report) -> str:
    sentence = studies_sentence(report)
    return f"<p>{_e(sentence)}</p>" if sentence else ""


def _table_one_section(report: Report) -> str:
    """Table 1 (analysis.table_one), at the top whenever there is more than one condition."""
    parts = table_one_parts(report)
    if parts is None:
        return ""
    headings, rows, caption = parts
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        '<h2 id="table-1">Table 1</h2>'
        f'<table class="table-one"><caption>{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _summary_section(report: Report) -> str:
    return f"<h2>Summary</h2><p>{_e(summary_sentence(report))}</p>"


def _notes_section(report: Report) -> str:
    if not report.notes:
        return "<h2>Notes</h2><p>Nothing to report: every statistic could be computed.</p>"
    items = "".join(
        f'<li class="{_e(n.level)}"><b>{_e(n.topic)}</b>: {_e(n.message)}</li>'
        for n in report.notes
    )
    return f'<h2>Notes</h2><ul class="notes">{items}</ul>'


def _exclusions_section(report: Report) -> str:
    body = "".join(
        f"<tr><td>{_e(label)}</td><td>{_e(a)}</td><td>{_e(b)}</td></tr>"
        for label, a, b in exclusion_rows(report)
    )
    return (
        "<h2>Exclusions</h2>"
        f'<p class="meta">{_e(rules_sentence(report))}</p>'
        "<table><tr><th>step</th><th>participants</th><th>answers</th></tr>"
        f"{body}</table>"
    )


def _conditions_section(report: Report) -> str:
    if not report.conditions:
        return "<h2>Results per condition</h2><p>No condition could be analysed.</p>"
    header = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in CONDITION_HEADINGS) + "</tr>"
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in condition_cells(c)) + "</tr>"
        for c in report.conditions
    )
    return (
        "<h2>Results per condition</h2>"
        f"<p class='meta'>{_e(CONDITIONS_NOTE)}</p>"
        f"<table>{header}{rows}</table>"
    )


def _signal_detection_section(report: Report) -> str:
    """d' and c of the yes/no conditions (analysis.signal_detection), when there are any."""
    summary = report.tables.get("signal_detection")
    if summary is None or len(summary) == 0:
        return ""
    participants = report.tables["signal_detection_participants"]
    return (
        "<h2>Signal detection (yes/no conditions)</h2>"
        f"<p class='meta'>{_e(SIGNAL_DETECTION_NOTE)}</p>"
        f"{_table_html(summary)}"
        f"<details><summary>d' and c per participant ({len(participants)} rows)</summary>"
        f"{_table_html(participants)}</details>"
    )


def _year_gap_section(report: Report) -> str:
    """Accuracy against the year gap of period matching conditions (analysis.year_gap)."""
    bands = report.tables.get("year_gap_bands")
    if bands is None or len(bands) == 0:
        return ""
    from analysis.plot_year_gap import year_gap_figure

    chance = {c.condition: c.chance for c in report.conditions}
    figure = year_gap_figure(
        bands, report.tables["year_gap"], chance=chance, level=1 - report.alpha
    )
    return (
        "<h2>Accuracy by year gap (period matching)</h2>"
        f"<p class='meta'>{_e(YEAR_GAP_NOTE)}</p>"
        f"{_table_html(report.tables['year_gap'])}{_table_html(bands)}"
        f"{_figures_section([figure]).removeprefix('<h2>Figures</h2>')}"
    )


def _grouping_section(report: Report) -> str:
    """Grouping boards: ARI per condition and per participant, with permutation p-values."""
    conditions = report.tables.get("grouping")
    if conditions is None or len(conditions) == 0:
        return ""
    return (
        "<h2>Grouping (adjusted Rand index)</h2>"
        f"<p class='meta'>{_e(GROUPING_NOTE)}</p>"
        f"{_table_html(conditions)}{_table_html(report.tables['grouping_participants'])}"
    )


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
