"""A researcher reports the three Vis2Mus transformation tests (three studies) in one Table 1.

Three uploaded-set studies stand in for the brightness, contrast and style studies: their
trials carry those conditions (as the Vis2Mus plans set them) and the chance levels of the
paper (1/2, 1/2, 1/4). Bots answer with planted accuracies: brightness right on 7 trials of 9,
contrast by screen position only (chance), style right on two trials of three.
"""

import io
import json
import re

import pytest
from django.test import Client

from studies import services
from studies.models import Study, Trial
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study
from tests.studies.test_reports import correct_position

pytestmark = pytest.mark.django_db

BOTS_PER_STUDY = 4


def transformation_study(name: str, condition: str, *, n_options: int, classes) -> Study:
    study = create_built_study(
        design_params={"n_options": n_options, "n_preview_per_class": 1},
        classes=classes,
        publish=False,
    )
    Study.objects.filter(pk=study.pk).update(name=name)
    Trial.objects.filter(phase__study=study, is_catch=False).update(condition=condition)
    services.study_publish(study=study)
    study.refresh_from_db()
    return study


def take_part(study: Study, *, right_when) -> None:
    """Bots who answer right when `right_when(trial_index)`, else choose a wrong option."""
    for _ in range(BOTS_PER_STUDY):
        bot = Bot(client=Client(), study_slug=study.slug)

        def choose(index, html, bot=bot):
            right = correct_position(bot, html)
            return right if right_when(index) else (right + 1) % 2

        bot.take_whole_study(choose=choose)


def by_position(study: Study) -> None:
    for _ in range(BOTS_PER_STUDY):
        Bot(client=Client(), study_slug=study.slug).take_whole_study(choose=lambda i, html: 0)


@pytest.fixture
def three_tests() -> list[Study]:
    brightness = transformation_study(
        "Brightness test", "brightness", n_options=2, classes=("red", "green", "blue")
    )
    contrast = transformation_study(
        "Contrast test", "contrast", n_options=2, classes=("red", "green", "blue")
    )
    style = transformation_study(
        "Style test", "style", n_options=4, classes=("red", "green", "blue", "gold")
    )
    take_part(brightness, right_when=lambda index: index % 4 != 3)
    by_position(contrast)
    take_part(style, right_when=lambda index: index % 3 != 2)
    return [brightness, contrast, style]


def report_across(client, studies, fmt: str):
    return client.post(
        "/admin/studies/study/",
        {"action": f"report_across_{fmt}", "_selected_action": [s.pk for s in studies]},
    )


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment, written out (the report uses statsmodels)."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def test_table_one_tests_each_transformation_against_its_own_chance(
    client, researcher, three_tests
):
    client.force_login(researcher)
    reply = report_across(client, three_tests, "json")
    assert reply.status_code == 200 and reply["Content-Type"] == "application/json"
    report = json.loads(reply.content)
    assert report["studies"] == ["Brightness test", "Contrast test", "Style test"]
    assert report["n_participants"] == 3 * BOTS_PER_STUDY, "participants of each study apart"
    rows = {row["test"]: row for row in report["tables"]["table1"]}
    assert list(rows) == ["brightness", "contrast", "style"]
    assert [rows[t]["chance"] for t in rows] == [0.5, 0.5, 0.25]
    assert [rows[t]["study"] for t in rows] == report["studies"]
    assert rows["brightness"]["accuracy"] == pytest.approx(7 / 9)
    assert rows["style"]["accuracy"] == pytest.approx(2 / 3)
    assert rows["contrast"]["n_answers"] == 9 * BOTS_PER_STUDY
    assert rows["style"]["n_answers"] == 12 * BOTS_PER_STUDY
    raw = [rows[t]["p"] for t in rows]
    assert [rows[t]["p_holm"] for t in rows] == pytest.approx(holm(raw))
    assert rows["brightness"]["p_holm"] < 0.01 and rows["style"]["p_holm"] < 0.001
    assert rows["contrast"]["p_holm"] > 0.05, "answering by position does not beat chance"
    assert not report["conditions"]["contrast"]["rejects_chance_holm"]
    for row in rows.values():
        assert row["ci_low"] <= row["accuracy"] <= row["ci_high"]
        assert row["fleiss_kappa"] is not None, [n["message"] for n in report["notes"]]
    assert rows["brightness"]["fleiss_kappa"] > rows["contrast"]["fleiss_kappa"]


def test_the_html_and_pdf_reports_open_with_table_one(client, researcher, three_tests):
    client.force_login(researcher)
    page = report_across(client, three_tests, "html")
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    table = re.search(r'<h2 id="table-1">Table 1</h2>(.*?)</table>', html, re.S).group(1)
    assert html.index("Table 1") < html.index("<h2>Summary</h2>")
    headings = re.findall(r"<th>(.*?)</th>", table)
    assert headings == [
        "test",
        "study",
        "n participants",
        "n answers",
        "chance",
        "accuracy",
        "95% CI",
        "p",
        "p Holm",
        "kappa (Fleiss)",
    ]
    assert "Across 3 studies: Brightness test, Contrast test, Style test." in html
    pdf = report_across(client, three_tests, "pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert "synlab-studies-" in pdf["Content-Disposition"]
    from tests.analysis.pdf_reading import pdf_pages

    first_page = pdf_pages(io.BytesIO(pdf.content).getvalue())[0].text
    for text in ("Table 1", "p Holm", "brightness", "contrast", "style", "Brightness test"):
        assert text in first_page


def test_studies_sharing_a_condition_name_it_by_study_and_each_keeps_its_rules(client, researcher):
    first = create_built_study()
    second = create_built_study()
    Study.objects.filter(pk=first.pk).update(name="Lab A")
    Study.objects.filter(pk=second.pk).update(name="Lab B", exclusion_rules={"min_answers": 100})
    take_part(first, right_when=lambda index: True)
    take_part(second, right_when=lambda index: True)
    client.force_login(researcher)
    report = json.loads(report_across(client, [first, second], "json").content)
    assert report["exclusions"]["n_participants_raw"] == 2 * BOTS_PER_STUDY
    assert report["n_participants"] == BOTS_PER_STUDY, "Lab B's own rule left its bots out"
    assert list(report["conditions"]) == ["Lab A: main"]
    notes = " ".join(note["message"] for note in report["notes"])
    assert "Lab B: its own rules exclude 4 participant(s) (too_few_answers: 4)" in notes


def test_a_study_with_bad_exclusion_rules_gives_a_message_not_a_report(client, researcher):
    first, second = create_built_study(), create_built_study()
    Study.objects.filter(pk=second.pk).update(exclusion_rules={"max_failed_catch": -1})
    client.force_login(researcher)
    reply = report_across(client, [first, second], "html")
    assert reply.status_code == 302
    messages = client.get(reply["Location"]).content.decode()
    assert "No report: The study&#x27;s exclusion rules are not valid." in messages
