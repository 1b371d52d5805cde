"""Every trial reaches exactly its quota of raters, and option positions are counterbalanced."""

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from studies import enrolment
from studies.assignment import choose_trials, counterbalanced_order
from studies.errors import StudyFull
from studies.models import Assignment, Participant, Study
from tests.studies.bots import Bot
from tests.studies.conftest import create_built_study


def test_the_least_covered_trials_with_room_are_chosen():
    chosen = choose_trials(
        trial_ids=[1, 2, 3, 4],
        active_raters={1: 2, 2: 0, 3: 1, 4: 3},
        quota=3,
        wanted=2,
        rng=random.Random(0),
    )
    assert sorted(chosen) == [2, 3]
    full = choose_trials(
        trial_ids=[1, 2], active_raters={1: 3, 2: 2}, quota=3, wanted=2, rng=random.Random(0)
    )
    assert full is None


def test_over_k_raters_every_option_visits_every_position_once():
    options = [11, 12, 13]
    orders = [
        counterbalanced_order(option_ids=options, rater_index=k, trial_seed="s:1") for k in range(3)
    ]
    for position in range(3):
        assert sorted(order[position] for order in orders) == options
    assert counterbalanced_order(option_ids=options, rater_index=3, trial_seed="s:1") == orders[0]


@pytest.mark.django_db
def test_partial_lists_fill_every_trial_to_exactly_its_quota_then_the_study_is_full():
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(raters_per_trial=2, trials_per_participant=3)
    study.refresh_from_db()
    enrolled = [enrolment.participant_enroll(study=study) for _ in range(6)]  # 9 trials x 2 / 3
    per_trial = Counter(Assignment.objects.values_list("trial_id", flat=True))
    assert len(per_trial) == 9 and set(per_trial.values()) == {2}
    assert all(p.trial_count == 3 for p in enrolled)
    with pytest.raises(StudyFull):
        enrolment.participant_enroll(study=study)
    waiting = Client().post(f"/s/{study.slug}/", {"consent": "on"})
    assert b"The study is full at the moment" in waiting.content
    assert Participant.objects.count() == 6


@pytest.mark.django_db
def test_an_abandoned_session_frees_its_trials_and_keeps_its_answers():
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(raters_per_trial=1, abandon_after_minutes=30)
    study.refresh_from_db()
    leaver = Bot(client=Client(), study_slug=study.slug)
    leaver.answer(leaver.reach_first_trial(), 0)
    with pytest.raises(StudyFull):
        enrolment.participant_enroll(study=study)

    Participant.objects.filter(token=leaver.token).update(
        last_seen_at=timezone.now() - timedelta(minutes=31)
    )
    newcomer = enrolment.participant_enroll(study=study)
    assert newcomer.trial_count == 9
    gone = Participant.objects.get(token=leaver.token)
    assert gone.released_at is not None
    assert gone.responses.count() == 1, "the abandoned session's answer is kept"
    back = leaver.client.get(leaver.url())
    assert back.status_code == 410
    assert b"This session has expired" in back.content


@pytest.mark.django_db
def test_the_study_closes_itself_when_every_quota_is_full():
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(raters_per_trial=2)
    for _ in range(2):
        Bot(client=Client(), study_slug=study.slug).take_whole_study()
    study.refresh_from_db()
    assert study.status == Study.Status.CLOSED
    correct_positions = Counter()
    for assignment in Assignment.objects.select_related("trial"):
        correct = assignment.trial.options.get(is_correct=True).pk
        correct_positions[assignment.option_order.index(correct)] += 1
    assert max(correct_positions.values()) - min(correct_positions.values()) <= 9 // 3 + 1


@pytest.mark.django_db(transaction=True)
def test_many_participants_arriving_at_once_fill_the_quotas_exactly():
    study = create_built_study()
    Study.objects.filter(pk=study.pk).update(raters_per_trial=4, trials_per_participant=3)
    outcomes: list[str] = []

    def arrive(number: int) -> None:
        try:
            link = f"/s/{study.slug}/?PROLIFIC_PID=crowd-{number}"
            response = Client().post(link, {"consent": "on"})
            full = b"The study is full" in response.content
            outcomes.append("enrolled" if response.status_code == 302 else "full" if full else "?")
        finally:
            connection.close()

    threads = [threading.Thread(target=arrive, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert Counter(outcomes) == {"enrolled": 12, "full": 4}  # 9 trials x 4 raters / 3 each
    per_trial = Counter(Assignment.objects.values_list("trial_id", flat=True))
    assert set(per_trial.values()) == {4}
