"""Answer exports (CSV and JSON) built from answer_table.response_table_for_study.

Every CSV cell goes through analysis.spreadsheet.safe_row: a text that a spreadsheet would
run as a formula (a Prolific id or class name starting with =, +, -, @, tab or CR) gets a
leading apostrophe; numbers are left alone. The JSON export carries the values as they are.
"""

import csv
import io
import json

from django.http import HttpResponse

from analysis.spreadsheet import safe_row
from studies.answer_table import RESPONSE_COLUMNS, response_table_for_study
from studies.models import Study


def responses_csv(study: Study) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(safe_row(row) for row in response_table_for_study(study))
    return buffer.getvalue()


def responses_json(study: Study) -> str:
    return json.dumps(
        {"study": study.name, "kind": study.kind, "responses": response_table_for_study(study)},
        indent=1,
        allow_nan=False,  # the table holds finite numbers only; NaN is not JSON
    )


def export_filename(study: Study, extension: str) -> str:
    return f"synlab-study-{study.pk}-responses.{extension}"


def download_response(study: Study, extension: str) -> HttpResponse:
    body = responses_csv(study) if extension == "csv" else responses_json(study)
    content_type = "text/csv; charset=utf-8" if extension == "csv" else "application/json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(study, extension)}"'
    return response
