"""The demo command a newcomer runs builds, publishes and links a study of each demo kind."""

import re

import pytest
from django.core.management import call_command

from studies.models import Study

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.once]


@pytest.mark.parametrize("kind", ["affect_matching", "style_grouping"])
def test_the_demo_command_builds_publishes_and_links_a_study(kind, settings, capsys):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the build runs here instead of in a worker
    call_command("load_demo_study", kind=kind, wait=600, base_url="http://demo.test")
    study = Study.objects.get(kind=kind)
    assert study.status == Study.Status.LIVE
    assert "not real emotion data" in study.consent_text or kind != "affect_matching"
    printed = capsys.readouterr().out
    assert re.search(rf"Participant link: http://demo.test/s/{study.slug}/", printed)

    call_command("load_demo_study", kind=kind, wait=5, base_url="http://demo.test")
    assert Study.objects.filter(kind=kind).count() == 1, "a second run reuses the demo"
