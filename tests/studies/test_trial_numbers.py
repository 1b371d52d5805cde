"""Trial numbers read the same everywhere a person reads them: counted from 1."""

import csv
import io
import re

import pytest
from django.test import Client

from studies.models import Response
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def test_admin_progress_export_and_report_count_trials_from_one(client, researcher, live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    first_page = bot.reach_first_trial()
    assert "Task 1 of 9" in first_page
    bot.answer(first_page, 0)
    Bot(client=Client(), study_slug=live_study.slug).take_whole_study()

    client.force_login(researcher)
    page = client.get(f"/admin/studies/study/{live_study.pk}/change/").content.decode()
    progress = re.search(r"<th>Trial</th>.*?</table>", page, re.S).group(0)
    admin_numbers = {int(n) for n in re.findall(r"<tr><td>(\d+)</td><td>\d+</td></tr>", progress)}
    assert admin_numbers == set(range(1, 10))

    export = client.get(f"/researcher/studies/{live_study.pk}/responses.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(export)))
    assert {int(row["trial"]) for row in rows} == admin_numbers
    first_answer = Response.objects.get(participant__token=bot.token)
    mine = [row for row in rows if row["participant"] == f"P{first_answer.participant_id}"]
    assert [row["sequence"] for row in mine] == ["1"], "the answer to 'Task 1 of 9' is task 1"
    assert int(mine[0]["trial"]) == first_answer.trial.order + 1

    report = client.get(f"/researcher/studies/{live_study.pk}/report.json").json()
    trials = {int(row["trial"]) for row in report["tables"]["trials"]}
    assert trials == admin_numbers
