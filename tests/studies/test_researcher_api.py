"""Researchers drive studies through the REST API; nobody else can."""

import json

import pytest
from rest_framework.test import APIClient

from studies import generation, services
from studies.models import Study
from tests.factories import upload_zip
from tests.studies.bots import Bot
from tests.studies.conftest import as_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def test_the_api_is_closed_to_anonymous_and_non_staff_users(django_user_model):
    anonymous = APIClient()
    assert anonymous.get("/api/studies/").status_code in (401, 403)
    participant_like = django_user_model.objects.create_user(
        username="p", password="x-long-password"
    )
    client = APIClient()
    client.force_authenticate(participant_like)
    assert client.get("/api/studies/").status_code == 403
    assert client.get("/api/schema/").status_code == 403


def test_a_researcher_uploads_generates_publishes_and_downloads_answers(
    api, django_capture_on_commit_callbacks
):
    created = api.post(
        "/api/studies/",
        {
            "name": "API study",
            "kind": "uploaded_set",
            "design_params": json.dumps({"n_options": 3, "n_test_trials": 6}),
            "seed": 3,
            "upload": as_upload(upload_zip()),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    study_id = created.json()["id"]
    assert created.json()["status"] == "draft"

    generated = api.post(f"/api/studies/{study_id}/generate/")
    assert generated.status_code == 202
    generation.generation_job_run(job_id=generated.json()["id"])  # what the worker does
    assert api.get(f"/api/studies/{study_id}/").json()["status"] == "ready"

    published = api.post(f"/api/studies/{study_id}/publish/")
    assert published.json()["status"] == "live"
    link = published.json()["participant_link"]
    assert link.endswith(f"/s/{Study.objects.get(pk=study_id).slug}/")

    Bot(client=APIClient(), study_slug=Study.objects.get(pk=study_id).slug).take_whole_study()

    progress = api.get(f"/api/studies/{study_id}/progress/").json()
    assert (progress["started"], progress["completed"], progress["answers"]) == (1, 1, 6)
    rows = api.get(f"/api/studies/{study_id}/responses/").json()
    assert len(rows) == 6
    assert {
        "participant",
        "trial",
        "condition",
        "n_options",
        "chosen",
        "correct",
        "position",
    } <= set(rows[0])
    assert all(row["n_options"] == 3 for row in rows)
    assert all(row["is_correct"] == (row["chosen"] == row["correct"]) for row in rows)
    csv_text = api.get(f"/api/studies/{study_id}/responses/?as=csv").content.decode()
    assert csv_text.startswith("participant,trial,item,condition,class,n_options,chosen,correct")
    assert len(csv_text.strip().splitlines()) == 7
    assert len(api.get(f"/api/studies/{study_id}/stimuli/").json()) == 24
    assert api.get(f"/api/studies/{study_id}/participants/").json()[0]["answers"] == 6


def test_api_errors_name_every_problem(api):
    response = api.post(
        "/api/studies/",
        {
            "name": "bad",
            "kind": "uploaded_set",
            "upload": as_upload(upload_zip(drop_files=("images/red_test_0.png",))),
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert any(
        "'images/red_test_0.png' is not in the zip" in p for p in response.json()["problems"]
    )
    draft = services.study_create(name="d", kind="uploaded_set", upload=as_upload(upload_zip()))
    refused = api.post(f"/api/studies/{draft.pk}/publish/")
    assert refused.status_code == 409
    assert "only a fully generated" in refused.json()["detail"]


def test_the_openapi_schema_describes_the_study_endpoints(api):
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/studies/{id}/publish/" in paths
    assert "/api/studies/{id}/responses/" in paths


def test_the_admin_shows_progress_and_exports_answers(client, researcher, live_study):
    Bot(client=APIClient(), study_slug=live_study.slug).take_whole_study()
    client.force_login(researcher)
    change = client.get(f"/admin/studies/study/{live_study.pk}/change/")
    assert change.status_code == 200
    assert b"1 started, 1 completed, 9 answers" in change.content
    exported = client.get(f"/researcher/studies/{live_study.pk}/responses.csv")
    assert exported.status_code == 200
    assert len(exported.content.decode().strip().splitlines()) == 10
    preview = client.get(f"/admin/studies/study/{live_study.pk}/preview/")
    assert preview.status_code == 302 and preview["Location"].startswith("/p/")
    assert client.get("/admin/studies/study/").status_code == 200
    assert client.get("/admin/studies/study/add/").status_code == 200
    stimuli_page = client.get("/admin/studies/stimulus/").content.decode()
    assert stimuli_page.count("<audio controls") == 12 and stimuli_page.count('/file" alt=') == 12
    clip = live_study.stimuli.filter(kind="audio").first()
    assert client.get(f"/researcher/stimuli/{clip.pk}/file").status_code == 200
    client.logout()
    assert client.get(f"/researcher/stimuli/{clip.pk}/file").status_code == 302  # to the login


def test_researcher_previews_do_not_count_as_data(client, researcher, live_study):
    client.force_login(researcher)
    preview_url = client.get(f"/admin/studies/study/{live_study.pk}/preview/")["Location"]
    token = preview_url.strip("/").split("/")[-1]
    bot = Bot(client=client, study_slug=live_study.slug, token=token)
    bot.submit(
        "demographics", {"gender": "female", "age_band": "25-34", "musical_level": "amateur"}
    )
    bot.submit("instructions"), bot.submit("preview")
    bot.answer(bot.page().content.decode(), 0)
    from studies.answer_table import response_table_for_study
    from studies.selectors import study_progress

    assert study_progress(live_study).answers == 0
    assert response_table_for_study(live_study) == []
