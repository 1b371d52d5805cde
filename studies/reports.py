"""Significance reports for a study: the platform's answers table through `analysis/`."""

import math
from dataclasses import dataclass

from django.http import HttpResponse

from config.headers import policy_allowing_styles
from studies.answer_table import response_table_for_studies, response_table_for_study, study_labels
from studies.errors import InvalidInput
from studies.grouping_table import grouping_table_for_study
from studies.models import Study

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


# The exclusion rules a study may set (analysis.ExclusionRules) and the values each takes.
EXCLUSION_RULES = {
    "use_excluded_flag": (bool, None),
    "require_screening_pass": (bool, None),
    "max_failed_catch": (int, 1_000),
    "min_median_rt_ms": (float, 600_000.0),
    "min_answers": (int, 100_000),
}


def exclusion_rules_problems(rules) -> list[str]:
    """What is wrong with a study's exclusion rules, one sentence each (none: they are fine)."""
    if not isinstance(rules, dict):
        return ['exclusion_rules must be a JSON object, e.g. {"max_failed_catch": 0}.']
    problems = []
    for name, value in rules.items():
        if name not in EXCLUSION_RULES:
            known = ", ".join(EXCLUSION_RULES)
            problems.append(f"Unknown exclusion rule {name!r}; the rules are {known}.")
            continue
        kind, highest = EXCLUSION_RULES[name]
        if kind is bool and not isinstance(value, bool):
            problems.append(f"Exclusion rule {name} must be true or false.")
        elif kind is not bool and value is not None and not number_within(value, kind, highest):
            whole = "a whole number" if kind is int else "a number"
            problems.append(
                f"Exclusion rule {name} must be {whole} from 0 to {highest:g}, or null for off."
            )
    return problems


def number_within(value, kind: type, highest: float) -> bool:
    allowed = (int,) if kind is int else (int, float)
    return (
        isinstance(value, allowed)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= highest
    )


def exclusion_rules_for(study: Study):
    from analysis import ExclusionRules

    problems = exclusion_rules_problems(study.exclusion_rules)
    if problems:
        raise InvalidInput("The study's exclusion rules are not valid.", problems=problems)
    return ExclusionRules(**study.exclusion_rules)


def study_report(*, study: Study, fmt: str) -> RenderedReport:
    """Build every statistic for the study's answers and render it in one format."""
    import pandas as pd

    from analysis import build_report

    check_format(fmt)
    answers = pd.DataFrame(response_table_for_study(study))
    report = build_report(
        answers,
        title=study.name,
        exclusions=exclusion_rules_for(study),
        groupings=grouping_table_for_study(study),
    )
    return rendered(report, fmt=fmt, stem=f"synlab-study-{study.pk}-report")


def studies_report(*, studies: list[Study], fmt: str) -> RenderedReport:
    """One report across several studies (the Vis2Mus paper's Table 1 over its three tests):
    their answers stacked with a `study` column, every condition against its own chance level,
    Holm across all of them, each study's participants excluded by its own rules."""
    import pandas as pd

    from analysis import build_report

    check_format(fmt)
    if not studies:
        raise InvalidInput("Select at least one study for a report.")
    studies = sorted(studies, key=lambda study: study.pk)
    if len(studies) == 1:
        return study_report(study=studies[0], fmt=fmt)
    labels = study_labels(studies)
    answers = pd.DataFrame(response_table_for_studies(studies))
    if len(answers) == 0:  # no rows, no study column: still a report that says so
        answers = pd.DataFrame(columns=["study"])
    report = build_report(
        answers,
        title=f"Report across {len(studies)} studies",
        exclusions={labels[study.pk]: exclusion_rules_for(study) for study in studies},
        groupings=[  # each study's boards its own condition
            {**row, "condition": f"{labels[study.pk]}: {row['condition']}"}
            for study in studies
            for row in grouping_table_for_study(study)
        ],
    )
    report.studies = [labels[study.pk] for study in studies]
    ids = "-".join(str(study.pk) for study in studies) if len(studies) <= 6 else "many"
    return rendered(report, fmt=fmt, stem=f"synlab-studies-{ids}-report")


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown report format {fmt!r}; use one of {', '.join(FORMATS)}.")


def rendered(report, *, fmt: str, stem: str) -> RenderedReport:
    from analysis import render_csv_zip, render_html, render_json, render_pdf

    renderers = {
        "html": lambda: render_html(report).encode(),
        "pdf": lambda: render_pdf(report),
        "json": lambda: render_json(report).encode(),
        "csv": lambda: render_csv_zip(report),
    }
    extension = "zip" if fmt == "csv" else fmt
    return RenderedReport(
        body=renderers[fmt](), content_type=FORMATS[fmt], filename=f"{stem}.{extension}"
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
