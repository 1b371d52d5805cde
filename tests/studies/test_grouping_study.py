"""Scripted participants complete a grouping study; the export and the report read their boards."""

import csv
import io
import json
import random

import pytest
from django.test import Client
from rest_framework.test import APIClient

from studies import exports, reports
from studies.answer_table import response_table_for_study
from studies.grouping_table import GROUPING_COLUMNS, grouping_table_for_study
from studies.models import Participant
from tests.analysis.pdf_reading import pdf_text
from tests.studies.bots import Bot
from tests.studies.grouping_fixtures import picture_board_study

pytestmark = pytest.mark.django_db


def sorter(*, knows: bool, seed: int):
    """A participant who sorts by the true periods, or one who sorts at random."""
    rng = random.Random(seed)

    def choose(index, html, bot):
        truth = bot.board_truth(html)
        numbers = {label: n for n, label in enumerate(sorted(set(truth)), start=1)}
        groups = [numbers[label] for label in truth]
        return groups if knows else rng.sample(groups, len(groups))

    return choose


def test_planted_sorters_are_told_apart_in_the_export_and_the_report():
    study = picture_board_study(per_period=6, n_groups=3, items_per_group=3, n_trials=2)
    for n in range(8):
        bot = Bot(
            client=Client(),
            study_slug=study.slug,
            query=f"?PROLIFIC_PID=p{n}&STUDY_ID=s&SESSION_ID=x",
        )
        choose = sorter(knows=n < 4, seed=n)
        final = bot.take_whole_study(
            lambda index, html, bot=bot, choose=choose: choose(index, html, bot), listen=True
        )
        assert final.status_code == 200
        assert Participant.objects.get(token=bot.token).stage == Participant.Stage.DONE

    assert response_table_for_study(study) == []  # no accuracy rows from boards
    rows = grouping_table_for_study(study)
    assert len(rows) == 8 * 2 * 9 and set(rows[0]) == set(GROUPING_COLUMNS)
    exported = json.loads(exports.responses_json(study))
    assert exported["responses"] == [] and len(exported["groupings"]) == len(rows)

    report = json.loads(reports.study_report(study=study, fmt="json").body)
    (grouping,) = report["tables"]["grouping"]
    assert grouping["participants"] == 8 and grouping["answers"] == 16 and grouping["perfect"] == 8
    assert 0.4 < grouping["mean_ari"] < 0.7  # half at 1, half near 0
    assert grouping["p_permutation"] < 0.01
    by_participant = {row["participant"]: row for row in report["tables"]["grouping_participants"]}
    knowing = [row for row in by_participant.values() if row["mean_ari"] == 1.0]
    assert len(knowing) == 4 and all(row["p_value"] < 0.01 for row in knowing)
    assert any("adjusted Rand index" in line for line in report["tests_used"])
    assert not any("no answers" in note["message"] for note in report["notes"])

    html = reports.study_report(study=study, fmt="html").body.decode()
    assert "Grouping (adjusted Rand index)" in html
    pdf = pdf_text(reports.study_report(study=study, fmt="pdf").body)
    assert "Grouping (adjusted Rand index)" in pdf and "mean_ari" in pdf


def test_a_researcher_downloads_the_boards_as_csv_from_the_admin_and_the_api(researcher):
    study = picture_board_study(per_period=6, n_groups=3, items_per_group=3, n_trials=1)
    bot = Bot(
        client=Client(), study_slug=study.slug, query="?PROLIFIC_PID=p1&STUDY_ID=s&SESSION_ID=x"
    )
    choose = sorter(knows=True, seed=1)
    bot.take_whole_study(lambda index, html: choose(index, html, bot), listen=True)

    staff = Client()
    staff.force_login(researcher)
    page = staff.get(f"/admin/studies/study/{study.pk}/change/").content.decode()
    assert "Groupings CSV" in page
    download = staff.get(f"/researcher/studies/{study.pk}/groupings.csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert "groupings.csv" in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert len(rows) == 9 and list(rows[0]) == list(GROUPING_COLUMNS)
    assert all(row["placed_group"] and row["is_perfect"] == "True" for row in rows)
    assert {row["participant"] for row in rows} == {"P" + str(Participant.objects.get().pk)}

    api = APIClient()
    api.force_authenticate(researcher)
    assert api.get(f"/api/studies/{study.pk}/groupings/").json() == grouping_table_for_study(study)
    as_csv = api.get(f"/api/studies/{study.pk}/groupings/", {"as": "csv"})
    assert as_csv.content == download.content


def test_a_study_without_boards_offers_no_groupings_download(researcher, live_study):
    staff = Client()
    staff.force_login(researcher)
    page = staff.get(f"/admin/studies/study/{live_study.pk}/change/").content.decode()
    assert "Answers CSV" in page and "Groupings CSV" not in page
    download = staff.get(f"/researcher/studies/{live_study.pk}/groupings.csv")
    assert download.content.decode().strip() == ",".join(GROUPING_COLUMNS)


def test_a_report_across_studies_keeps_each_studys_boards_apart():
    studies = [picture_board_study(n_groups=2, items_per_group=2) for _ in range(2)]
    for study in studies:
        for n in range(2):
            bot = Bot(client=Client(), study_slug=study.slug)
            choose = sorter(knows=True, seed=n)
            bot.take_whole_study(
                lambda index, html, bot=bot, choose=choose: choose(index, html, bot)
            )
    report = json.loads(reports.studies_report(studies=studies, fmt="json").body)
    conditions = [row["condition"] for row in report["tables"]["grouping"]]
    assert conditions == [f"Periods (#{study.pk}): grouping" for study in studies]
    assert all(row["participants"] == 2 for row in report["tables"]["grouping"])
