"""The study add form: the "Design params" box explains every kind's parameters from the
designs' own declarations, an unknown name's error lists the valid ones, and a chosen zip is
kept on the server across a try that had another problem."""

import html
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from studies import held_uploads
from studies.designs import DESIGN_MODULES, design_for
from studies.models import Study
from tests.factories import upload_zip
from tests.studies.conftest import as_upload
from tests.studies.test_researcher_admin import add_form

pytestmark = pytest.mark.django_db


def held_files() -> list[Path]:
    return sorted(p for p in (Path(settings.MEDIA_ROOT) / held_uploads.FOLDER).rglob("*.zip"))


def test_every_kinds_parameters_are_declared_with_a_meaning():
    for kind in DESIGN_MODULES:
        described = design_for(kind).Params.described()
        assert described, kind
        for param in described:
            assert param.meaning.endswith(".") and len(param.meaning) > 20, (kind, param)


def test_the_add_form_shows_each_kinds_parameters_defaults_and_meanings(client, researcher):
    client.force_login(researcher)
    page = html.unescape(client.get("/admin/studies/study/add/").content.decode())
    assert '<script src="/static/synlab/admin_study.js"></script>' in page
    for kind in DESIGN_MODULES:
        section = re.search(
            rf'<section class="design-kind" data-kind="{kind}".*?</section>', page, re.S
        )
        assert section, kind
        text = section.group(0)
        params = design_for(kind).Params.described()
        for param in params:
            default = "empty" if param.default is None else json.dumps(param.default)
            row = (
                f"<td><code>{param.name}</code></td><td><code>{default}</code></td>"
                f"<td>{param.meaning}</td>"
            )
            assert row in text, (kind, row)
        defaults = json.loads(re.search(r'data-defaults="(.*?)">', text).group(1))
        assert design_for(kind).Params.from_dict(defaults).to_dict() == defaults


def test_an_unknown_parameter_is_refused_with_the_kinds_valid_names(client, researcher):
    client.force_login(researcher)
    params = json.dumps({"n_option": 3})
    page = html.unescape(
        client.post("/admin/studies/study/add/", add_form(design_params=params)).content.decode()
    )
    assert (
        "Unknown design parameter 'n_option'; this kind takes trial_type, n_options, "
        "n_test_trials, n_preview_per_class." in page
    )


def test_the_chosen_zip_is_kept_across_a_try_with_another_problem(client, researcher):
    client.force_login(researcher)
    zip_bytes = upload_zip()
    first = add_form(
        design_params=json.dumps({"n_options": 9}),
        source_upload=as_upload(zip_bytes, "colours.zip"),
    )
    answer = client.post("/admin/studies/study/add/", first)
    assert answer.status_code == 200 and not Study.objects.exists()
    page = answer.content.decode()
    assert "Kept from your last try: <strong>colours.zip</strong>" in page
    assert "Leave this empty to use it, or choose another zip." in page
    token = re.search(r'name="held_upload" value="([^"]+)"', page).group(1)
    assert [path.name for path in held_files()] == ["colours.zip"]

    second = {**add_form(), "held_upload": token}
    second.pop("source_upload")
    created = client.post("/admin/studies/study/add/", second)
    assert created.status_code == 302, created.content.decode()[:3000]
    study = Study.objects.get()
    with study.source_upload.open("rb") as stored:
        assert stored.read() == zip_bytes
    assert held_files() == [], "used once, then removed"


def test_a_new_file_replaces_the_kept_one(client, researcher):
    client.force_login(researcher)
    bad_params = json.dumps({"n_options": 9})
    page = client.post(
        "/admin/studies/study/add/", add_form(design_params=bad_params)
    ).content.decode()
    token = re.search(r'name="held_upload" value="([^"]+)"', page).group(1)
    again = add_form(design_params=bad_params, source_upload=as_upload(upload_zip(), "other.zip"))
    page = client.post(
        "/admin/studies/study/add/", {**again, "held_upload": token}
    ).content.decode()
    assert "Kept from your last try: <strong>other.zip</strong>" in page
    assert [path.name for path in held_files()] == ["other.zip"]


def test_a_broken_zip_is_not_kept(client, researcher):
    client.force_login(researcher)
    form = add_form(source_upload=as_upload(b"not a zip", "broken.zip"))
    page = client.post("/admin/studies/study/add/", form).content.decode()
    assert "Kept from your last try" not in page and held_files() == []


def test_a_kept_zip_is_only_its_researchers_and_only_for_a_day(
    client, researcher, django_user_model, monkeypatch
):
    client.force_login(researcher)
    page = client.post(
        "/admin/studies/study/add/", add_form(design_params='{"n_options": 9}')
    ).content.decode()
    token = re.search(r'name="held_upload" value="([^"]+)"', page).group(1)
    form = {**add_form(), "held_upload": token}
    form.pop("source_upload")

    colleague = django_user_model.objects.create_user(
        username="colleague", is_staff=True, is_superuser=True
    )
    client.force_login(colleague)
    refused = client.post("/admin/studies/study/add/", form).content.decode()
    assert "The zip you chose before is no longer kept" in refused
    assert not Study.objects.exists()

    monkeypatch.setattr(held_uploads, "HOLD_FOR", timedelta(0))  # a day has passed
    client.force_login(researcher)
    expired = client.post("/admin/studies/study/add/", form).content.decode()
    assert "The zip you chose before is no longer kept" in expired
    assert held_files() == [] and not Study.objects.exists()

    tampered = client.post("/admin/studies/study/add/", {**form, "held_upload": "../../etc"})
    assert "The zip you chose before is no longer kept" in tampered.content.decode()


def test_a_researcher_holds_at_most_three_zips(researcher):
    tokens = [
        held_uploads.upload_hold(
            upload=as_upload(upload_zip(), f"set{n}.zip"), owner_id=researcher.pk
        ).token
        for n in range(5)
    ]
    assert len(held_files()) == held_uploads.MAX_HELD_PER_OWNER
    assert held_uploads.upload_held(token=tokens[0], owner_id=researcher.pk) is None
    assert held_uploads.upload_held(token=tokens[-1], owner_id=researcher.pk) is not None
