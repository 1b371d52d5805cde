"""Synlab analysis: statistics and reports from a plain answers table (no ORM, no Django).

Public API (imported lazily, so `import analysis` stays cheap for the web process):

    build_report(answers, *, title, exclusions, alpha, ...) -> Report
    ExclusionRules, render_html, render_pdf, render_json, render_csv_zip, write_csv_tables
    plan_sample_size(*, accuracy, n_options, alpha, power, trials_per_participant, ...)
    load_answers_csv(path), AnswersSchemaError, simulate_answers(...)

See docs/analysis.md for the table columns and the JSON keys.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "build_report": "analysis.report",
    "Report": "analysis.report",
    "ExclusionRules": "analysis.exclusions",
    "render_html": "analysis.html_report",
    "render_pdf": "analysis.pdf_report",
    "render_json": "analysis.data_export",
    "render_csv_zip": "analysis.data_export",
    "write_csv_tables": "analysis.data_export",
    "report_tables": "analysis.data_export",
    "report_figures": "analysis.plots",
    "plan_sample_size": "analysis.power",
    "SampleSizePlan": "analysis.power",
    "load_answers_csv": "analysis.table",
    "AnswersSchemaError": "analysis.table",
    "COLUMNS": "analysis.table",
    "simulate_answers": "analysis.simulate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
