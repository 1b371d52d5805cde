"""Who takes part: enrolment with a balanced trial list, the places (quotas) sessions hold and
give back, and continuing a session in another browser.

Quotas stay exact under concurrency: every enrolment plans and stores its trials while holding
the study row's lock, after releasing the places of sessions that no longer hold them.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from studies import flow
from studies.assignment import choose_trials, counterbalanced_order
from studies.errors import Conflict, InvalidInput, NotAllowed, StudyFull
from studies.models import Assignment, Participant, Phase, Study, Trial
from studies.services import participant_flag


def participant_enroll_preview(*, study: Study) -> Participant:
    """A researcher takes the study as a participant would; nothing they do counts as data."""
    if study.status not in (Study.Status.READY, Study.Status.LIVE):
        raise Conflict("Generate the study before previewing it.")
    return participant_enroll(study=study, is_preview=True, label="researcher preview")


def participant_enroll(
    *,
    study: Study,
    prolific_pid: str = "",
    prolific_study_id: str = "",
    prolific_session_id: str = "",
    label: str = "",
    user_agent: str = "",
    browser_key: str = "",
    is_preview: bool = False,
    welcome: "Welcome | None" = None,
) -> Participant:
    """Enrol a participant with a balanced, seeded trial list.

    A Prolific id is a credential: a known one resumes only from the browser that enrolled it
    (`browser_key`, e.g. a double-submitted consent form); anywhere else it is refused (the
    participant continues there with their resume code, participant_resume_with_code).
    `welcome` holds what the welcome page asked with the consent (the questionnaire, the
    instructions): stored with the participant, who then starts at the stage after them.
    """
    if not is_preview and study.status != Study.Status.LIVE:
        raise NotAllowed(_("This study is not open."))
    if not external_ids_valid(prolific_pid, prolific_study_id, prolific_session_id):
        raise InvalidInput(invalid_link_message())
    if prolific_pid:
        existing = Participant.objects.filter(study=study, prolific_pid=prolific_pid).first()
        if existing:
            return participant_same_browser(existing, browser_key=browser_key)
    participant = Participant(
        study=study,
        prolific_pid=prolific_pid,
        prolific_study_id=prolific_study_id,
        prolific_session_id=prolific_session_id,
        label=printable(label)[:100],
        user_agent=printable(user_agent)[:400],
        browser_key=browser_key,
        is_preview=is_preview,
    )
    trials = test_trials_of(study)  # read before the lock: trials never change once built
    try:
        with transaction.atomic():
            # One enrolment at a time per study, so quotas are never overshot; the lock is held
            # for what must be counted under it (sessions released, raters per trial) and the
            # inserts, nothing else.
            Study.objects.select_for_update().filter(pk=study.pk).first()
            plan = assignment_plan_with_room(participant, trials)
            participant.trial_count = len(plan)
            if welcome is not None:
                participant_welcomed(participant, welcome)
            participant.save()
            Assignment.objects.bulk_create(
                Assignment(participant=participant, **assignment) for assignment in plan
            )
    except IntegrityError:
        # The same Prolific id arrived twice at once and the other request won.
        existing = Participant.objects.get(study=study, prolific_pid=prolific_pid)
        return participant_same_browser(existing, browser_key=browser_key)
    return participant


@dataclass(frozen=True)
class Welcome:
    """The welcome page's answers besides the consent (validated by DemographicsForm)."""

    gender: str
    age_band: str
    musical_level: str
    instructions_read: bool = False


def participant_welcomed(participant: Participant, welcome: Welcome) -> None:
    """Fill in the questionnaire and move past it (and the instructions, if they were read)."""
    participant.gender = welcome.gender
    participant.age_band = welcome.age_band
    participant.musical_level = welcome.musical_level
    participant.stage = flow.stage_after_welcome(
        participant, instructions_read=welcome.instructions_read
    )


EXTERNAL_ID_MAX_CHARS = 64  # Participant.prolific_pid and the others; Prolific's are 24


def external_ids_valid(*ids: str) -> bool:
    """Ids a study link carries (Prolific's): short enough to store whole, printable."""
    return all(len(value) <= EXTERNAL_ID_MAX_CHARS and value.isprintable() for value in ids)


def printable(text: str) -> str:
    """`text` without control characters (PostgreSQL stores no NUL, and none belongs here)."""
    return "".join(character for character in text if character.isprintable())


def invalid_link_message() -> str:
    return _(
        "This study link is not valid: the Prolific details it carries are too long or "
        "contain odd characters. Please open the study from Prolific again."
    )


def participant_same_browser(participant: Participant, *, browser_key: str) -> Participant:
    if browser_key and participant.browser_key == browser_key:
        return participant
    raise NotAllowed(already_started_message())


def already_started_message() -> str:
    return _(
        "This Prolific ID has already started this study in another browser. To continue "
        "here, use the resume code shown at the bottom of your study pages."
    )


def test_trials_of(study: Study) -> dict[int, Trial]:
    """The study's test trials with their options, in order, by id."""
    return {
        trial.pk: trial
        for trial in Trial.objects.filter(phase__study=study, phase__kind=Phase.Kind.TEST)
        .order_by("phase__order", "order")
        .prefetch_related("options")
    }


def assignment_plan_with_room(
    participant: Participant, trials: dict[int, Trial] | None = None
) -> list[dict]:
    """The participant's plan after idle sessions gave their trials back; when the study is
    full, sessions that never reached an answer in time give theirs back too."""
    study = participant.study
    trials = test_trials_of(study) if trials is None else trials
    participants_release_abandoned(study=study)
    try:
        return assignment_plan(participant, trials)
    except StudyFull:
        if participant.is_preview or not participants_release_unstarted(study=study):
            raise
        return assignment_plan(participant, trials)


def assignment_plan(participant: Participant, trials: dict[int, Trial] | None = None) -> list[dict]:
    """Trials (least covered first), plus every catch trial, with counterbalanced options."""
    study = participant.study
    trials = test_trials_of(study) if trials is None else trials
    catch_ids = [pk for pk, trial in trials.items() if trial.is_catch]
    regular_ids = [pk for pk in trials if pk not in catch_ids]
    raters = {} if participant.is_preview else active_raters_per_trial(study)
    rng = random.Random(f"{study.seed}:{participant.token}")
    wanted = min(study.trials_per_participant or len(regular_ids), len(regular_ids))
    quota = len(trials) + 1 if participant.is_preview else study.raters_per_trial
    chosen = choose_trials(
        trial_ids=regular_ids, active_raters=raters, quota=quota, wanted=wanted, rng=rng
    )
    if chosen is None:
        minutes = min(study.abandon_after_minutes, settings.SYNLAB_FIRST_ANSWER_WITHIN_MINUTES)
        raise StudyFull(study_full_message(minutes))
    for catch_id in catch_ids:  # mixed in at random places, never first
        chosen.insert(rng.randint(1, len(chosen)), catch_id)
    return [
        {
            "trial": trials[trial_id],
            "sequence": sequence,
            "rater_index": raters.get(trial_id, 0),
            "option_order": screen_order(
                trials[trial_id], rater_index=raters.get(trial_id, 0), study_seed=study.seed
            ),
        }
        for sequence, trial_id in enumerate(chosen)
    ]


def screen_order(trial: Trial, *, rater_index: int, study_seed: int) -> list[int]:
    """Options in counterbalanced order; worded answers (Yes / No) always in their written
    order, so each key means the same answer on every trial."""
    options = list(trial.options.all())
    if all(option.stimulus_id is None for option in options):
        return [option.pk for option in options]
    return counterbalanced_order(
        option_ids=[option.pk for option in options],
        rater_index=rater_index,
        trial_seed=f"{study_seed}:{trial.pk}",
    )


def active_raters_per_trial(study: Study) -> dict[int, int]:
    """Raters holding each trial: finished or still going, not previews, not abandoned."""
    rows = (
        Assignment.objects.filter(
            trial__phase__study=study,
            participant__is_preview=False,
            participant__released_at__isnull=True,
        )
        .values_list("trial_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def participants_release_abandoned(*, study: Study) -> int:
    """Sessions idle past the study's limit give their trials back; their answers are kept."""
    idle_since = timezone.now() - timedelta(minutes=study.abandon_after_minutes)
    return Participant.objects.filter(
        study=study,
        is_preview=False,
        released_at__isnull=True,
        completed_at__isnull=True,
        last_seen_at__lt=idle_since,
    ).update(released_at=timezone.now())


def participants_release_unstarted(*, study: Study) -> int:
    """Sessions that gave no answer within SYNLAB_FIRST_ANSWER_WITHIN_MINUTES of consenting
    give their trials back (enrolments that go nowhere, bots among them, cannot fill a study)."""
    minutes = settings.SYNLAB_FIRST_ANSWER_WITHIN_MINUTES
    return Participant.objects.filter(
        study=study,
        is_preview=False,
        released_at__isnull=True,
        completed_at__isnull=True,
        next_index=0,
        consented_at__lt=timezone.now() - timedelta(minutes=minutes),
    ).update(released_at=timezone.now())


RESUME_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I


def participant_resume_code(participant: Participant) -> str:
    """Shown on the participant's pages: with it (and their Prolific id) they can continue in
    another browser. 40 bits from a keyed hash of the token, so nothing is stored."""
    digest = salted_hmac("synlab.resume", participant.token, algorithm="sha256").digest()
    letters = "".join(RESUME_CODE_ALPHABET[byte % 32] for byte in digest[:8])
    return f"{letters[:4]}-{letters[4:]}"


RESUME_TRIES_PER_HOUR = 10


def participant_resume_with_code(*, participant: Participant, code: str) -> Participant:
    """Continue a Prolific participant's session in another browser, given their resume code."""
    tries_key = f"synlab.resume-tries.{participant.pk}"
    if cache.get(tries_key, 0) >= RESUME_TRIES_PER_HOUR:
        raise NotAllowed(_("Too many wrong codes. Please try again in an hour."))
    typed = "".join(ch for ch in code.upper()[:40] if ch.isalnum())
    expected = participant_resume_code(participant).replace("-", "")
    if not constant_time_compare(typed, expected):
        if not cache.add(tries_key, 1, timeout=3600):
            cache.incr(tries_key)
        raise InvalidInput(_("That code is not right. Please check it and try again."))
    participant_flag(participant=participant, reason="resumed in another browser (resume code)")
    return participant


def study_full_message(minutes: int) -> str:
    return ngettext(
        "All places in this study are taken at the moment. Places free up when someone leaves "
        "without finishing: please try again in %(minutes)d minute.",
        "All places in this study are taken at the moment. Places free up when someone leaves "
        "without finishing: please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
