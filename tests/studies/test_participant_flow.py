"""Participants take a study page by page; afterwards the stored rows tell what they did."""

import re

import pytest
from django.test import Client

from studies.models import Participant, Response, Study
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


def bot_for(study: Study, query: str = "") -> Bot:
    return Bot(client=Client(), study_slug=study.slug, query=query)


def test_a_participant_walks_every_page_and_every_answer_is_stored(live_study):
    bot = bot_for(live_study, "?PROLIFIC_PID=pid-123&STUDY_ID=st-9&SESSION_ID=se-4")
    done = bot.take_whole_study(choose=lambda index, html: index % 3)
    assert bot.pages[:3] == ["demographics", "instructions", "preview"]
    assert bot.pages.count("test") == 9
    assert live_study.completion_code in done.content.decode()

    participant = Participant.objects.get(token=bot.token)
    assert participant.stage == Participant.Stage.DONE
    assert participant.completed_at is not None
    assert (
        participant.prolific_pid,
        participant.prolific_study_id,
        participant.prolific_session_id,
    ) == (
        "pid-123",
        "st-9",
        "se-4",
    )
    assert (participant.gender, participant.age_band, participant.musical_level) == (
        "female",
        "25-34",
        "amateur",
    )
    responses = list(Response.objects.filter(participant=participant).order_by("sequence"))
    assert [r.sequence for r in responses] == list(range(9))
    assert [r.position for r in responses] == [i % 3 for i in range(9)]
    for response in responses:
        screen = participant.assignments.get(trial=response.trial).option_order
        assert response.chosen_id == screen[response.position]
        assert response.is_correct == response.chosen.is_correct
        assert (response.rt_ms, response.plays, response.heard_to_end) == (900, 1, True)


def test_each_participant_gets_their_own_reproducible_order(live_study):
    first, second = bot_for(live_study), bot_for(live_study)
    first.take_whole_study()
    second.take_whole_study()
    a = Participant.objects.get(token=first.token)
    b = Participant.objects.get(token=second.token)
    order_a = list(a.assignments.values_list("trial_id", flat=True))
    order_b = list(b.assignments.values_list("trial_id", flat=True))
    assert sorted(order_a) == sorted(order_b)
    assert order_a != order_b
    from studies.enrolment import assignment_plan

    a.assignments.all().delete()  # the same token and the same coverage give the same plan
    again = [(p["trial"].pk, p["option_order"]) for p in assignment_plan(a)]
    assert [t for t, _ in again] == order_a


def test_the_same_answer_sent_twice_is_stored_once_with_the_same_reply(live_study):
    bot = bot_for(live_study)
    html = bot.reach_first_trial(gender="male", age_band="18-24", musical_level="professional")
    first = bot.answer(html, 1)
    second = bot.answer(html, 2)  # a double click, or a replay with another choice
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    stored = Response.objects.get(participant__token=bot.token)
    assert stored.position == 1


def test_reload_and_back_button_resume_where_the_participant_is(live_study):
    bot = bot_for(live_study)
    first_trial = bot.reach_first_trial(
        gender="other", age_band="35-44", musical_level="intermediate"
    )
    bot.answer(first_trial, 0)
    # Back button: the browser re-posts the demographics form and the first trial's answer.
    bot.submit("demographics", {"gender": "female", "age_band": "65+", "musical_level": "amateur"})
    bot.answer(first_trial, 2)
    participant = Participant.objects.get(token=bot.token)
    assert participant.gender == "other"
    assert participant.next_index == 1
    assert Response.objects.get(participant=participant).position == 0
    # Reload: the second trial is shown, and the study link itself resumes the same session.
    reloaded = bot.page().content.decode()
    assert "Task 2 of 9" in reloaded
    assert bot.open_link()["Location"] == f"/p/{bot.token}/"


def test_a_prolific_id_coming_back_in_the_same_browser_resumes_instead_of_restarting(live_study):
    query = "?PROLIFIC_PID=returning&STUDY_ID=s&SESSION_ID=1"
    bot = bot_for(live_study, query)
    bot.open_link(), bot.consent()
    assert bot.open_link()["Location"] == f"/p/{bot.token}/"
    again = bot.client.post(f"/s/{live_study.slug}/{query}", {"consent": "on"})
    assert again["Location"] == f"/p/{bot.token}/"
    assert Participant.objects.filter(prolific_pid="returning").count() == 1


def test_an_answer_for_a_trial_not_assigned_is_forbidden(live_study, db):
    from tests.studies.conftest import create_built_study

    other_study = create_built_study()
    other_trial = other_study.phases.get(kind="test").trials.first()
    bot = bot_for(live_study)
    html = bot.reach_first_trial(gender="male", age_band="18-24", musical_level="amateur")
    tampered = html.replace(
        re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1), str(other_trial.public_id)
    )
    response = bot.answer(tampered, 0)
    assert response.status_code == 403
    assert b"not part of your session" in response.content
    assert not Response.objects.exists()


def test_an_unknown_token_gets_a_friendly_404():
    response = Client().get("/p/not-a-real-token/")
    assert response.status_code == 404
    assert b"open that link again" in response.content


def test_demographics_must_be_complete(live_study):
    bot = bot_for(live_study)
    bot.open_link(), bot.consent()
    response = bot.submit("demographics", {"gender": "female"})
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert bot.stage() == Participant.Stage.DEMOGRAPHICS


def test_consent_is_required_before_anything_is_stored(live_study):
    response = Client().post(f"/s/{live_study.slug}/", {})
    assert response.status_code == 200
    assert b"Please tick the box" in response.content
    assert not Participant.objects.exists()


def test_a_closed_study_takes_no_new_participants_and_no_more_answers(live_study):
    from studies import services

    bot = bot_for(live_study)
    html = bot.reach_first_trial(gender="female", age_band="18-24", musical_level="amateur")
    services.study_close(study=live_study)
    assert bot.answer(html, 0).status_code == 403
    assert Client().get(f"/s/{live_study.slug}/").status_code == 403
    assert not Response.objects.exists()


def test_media_links_are_per_participant_and_reveal_nothing(live_study):
    bot = bot_for(live_study)
    html = bot.reach_first_trial(gender="female", age_band="18-24", musical_level="amateur")
    urls = re.findall(r'src="(/p/[^"]+/m/[^"]+)"', html)
    assert len(urls) == 4  # the clip and three images
    for url in urls:
        assert bot.client.get(url).status_code == 200
        assert not re.search(r"red|green|blue|\.png|\.wav", url)
    stranger = bot_for(live_study)
    stranger.open_link(), stranger.consent()
    stolen = urls[0].replace(bot.token, stranger.token)
    assert stranger.client.get(stolen).status_code == 404
    assert "correct" not in html.lower()
