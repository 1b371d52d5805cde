"""Writes of the answer path: a trial shown, an answer stored exactly once.

The rest of the domain's writes are in services.py; the last answer of a participant may
close the study there (study_close_if_complete).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studies import selectors
from studies.errors import Conflict, InvalidInput, NotAllowed
from studies.models import Assignment, Participant, Response, Study
from studies.services import participant_flag, study_close_if_complete

LISTENING_TOLERANCE_S = 0.25


def answered_too_fast(assignment: Assignment, *, facts, study: Study, now: datetime) -> bool:
    """Answered sooner after the trial was shown than its clips take to hear once."""
    if not study.require_full_listen or assignment.served_at is None:
        return False
    elapsed = (now - assignment.served_at).total_seconds()
    return elapsed + LISTENING_TOLERANCE_S < facts.minimum_listening_s


def assignment_mark_served(*, participant: Participant, sequence: int) -> None:
    Assignment.objects.filter(
        participant=participant, sequence=sequence, served_at__isnull=True
    ).update(served_at=timezone.now())


@dataclass(frozen=True)
class RecordedAnswer:
    response: Response
    created: bool


def response_record(
    *,
    participant: Participant,
    trial_public_id: str,
    position: int,
    rt_ms: float | None = None,
    audio_rt_ms: float | None = None,
    plays: int = 0,
    heard_to_end: bool = False,
    fraction_heard: float | None = None,
    pauses: int = 0,
    hidden_while_playing: bool = False,
    client_sent_at: datetime | None = None,
    implausible: Sequence[str] = (),
) -> RecordedAnswer:
    """Store one answer. The same answer sent twice is stored once and gets the same reply.

    `implausible`: readings the browser sent that cannot be true (forms.Reading); they are not
    stored, and the participant is flagged once per reading for the researcher to see.

    The participant row is advanced with one conditional UPDATE (stage, current index, not
    abandoned); only the request that advances it inserts the answer, so double clicks,
    replays and concurrent duplicates all end with exactly one stored row.
    """
    assignment = (
        Assignment.objects.filter(participant_id=participant.pk, trial__public_id=trial_public_id)
        .select_related("trial")
        .first()
    )
    if assignment is None:
        raise NotAllowed(_("This trial is not part of your session."))
    screen = assignment.option_order
    if not isinstance(position, int) or not 0 <= position < len(screen):
        raise InvalidInput(_("Choose one of the %(n)d options.") % {"n": len(screen)})
    study = participant.study
    open_for_answers = participant.is_preview or study.status == Study.Status.LIVE
    facts = selectors.trial_facts(assignment.trial)
    now = timezone.now()
    finished = assignment.sequence + 1 >= participant.trial_count
    progress = {"next_index": assignment.sequence + 1, "last_seen_at": now}
    if finished:
        progress |= {"stage": Participant.Stage.DONE, "completed_at": now}
    with transaction.atomic():
        advanced = open_for_answers and Participant.objects.filter(
            pk=participant.pk,
            stage=Participant.Stage.TEST,
            next_index=assignment.sequence,
            released_at__isnull=True,
        ).update(**progress)
        if advanced:
            chosen_id = screen[position]
            response = Response.objects.create(
                participant_id=participant.pk,
                trial_id=assignment.trial_id,
                chosen_id=chosen_id,
                is_correct=facts.options[chosen_id].is_correct,
                position=position,
                sequence=assignment.sequence,
                rt_ms=non_negative_or_none(rt_ms),
                audio_rt_ms=audio_rt_ms,
                plays=max(0, min(int(plays), 1000)),
                heard_to_end=bool(heard_to_end),
                fraction_heard=fraction_heard,
                pauses=max(0, min(int(pauses or 0), 1000)),
                hidden_while_playing=bool(hidden_while_playing),
                too_fast=answered_too_fast(assignment, facts=facts, study=study, now=now),
                client_sent_at=client_sent_at,
            )
    if not advanced:
        return RecordedAnswer(response=refused_answer(participant, assignment), created=False)
    for name, value in progress.items():
        setattr(participant, name, value)
    if finished and not participant.is_preview:
        study_close_if_complete(study=study)
    note_implausible_readings(participant, implausible)
    return RecordedAnswer(response=response, created=True)


def note_implausible_readings(participant: Participant, names: Sequence[str]) -> None:
    """Flag each kind of implausible reading once (no query when it is flagged already)."""
    for name in names:
        reason = f"sent an implausible {name} (not stored)"
        if reason not in participant.flags:
            participant_flag(participant=participant, reason=reason)
            participant.flags = [*participant.flags, reason]


def non_negative_or_none(milliseconds: float | None) -> float | None:
    """A reaction time the browser measured; a negative one (a clock that jumped) is unknown."""
    return milliseconds if milliseconds is not None and milliseconds >= 0 else None


def refused_answer(participant: Participant, assignment: Assignment) -> Response:
    """The stored answer for a repeated submit; otherwise the reason no answer is taken.

    Either way `participant` is read again first: a duplicate sent in parallel was loaded before
    the copy that won moved the participant on, and its reply must show where they are now.
    """
    participant.refresh_from_db()
    existing = Response.objects.filter(
        participant_id=participant.pk, trial_id=assignment.trial_id
    ).first()
    if existing:
        return existing
    if participant.released_at is not None:
        raise NotAllowed(_("This session has expired; its tasks went to other participants."))
    if not participant.is_preview and participant.study.status != Study.Status.LIVE:
        raise NotAllowed(_("This study has closed; no more answers are taken."))
    if participant.stage != Participant.Stage.TEST:
        raise Conflict(_("Answers are not being taken at this point of the study."))
    raise Conflict(_("This is not the current trial; please continue where you are."))
