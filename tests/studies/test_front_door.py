"""What a newcomer meets at `/`, and what a participant sees when a link is wrong, with the
demo's DEBUG on as well."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import path

from studies.models import Study
from tests.studies.conftest import create_built_study

ROOT = Path(__file__).resolve().parents[2]


def failing_view(request):
    raise RuntimeError("a bug in a participant page")


urlpatterns = [path("p/broken/", failing_view), path("admin/broken/", failing_view)]


@pytest.mark.django_db
def test_a_visitor_at_the_front_door_reads_what_this_is_and_how_participants_arrive():
    page = Client().get("/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "use the exact study link you were given" in text
    assert "URLconf" not in text and "study-entry" not in text


@pytest.mark.django_db
def test_a_researcher_at_the_front_door_sees_every_study_with_its_state_and_full_link(
    client, researcher
):
    live = create_built_study()
    draft = Study.objects.create(name="Still a draft", kind="uploaded_set")
    client.force_login(researcher)
    text = client.get("/").content.decode()
    assert live.name in text and draft.name in text
    assert f"http://testserver/s/{live.slug}/" in text  # the full address to paste
    assert "Live" in text and "Draft" in text
    assert f"/s/{draft.slug}/" not in text  # a draft has no participant link yet
    assert f"/admin/studies/study/{draft.pk}/change/" in text


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["/p/no-such-participant/", "/nothing/here", "/s/unknown/"])
def test_a_bad_participant_link_gets_the_friendly_page_even_with_debug_on(settings, address):
    settings.DEBUG = True
    page = Client().get(address)
    assert page.status_code == 404
    text = page.content.decode()
    assert "We could not find this page" in text
    assert "URLconf" not in text and "Traceback" not in text


@pytest.mark.django_db
def test_a_bad_link_is_explained_in_the_participants_language(settings):
    settings.DEBUG = True
    page = Client().get("/p/no-such-participant/", HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 404
    assert 'lang="de"' in page.content.decode()


@pytest.mark.django_db
def test_a_failing_participant_page_never_shows_the_traceback_with_debug_on(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    page = Client(raise_request_exception=False).get("/p/broken/")
    assert page.status_code == 500
    text = page.content.decode()
    assert "Your answers so far are saved" in text
    assert "RuntimeError" not in text and "Traceback" not in text


@pytest.mark.django_db
def test_researchers_still_get_the_debug_page_in_the_admin(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    page = Client(raise_request_exception=False).get("/admin/broken/")
    assert page.status_code == 500
    assert "RuntimeError" in page.content.decode()


def test_a_server_log_line_is_printed_once():
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.request').warning('Not Found: /one-line')"
    )
    environment = dict(os.environ, DEBUG="1", DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Not Found: /one-line") == 1
