"""A participant asks to be removed: the researcher withdraws them in the admin. Their answers
and personal details go in one step, the study's counts stay right, their trial places go to
newcomers on a live study, and the audit log says who did it, when and for which study,
naming the participant only by their export pseudonym."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import Client

from studies import services
from studies.errors import NotFound
from studies.models import Assignment, AuditEvent, Participant, Response, Study
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db

PROLIFIC_ID = "5f9c0a1b2c3d4e5f6a7b8c9d"


def prolific_bot(study: Study, pid: str = PROLIFIC_ID) -> Bot:
    query = f"?PROLIFIC_PID={pid}&STUDY_ID=study-1&SESSION_ID=session-{pid[-4:]}"
    return Bot(client=Client(), study_slug=study.slug, query=query)


def answer_tasks(bot: Bot, count: int) -> None:
    page = bot.reach_first_trial()
    for _ in range(count):
        bot.answer(page, 0)
        page = bot.page().content.decode()


def withdraw(client, participant: Participant, *, confirm: bool = True):
    form = {"action": "withdraw", "_selected_action": [participant.pk]}
    if confirm:
        form["confirm"] = "yes"
    return client.post("/admin/studies/participant/", form, follow=confirm)


def test_withdrawing_asks_first_then_removes_their_data_and_records_it(
    client, researcher, live_study
):
    leaving, staying = prolific_bot(live_study), prolific_bot(live_study, pid="6a" * 12)
    answer_tasks(leaving, 4)
    answer_tasks(staying, 2)
    participant = Participant.objects.get(token=leaving.token)
    stays = Response.objects.filter(participant__token=staying.token)
    kept = list(stays.values())
    client.force_login(researcher)

    asked = withdraw(client, participant, confirm=False)
    assert asked.status_code == 200
    page = asked.content.decode()
    assert f"P{participant.pk}" in page and PROLIFIC_ID in page, "who it is, before it goes"
    assert re.search(r"<td>4</td></tr>", page), "how many answers go"
    assert Participant.objects.filter(pk=participant.pk).exists(), "nothing happens before yes"

    done = withdraw(client, participant)
    assert done.status_code == 200
    message = done.content.decode()
    assert f"P{participant.pk} withdrawn from Colour and pitch: 4 answers" in message
    assert "9 trial places freed for newcomers" in message

    assert not Participant.objects.filter(pk=participant.pk).exists()
    assert not Response.objects.filter(participant_id=participant.pk).exists()
    assert not Assignment.objects.filter(participant_id=participant.pk).exists()
    assert list(stays.values()) == kept, "nobody else's answers change"

    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.PARTICIPANT_WITHDRAWN
    assert (event.actor, event.actor_name) == (researcher, "researcher")
    assert event.study == live_study and event.participant_ref == f"P{participant.pk}"
    assert event.details == {"answers_removed": 4, "places_freed": 9}
    stored = io.StringIO()
    call_command("dumpdata", "studies", "admin", stdout=stored)
    assert PROLIFIC_ID not in stored.getvalue(), "the Prolific id is nowhere any more"
    assert client.get("/admin/studies/auditevent/").status_code == 200
    assert client.get(f"/admin/studies/auditevent/{event.pk}/delete/").status_code == 403


def test_a_withdrawn_participants_places_go_to_a_newcomer_and_the_counts_agree(
    client, researcher, live_study
):
    services.study_update(study=live_study, changes={"raters_per_trial": 1})
    first = prolific_bot(live_study)
    answer_tasks(first, 3)
    newcomer = prolific_bot(live_study, pid="7b" * 12)
    newcomer.open_link()
    turned_away = newcomer.client.post(f"/s/{live_study.slug}/{newcomer.query}", {"consent": "on"})
    assert "All places in this study are taken" in turned_away.content.decode()

    client.force_login(researcher)
    withdraw(client, Participant.objects.get(token=first.token))

    newcomer.consent()
    assert Assignment.objects.filter(participant__token=newcomer.token).count() == 9
    assert "Task 1 of 9" in first_page_of(newcomer)
    answer_tasks_from_here(newcomer, 2)
    listing = client.get("/admin/studies/study/").content.decode()
    assert re.search(r'<td class="field-started">1</td><td class="field-completed">0</td>', listing)
    change = client.get(f"/admin/studies/study/{live_study.pk}/change/").content.decode()
    assert "1 started, 0 completed, 2 answers" in change
    export = client.get(f"/researcher/studies/{live_study.pk}/responses.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(export)))
    assert len(rows) == 2 and {row["participant"] for row in rows} == {
        f"P{Participant.objects.get(token=newcomer.token).pk}"
    }


def first_page_of(bot: Bot) -> str:
    bot.submit("demographics", {"gender": "male", "age_band": "25-34", "musical_level": "amateur"})
    bot.submit("instructions")
    bot.submit("preview")
    return bot.page().content.decode()


def answer_tasks_from_here(bot: Bot, count: int) -> None:
    for _ in range(count):
        bot.answer(bot.page().content.decode(), 0)


def test_withdrawal_works_with_a_stored_time_python_cannot_read(client, researcher, live_study):
    """The admin's delete page for a participant answered 500 on PostgreSQL (it loaded every
    answer, and a client time of year 10000 cannot be loaded); the withdrawal loads none."""
    bot = prolific_bot(live_study)
    answer_tasks(bot, 2)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE studies_response SET client_sent_at = %s",
            ["9999-12-31T23:59:59-14:00"],
        )
    participant = Participant.objects.get(token=bot.token)
    client.force_login(researcher)
    assert withdraw(client, participant, confirm=False).status_code == 200
    assert withdraw(client, participant).status_code == 200
    assert not Response.objects.exists() and not Participant.objects.exists()


def test_the_withdrawn_link_leads_nowhere_and_a_second_withdrawal_says_so(
    client, researcher, live_study
):
    bot = prolific_bot(live_study)
    answer_tasks(bot, 1)
    participant = Participant.objects.get(token=bot.token)
    client.force_login(researcher)
    withdraw(client, participant)
    assert bot.client.get(bot.url()).status_code == 404
    with pytest.raises(NotFound) as caught:
        services.participant_withdraw(participant=participant, by=researcher)
    assert caught.value.message == "This participant has already been withdrawn."
    assert AuditEvent.objects.count() == 1


def test_only_researchers_who_may_delete_participants_may_withdraw_them(
    client, django_user_model, live_study
):
    assistant = django_user_model.objects.create_user(
        username="assistant", password="a-long-test-password", is_staff=True
    )
    assistant.user_permissions.add(Permission.objects.get(codename="view_participant"))
    bot = prolific_bot(live_study)
    answer_tasks(bot, 1)
    participant = Participant.objects.get(token=bot.token)
    client.force_login(assistant)
    listing = client.get("/admin/studies/participant/").content.decode()
    assert 'value="withdraw"' not in listing
    withdraw(client, participant)
    assert Participant.objects.filter(pk=participant.pk).exists()
    assert not AuditEvent.objects.exists()
