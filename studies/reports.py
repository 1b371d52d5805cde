"""Significance reports for a study: the platform's answers table through `analysis/`."""

from dataclasses import dataclass, fields

from django.http import HttpResponse

from config.headers import policy_allowing_styles
from studies.errors import InvalidInput
from studies.models import Study
from studies.selectors import response_table_for_study

FORMATS = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "application/zip",
}


@dataclass(frozen=True)
class RenderedReport:
    body: bytes
    content_type: str
    filename: str


def exclusion_rules_for(study: Study):
    from analysis import ExclusionRules

    known = {f.name for f in fields(ExclusionRules)}
    unknown = sorted(set(study.exclusion_rules) - known)
    if unknown:
        raise InvalidInput(f"Unknown exclusion rule(s): {', '.join(unknown)}.")
    return ExclusionRules(**study.exclusion_rules)


def study_report(*, study: Study, fmt: str) -> RenderedReport:
    """Build every statistic for the study's answers and render it in one format."""
    import pandas as pd

    from analysis import build_report, render_csv_zip, render_html, render_json, render_pdf

    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown report format {fmt!r}; use one of {', '.join(FORMATS)}.")
    answers = pd.DataFrame(response_table_for_study(study))
    report = build_report(answers, title=study.name, exclusions=exclusion_rules_for(study))
    renderers = {
        "html": lambda: render_html(report).encode(),
        "pdf": lambda: render_pdf(report),
        "json": lambda: render_json(report).encode(),
        "csv": lambda: render_csv_zip(report),
    }
    extension = "zip" if fmt == "csv" else fmt
    return RenderedReport(
        body=renderers[fmt](),
        content_type=FORMATS[fmt],
        filename=f"synlab-study-{study.pk}-report.{extension}",
    )


def report_response(report: RenderedReport, *, disposition: str) -> HttpResponse:
    """The rendered report as an HTTP response. The HTML report's own inline <style> is allowed
    by its hash (config/headers.py); nothing else inline runs in it."""
    response = HttpResponse(report.body, content_type=report.content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{report.filename}"'
    if report.content_type.startswith("text/html"):
        from analysis.html_report import STYLE

        response["Content-Security-Policy"] = policy_allowing_styles(STYLE)
    return response
