"""Answer exports (CSV and JSON) built from selectors.response_table_for_study."""

import csv
import io
import json

from django.http import HttpResponse

from studies.models import Study
from studies.selectors import RESPONSE_COLUMNS, response_table_for_study


def responses_csv(study: Study) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESPONSE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(response_table_for_study(study))
    return buffer.getvalue()


def responses_json(study: Study) -> str:
    return json.dumps(
        {"study": study.name, "kind": study.kind, "responses": response_table_for_study(study)},
        indent=1,
    )


def export_filename(study: Study, extension: str) -> str:
    return f"synlab-study-{study.pk}-responses.{extension}"


def download_response(study: Study, extension: str) -> HttpResponse:
    body = responses_csv(study) if extension == "csv" else responses_json(study)
    content_type = "text/csv" if extension == "csv" else "application/json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export_filename(study, extension)}"'
    return response
