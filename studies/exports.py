"""Answer exports (CSV and JSON) built from the answers table (studies/answer_table.py).

One study downloads as one file. Several studies download as one zip: a file per study, as it
would download alone, and a combined file whose rows carry a `study` column (what
`python -m analysis report` reads as a report across studies).

Every CSV cell goes through analysis.spreadsheet.safe_row: a text that a spreadsheet would
run as a formula (a Prolific id or class name starting with =, +, -, @, tab or CR) gets a
leading apostrophe; numbers are left alone. The JSON export carries the values as they are.
"""

import csv
import io
import json
import zipfile
from collections.abc import Sequence

from django.http import HttpResponse

from analysis.spreadsheet import safe_row
from studies.answer_table import (
    RESPONSE_COLUMNS,
    response_table_for_studies,
    response_table_for_study,
    study_labels,
)
from studies.grouping_table import GROUPING_COLUMNS, grouping_table_for_study
from studies.models import Study

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def rows_csv(rows: list[dict], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_row(row) for row in rows)
    return buffer.getvalue()


def responses_csv(study: Study) -> str:
    return rows_csv(response_table_for_study(study), RESPONSE_COLUMNS)


def responses_json(study: Study) -> str:
    """The answers table, and the grouping table where the study has grouping boards."""
    data = {"study": study.name, "kind": study.kind, "responses": response_table_for_study(study)}
    if groupings := grouping_table_for_study(study):
        data["groupings"] = groupings
    return as_json(data)


def groupings_csv(study: Study) -> str:
    """The grouping table (one row per item of every board answered) as CSV."""
    return rows_csv(grouping_table_for_study(study), GROUPING_COLUMNS)


def download_groupings(study: Study) -> HttpResponse:
    return attachment(
        groupings_csv(study), CONTENT_TYPES["csv"], f"synlab-study-{study.pk}-groupings.csv"
    )


def combined_csv(studies: Sequence[Study]) -> str:
    return rows_csv(response_table_for_studies(studies), ("study", *RESPONSE_COLUMNS))


def combined_json(studies: Sequence[Study]) -> str:
    labels = study_labels(studies)
    return as_json(
        {
            "studies": [
                {"study": labels[study.pk], "id": study.pk, "kind": study.kind} for study in studies
            ],
            "responses": response_table_for_studies(studies),
        }
    )


def as_json(data: dict) -> str:
    # the table holds finite numbers only; NaN is not JSON
    return json.dumps(data, indent=1, allow_nan=False)


def export_filename(study: Study, extension: str) -> str:
    return f"synlab-study-{study.pk}-responses.{extension}"


def several_studies_zip(studies: Sequence[Study], extension: str) -> bytes:
    """One file per study plus `combined-responses.<ext>` with a `study` column."""
    one = responses_csv if extension == "csv" else responses_json
    combined = combined_csv if extension == "csv" else combined_json
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for study in studies:
            archive.writestr(export_filename(study, extension), one(study))
        archive.writestr(f"combined-responses.{extension}", combined(studies))
    return buffer.getvalue()


def download_response(study: Study, extension: str) -> HttpResponse:
    body = responses_csv(study) if extension == "csv" else responses_json(study)
    return attachment(body, CONTENT_TYPES[extension], export_filename(study, extension))


def download_response_for_studies(studies: Sequence[Study], extension: str) -> HttpResponse:
    """One study: its file. Several: a zip of one file per study and a combined file."""
    studies = sorted(studies, key=lambda study: study.pk)
    if len(studies) == 1:
        return download_response(studies[0], extension)
    filename = f"synlab-{studies_in_name(studies)}-responses-{extension}.zip"
    return attachment(several_studies_zip(studies, extension), "application/zip", filename)


def studies_in_name(studies: Sequence[Study]) -> str:
    """`studies-3-4-7` for a few studies, `12-studies` for many (a file name stays short)."""
    if len(studies) > 6:
        return f"{len(studies)}-studies"
    return "studies-" + "-".join(str(study.pk) for study in studies)


def attachment(body, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
