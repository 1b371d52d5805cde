"""Researchers get significance reports from the admin, the API and the command line."""

import json
import re

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from studies.models import Assignment, Study
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def correct_position(bot: Bot, html: str) -> int:
    """Where the correct option is on this participant's screen (a well-trained participant)."""
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)
    assignment = Assignment.objects.get(trial__public_id=trial, participant__token=bot.token)
    return assignment.option_order.index(assignment.trial.options.get(is_correct=True).pk)


@pytest.fixture
def answered_study(live_study) -> Study:
    """Three participants who always know, one who always picks the first option."""
    for number in range(4):
        bot = Bot(client=Client(), study_slug=live_study.slug)
        knows = number < 3
        bot.take_whole_study(
            choose=lambda i, html, bot=bot, knows=knows: correct_position(bot, html) if knows else 0
        )
    return live_study


def test_the_api_report_states_the_tests_and_the_numbers(researcher, answered_study):
    api = APIClient()
    api.force_authenticate(researcher)
    report = api.get(f"/api/studies/{answered_study.pk}/report/?as=json")
    assert report.status_code == 200
    data = json.loads(report.content)
    assert data["n_participants"] == 4
    assert data["n_answers"] == 36
    condition = data["conditions"]["main"]
    assert condition["n_answers"] == 36
    assert condition["chance"] == pytest.approx(1 / 3)
    assert condition["accuracy"] > 0.75
    assert condition["binomial_p"] < 0.001
    html = api.get(f"/api/studies/{answered_study.pk}/report/?as=html").content.decode()
    assert "Fleiss" in html and "binomtest" in html
    assert api.get(f"/api/studies/{answered_study.pk}/report/?as=pdf").content.startswith(b"%PDF")
    bad = api.get(f"/api/studies/{answered_study.pk}/report/?as=docx")
    assert bad.status_code == 400 and "Unknown report format" in bad.json()["detail"]


def test_the_admin_links_to_the_reports_and_the_power_planner(client, researcher, answered_study):
    client.force_login(researcher)
    page = client.get(f"/admin/studies/study/{answered_study.pk}/change/").content.decode()
    assert f"/researcher/studies/{answered_study.pk}/report.html" in page
    report = client.get(f"/researcher/studies/{answered_study.pk}/report.html")
    assert report.status_code == 200 and b"<html" in report.content
    planner = client.get(
        "/researcher/power-planner/",
        {
            "accuracy": 0.6,
            "n_options": 3,
            "alpha": 0.05,
            "power": 0.8,
            "trials_per_participant": 20,
        },
    )
    assert planner.status_code == 200
    needed = re.search(
        r"Participants needed \(pooled.*?<td>(\d+)</td>", planner.content.decode(), re.S
    )
    assert needed and 1 <= int(needed.group(1)) <= 20
    below_chance = client.get(
        "/researcher/power-planner/",
        {
            "accuracy": 0.3,
            "n_options": 3,
            "alpha": 0.05,
            "power": 0.8,
            "trials_per_participant": 20,
        },
    )
    assert b"must be above chance" in below_chance.content


def test_the_command_writes_a_report_and_exclusion_rules_apply(answered_study, tmp_path):
    Study.objects.filter(pk=answered_study.pk).update(exclusion_rules={"min_answers": 100})
    out = tmp_path / "report.json"
    call_command("study_report", answered_study.pk, "--format", "json", "--out", str(out))
    data = json.loads(out.read_text())
    assert data["n_participants"] == 0, "every participant had fewer than 100 answers"
    assert data["exclusions"]["n_participants_raw"] == 4
