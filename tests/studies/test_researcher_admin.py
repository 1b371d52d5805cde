"""Researchers create and edit studies in the admin; every change goes through the services."""

import html
import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from studies import services
from studies.models import Study
from tests.factories import upload_zip
from tests.studies.conftest import as_upload, create_built_study

pytestmark = pytest.mark.django_db


def add_form(**changes) -> dict:
    form = {
        "name": "Colour and pitch",
        "kind": "uploaded_set",
        "design_params": json.dumps({"n_options": 3}),
        "seed": 4,
        "source_upload": as_upload(upload_zip()),
        "raters_per_trial": 10,
        "trials_per_participant": "",
        "abandon_after_minutes": 30,
        "require_full_listen": "on",
        "headphone_check": "on",
        "headphone_pass_mark": 4,
        "exclusion_rules": json.dumps({"max_failed_catch": 0}),
        "consent_text": "You may stop at any time.",
        "instructions": "Listen, then choose.",
        "completion_url": "https://app.prolific.com/submissions/complete?cc=ABC",
        "screened_out_url": "",
        "jobs-TOTAL_FORMS": 0,
        "jobs-INITIAL_FORMS": 0,
    }
    return {**form, **changes}


def test_a_study_added_in_the_admin_keeps_every_setting_and_text(client, researcher):
    client.force_login(researcher)
    response = client.post("/admin/studies/study/add/", add_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    study = Study.objects.get()
    assert study.created_by == researcher and study.status == Study.Status.DRAFT
    assert study.design_params["n_options"] == 3 and study.seed == 4
    assert (study.raters_per_trial, study.abandon_after_minutes) == (10, 30)
    assert study.headphone_check and study.headphone_pass_mark == 4
    assert study.exclusion_rules == {"max_failed_catch": 0}
    assert study.consent_text == "You may stop at any time."
    assert study.completion_url.endswith("cc=ABC")
    assert study.source_upload


def test_the_admin_names_every_problem_with_the_design_parameters(client, researcher):
    client.force_login(researcher)
    params = json.dumps({"n_options": 9, "colour": "red"})
    response = client.post("/admin/studies/study/add/", add_form(design_params=params))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown design parameter &#x27;colour&#x27;" in page
    assert "n_options must be a whole number from 2 to 6" in page
    assert not Study.objects.exists()


def test_editing_a_live_study_in_the_admin_changes_its_settings(client, researcher):
    study = create_built_study()
    client.force_login(researcher)
    change = f"/admin/studies/study/{study.pk}/change/"
    form = add_form(name="Renamed", raters_per_trial=3, headphone_check="")
    for fixed in ("kind", "design_params", "seed", "source_upload"):
        form.pop(fixed)
    form["jobs-TOTAL_FORMS"] = form["jobs-INITIAL_FORMS"] = 1
    form["jobs-0-id"] = study.jobs.get().pk
    form["jobs-0-study"] = study.pk
    response = client.post(change, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    study.refresh_from_db()
    assert (study.name, study.raters_per_trial, study.headphone_check) == ("Renamed", 3, False)
    assert study.status == Study.Status.LIVE and study.seed == 7, "the design is left as it was"


def test_the_admin_preview_needs_a_generated_study(client, researcher):
    draft = services.study_create(name="draft", kind="uploaded_set")
    client.force_login(researcher)
    refused = client.get(f"/admin/studies/study/{draft.pk}/preview/", follow=True)
    assert b"Generate the study before previewing it." in refused.content
    assert client.get("/admin/studies/study/999999/preview/").status_code == 404


PROLIFIC_QUERY = (
    "?PROLIFIC_PID={{%PROLIFIC_PID%}}&STUDY_ID={{%STUDY_ID%}}&SESSION_ID={{%SESSION_ID%}}"
)


def test_a_live_studys_page_shows_its_full_link_for_prolific_with_a_copy_button(client, researcher):
    study = create_built_study()
    client.force_login(researcher)
    page = client.get(f"/admin/studies/study/{study.pk}/change/").content.decode()
    fields = dict(re.findall(r'<input type="text" readonly id="([a-z-]+)" value="([^"]+)"', page))
    link = f"http://testserver/s/{study.slug}/"
    assert html.unescape(fields["prolific-link"]) == link + PROLIFIC_QUERY
    assert html.unescape(fields["direct-link"]) == link
    assert 'data-copy="prolific-link" hidden>Copy</button>' in page
    assert '<script src="/static/synlab/admin_study.js"></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "no inline script (CSP)"
    entered = Client().get(html.unescape(fields["prolific-link"]).replace("http://testserver", ""))
    assert entered.status_code == 200, "the pasted link opens the study (Prolific fills the ids)"

    secure = client.get(f"/admin/studies/study/{study.pk}/change/", secure=True).content.decode()
    assert f'value="https://testserver/s/{study.slug}/?PROLIFIC_PID=' in secure


def test_a_study_that_is_not_live_says_how_to_open_its_link(client, researcher):
    study = create_built_study(publish=False)
    client.force_login(researcher)
    page = client.get(f"/admin/studies/study/{study.pk}/change/").content.decode()
    assert "Publish the study to open its link." in page
    assert "prolific-link" not in page


def test_the_copy_script_is_a_static_file():
    source = Path(finders.find("synlab/admin_study.js")).read_text(encoding="utf-8")
    assert "navigator.clipboard" in source and "button.copy-link" in source
