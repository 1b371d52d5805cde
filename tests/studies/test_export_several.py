"""A researcher selects several studies and exports their answers: nothing is dropped."""

import csv
import io
import json
import zipfile

import pytest
from django.test import Client

from studies.models import Response, Study
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study

pytestmark = pytest.mark.django_db


def answered(name: str, *, participants: int = 2) -> Study:
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(name=name)
    for _ in range(participants):
        Bot(client=Client(), study_slug=study.slug).take_whole_study()
    study.refresh_from_db()
    return study


def export(client, action: str, studies: list[Study]):
    return client.post(
        "/admin/studies/study/",
        {"action": action, "_selected_action": [study.pk for study in studies]},
    )


def test_two_selected_studies_export_as_a_zip_with_a_file_each_and_a_combined_file(
    client, researcher
):
    first, second = answered("Brightness test"), answered("Contrast test", participants=3)
    client.force_login(researcher)
    download = export(client, "export_csv", [first, second])
    assert download["Content-Type"] == "application/zip"
    assert (
        f"synlab-studies-{first.pk}-{second.pk}-responses-csv.zip"
        in (download["Content-Disposition"])
    )
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    one_each = [f"synlab-study-{study.pk}-responses.csv" for study in (first, second)]
    assert sorted(archive.namelist()) == sorted([*one_each, "combined-responses.csv"])
    for study, name in zip((first, second), one_each, strict=True):
        alone = client.get(f"/researcher/studies/{study.pk}/responses.csv").content
        assert archive.read(name) == alone, "each study's file is what it downloads as alone"
    combined = list(csv.DictReader(io.StringIO(archive.read("combined-responses.csv").decode())))
    assert len(combined) == Response.objects.count() == 9 * (2 + 3)
    per_study = {row["study"] for row in combined}
    assert per_study == {"Brightness test", "Contrast test"}
    people = {(row["study"], row["participant"]) for row in combined}
    assert len(people) == len({participant for _, participant in people}) == 5


def test_the_json_zip_names_each_study_and_same_named_studies_stay_apart(client, researcher):
    first, second = answered("Colour and pitch"), answered("Colour and pitch")
    client.force_login(researcher)
    download = export(client, "export_json", [second, first])
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    combined = json.loads(archive.read("combined-responses.json"))
    labels = [entry["study"] for entry in combined["studies"]]
    assert labels == [f"Colour and pitch (#{first.pk})", f"Colour and pitch (#{second.pk})"]
    assert {row["study"] for row in combined["responses"]} == set(labels)
    assert len(combined["responses"]) == 36
    alone = json.loads(archive.read(f"synlab-study-{first.pk}-responses.json"))
    assert alone["study"] == "Colour and pitch" and len(alone["responses"]) == 18


def test_one_selected_study_still_downloads_as_one_file(client, researcher):
    study = answered("Style test", participants=1)
    client.force_login(researcher)
    download = export(client, "export_csv", [study])
    assert download["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert len(rows) == 9 and "study" not in rows[0]
