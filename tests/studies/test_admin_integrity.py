"""Answers are evidence: in the admin a researcher reads them and never writes them.

No answer is added, changed or deleted one by one; the stimuli, phases, trials (with their
options and references) of a study that has answers are read-only, and no build row is added
or deleted by hand; assignments have no admin page. A participant's data leaves only with
their study (below) or through the withdrawal action (test_withdrawal.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client

from studies.models import (
    Assignment,
    AuditEvent,
    GenerationJob,
    Participant,
    Phase,
    Response,
    Stimulus,
    Study,
    Trial,
    TrialOption,
)
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered_study(live_study) -> Study:
    Bot(client=Client(), study_slug=live_study.slug).take_whole_study()
    return live_study


def form_controls(page: str) -> set[str]:
    """The names of the inputs a page's main form would send."""
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page))


def store_year_10000_client_time(response: Response) -> None:
    """Written past the ORM, as yesterday's code could have stored it (PostgreSQL keeps it,
    Python cannot load it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE studies_response SET client_sent_at = %s WHERE id = %s",
            ["9999-12-31T23:59:59-14:00", response.pk],
        )


def test_an_answer_can_be_read_but_not_added_changed_or_deleted(client, researcher, answered_study):
    client.force_login(researcher)
    answer = Response.objects.first()
    before = Response.objects.values().get(pk=answer.pk)

    assert client.get("/admin/studies/response/add/").status_code == 403
    assert client.post("/admin/studies/response/add/", {"is_correct": "on"}).status_code == 403
    page = client.get(f"/admin/studies/response/{answer.pk}/change/")
    assert page.status_code == 200, "the answer can be read"
    assert not {"is_correct", "position", "_save"} & form_controls(page.content.decode())
    changed = client.post(f"/admin/studies/response/{answer.pk}/change/", {"is_correct": ""})
    assert changed.status_code == 403
    assert client.get(f"/admin/studies/response/{answer.pk}/delete/").status_code == 403
    deleted = client.post(f"/admin/studies/response/{answer.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403

    listing = client.get("/admin/studies/response/").content.decode()
    assert "delete_selected" not in listing and "/admin/studies/response/add/" not in listing
    client.post(
        "/admin/studies/response/",
        {"action": "delete_selected", "_selected_action": [answer.pk], "post": "yes"},
    )
    assert Response.objects.values().get(pk=answer.pk) == before


@pytest.mark.parametrize("model", [Stimulus, Phase, Trial])
def test_the_build_of_a_study_with_answers_is_read_only(client, researcher, answered_study, model):
    client.force_login(researcher)
    name = model._meta.model_name
    row = model.objects.order_by("pk").first()
    assert client.get(f"/admin/studies/{name}/add/").status_code == 403
    page = client.get(f"/admin/studies/{name}/{row.pk}/change/")
    assert page.status_code == 200
    assert "_save" not in form_controls(page.content.decode())
    assert client.post(f"/admin/studies/{name}/{row.pk}/change/", {}).status_code == 403
    assert client.get(f"/admin/studies/{name}/{row.pk}/delete/").status_code == 403
    listing = client.get(f"/admin/studies/{name}/").content.decode()
    assert "delete_selected" not in listing


def test_a_trial_and_its_options_cannot_be_changed_once_answered(
    client, researcher, answered_study
):
    client.force_login(researcher)
    trial = Trial.objects.filter(responses__isnull=False).first()
    options = list(TrialOption.objects.filter(trial=trial).values())
    form = {
        "condition": "tampered",
        "class_label": "x",
        "is_catch": "on",
        "options-TOTAL_FORMS": 1,
        "options-INITIAL_FORMS": 1,
        "options-0-id": options[0]["id"],
        "options-0-is_correct": "",
        "references-TOTAL_FORMS": 0,
        "references-INITIAL_FORMS": 0,
    }
    assert client.post(f"/admin/studies/trial/{trial.pk}/change/", form).status_code == 403
    trial.refresh_from_db()
    assert (trial.condition, trial.is_catch) == ("main", False)
    assert list(TrialOption.objects.filter(trial=trial).values()) == options
    page = client.get(f"/admin/studies/trial/{trial.pk}/change/").content.decode()
    assert not {"options-0-is_correct", "options-0-DELETE"} & form_controls(page)


def test_before_any_answer_a_trials_labels_can_still_be_corrected(client, researcher, live_study):
    client.force_login(researcher)
    trial = Trial.objects.filter(phase__kind=Phase.Kind.TEST).first()
    form = {
        "condition": "main",
        "class_label": "crimson",
        "options-TOTAL_FORMS": 0,
        "options-INITIAL_FORMS": 0,
        "references-TOTAL_FORMS": 0,
        "references-INITIAL_FORMS": 0,
    }
    response = client.post(f"/admin/studies/trial/{trial.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    trial.refresh_from_db()
    assert trial.class_label == "crimson"
    assert client.get(f"/admin/studies/trial/{trial.pk}/delete/").status_code == 403


def test_assignments_have_no_admin_page(client, researcher, answered_study):
    client.force_login(researcher)
    assert Assignment.objects.exists()
    assert client.get("/admin/studies/assignment/").status_code == 404


def test_a_participant_is_read_not_edited_and_leaves_only_by_withdrawal(
    client, researcher, answered_study
):
    client.force_login(researcher)
    participant = Participant.objects.get(study=answered_study)
    assert client.get("/admin/studies/participant/add/").status_code == 403
    assert client.get(f"/admin/studies/participant/{participant.pk}/delete/").status_code == 403
    page = client.get(f"/admin/studies/participant/{participant.pk}/change/")
    assert page.status_code == 200
    assert not {"gender", "study", "stage", "_save"} & form_controls(page.content.decode())
    assert (
        client.post(f"/admin/studies/participant/{participant.pk}/change/", {}).status_code == 403
    )
    listing = client.get("/admin/studies/participant/").content.decode()
    assert "delete_selected" not in listing
    assert 'value="withdraw"' in listing


def test_trials_and_tasks_are_numbered_from_one_in_the_admin(client, researcher, live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug)
    first_page = bot.reach_first_trial()
    assert "Task 1 of 9" in first_page
    client.force_login(researcher)

    listing = client.get("/admin/studies/participant/").content.decode()
    assert "1 of 9" in listing, "the participant's next task is their 'Task 1 of 9'"
    bot.answer(first_page, 0)
    listing = client.get("/admin/studies/participant/").content.decode()
    assert "2 of 9" in listing

    first = Trial.objects.get(phase__kind=Phase.Kind.TEST, order=0)
    assert str(first).endswith(" #1")
    trials = client.get("/admin/studies/trial/?phase__kind=test").content.decode()
    numbers = {int(n) for n in re.findall(r"/ test #(\d+)<", trials)}
    assert numbers == set(range(1, 10))
    page = client.get(f"/admin/studies/trial/{first.pk}/change/").content.decode()
    options = re.findall(r'<td class="field-number">\s*<p>(\d+)</p>', page)
    assert options == ["1", "2", "3"]


def test_a_study_with_answers_is_deleted_with_everything_it_holds(
    client, researcher, answered_study
):
    """Its answers go with it (both databases, a stored year 10000 too: the confirmation page
    counts instead of listing, and the deletion loads no answer)."""
    store_year_10000_client_time(Response.objects.first())
    other = Bot(client=Client(), study_slug=answered_study.slug)
    other.reach_first_trial()
    participant = Participant.objects.get(token=other.token)
    LogEntry.objects.create(  # an admin history entry naming a participant (as it could be)
        user=researcher,
        content_type=ContentType.objects.get_for_model(Participant),
        object_id=str(participant.pk),
        object_repr="PID-SECRET",
        action_flag=CHANGE,
    )
    study_folder = Path(settings.MEDIA_ROOT) / "studies" / str(answered_study.uuid)
    assert any(study_folder.rglob("*.*"))
    client.force_login(researcher)

    page = client.get(f"/admin/studies/study/{answered_study.pk}/delete/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 participants, 9 answers, 12 trials" in text, text[:3000]
    deleted = client.post(f"/admin/studies/study/{answered_study.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302

    assert not Study.objects.exists()
    for model in (Participant, Response, Assignment, Trial, Stimulus, Phase, GenerationJob):
        assert not model.objects.exists(), model
    assert not any(study_folder.rglob("*.*")), "the stimulus files are gone"
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.STUDY_DELETED and event.study is None
    assert event.actor == researcher and event.study_label.startswith("Colour and pitch")
    assert event.details == {"answers_removed": 9, "participants_removed": 2}
    assert not LogEntry.objects.filter(object_repr="PID-SECRET").exists()


def test_a_study_being_generated_cannot_be_deleted(client, researcher, live_study):
    Study.objects.filter(pk=live_study.pk).update(status=Study.Status.GENERATING)
    client.force_login(researcher)
    assert client.get(f"/admin/studies/study/{live_study.pk}/delete/").status_code == 403
    refused = client.post(
        "/admin/studies/study/",
        {"action": "delete_selected", "_selected_action": [live_study.pk], "post": "yes"},
    )
    assert "is being generated: delete it once its job has finished" in refused.content.decode()
    assert Study.objects.filter(pk=live_study.pk).exists()
