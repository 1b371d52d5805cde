"""Writes of the answer path: a trial shown, an answer stored exactly once.

`answer_record_at_once` is the path every answer of the page's script takes: the participant
is found by their token, advanced, the answer stored and the next trial marked served in one
statement on PostgreSQL (a CTE) and one short transaction on SQLite, and the next two
assignments come back with it. When it takes nothing (a repeated answer, a refusal, an unknown
trial), `response_record` works out the same reply or the reason, as it always did.

The rest of the domain's writes are in services.py; the last answer of a participant may
close the study there (study_close_if_complete).
"""

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from studies import selectors
from studies.errors import Conflict, InvalidInput, NotAllowed
from studies.grouping_answers import PlacementsError, grouping_score, placements_by_position
from studies.models import Assignment, Participant, Response, Study, Trial, TrialOption
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
    if facts.trial_type == Trial.Type.GROUPING:
        raise InvalidInput(_("Sort every item into a group, then send your groups."))
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


def grouping_record(
    *,
    participant: Participant,
    trial_public_id: str,
    placements: str,
    readings: "Readings",
    implausible: Sequence[str] = (),
) -> RecordedAnswer:
    """Store one grouping board's answer: its placements by option and their adjusted Rand
    index against the items' true groups (studies.grouping_answers). Placements that leave an
    item out, name an item the board lacks or a group it does not offer are refused with every
    problem, and nothing is stored. The same gate as response_record: a replay or a double
    submit ends with one stored row and gets its reply. `position` is stored as 0.
    """
    assignment = (
        Assignment.objects.filter(participant_id=participant.pk, trial__public_id=trial_public_id)
        .select_related("trial")
        .first()
    )
    if assignment is None:
        raise NotAllowed(_("This trial is not part of your session."))
    facts = selectors.trial_facts(assignment.trial)
    if facts.trial_type != Trial.Type.GROUPING:
        raise InvalidInput(_("Choose one of the %(n)d options.") % {"n": len(facts.options)})
    screen = assignment.option_order
    try:
        by_position = placements_by_position(placements, n_items=len(screen), n_groups=facts.groups)
    except PlacementsError as error:
        raise InvalidInput(" ".join(error.problems), problems=error.problems) from None
    by_option = {screen[position]: group for position, group in by_position.items()}
    truth = dict(
        TrialOption.objects.filter(trial_id=assignment.trial_id).values_list("pk", "identity")
    )
    score = grouping_score(by_option, truth)
    now = timezone.now()
    with transaction.atomic():
        progress = advanced_past(participant, assignment, now=now)
        if progress:
            response = Response.objects.create(
                participant_id=participant.pk,
                trial_id=assignment.trial_id,
                chosen=None,
                placements={str(option): group for option, group in sorted(by_option.items())},
                score=score,
                is_correct=score >= 1.0,
                position=0,
                sequence=assignment.sequence,
                too_fast=answered_too_fast(
                    assignment, facts=facts, study=participant.study, now=now
                ),
                **readings.stored(),
            )
    if not progress:
        return RecordedAnswer(response=refused_answer(participant, assignment), created=False)
    for name, value in progress.items():
        setattr(participant, name, value)
    if progress.get("stage") == Participant.Stage.DONE and not participant.is_preview:
        study_close_if_complete(study=participant.study)
    note_implausible_readings(participant, implausible)
    return RecordedAnswer(response=response, created=True)


def advanced_past(participant: Participant, assignment: Assignment, *, now) -> dict | None:
    """Move the participant past `assignment` with one conditional UPDATE (in the test stage,
    at this trial, session not released, study open); the values written, or None when this
    request did not move them. Call it inside the transaction that stores the answer."""
    if not (participant.is_preview or participant.study.status == Study.Status.LIVE):
        return None
    progress = {"next_index": assignment.sequence + 1, "last_seen_at": now}
    if assignment.sequence + 1 >= participant.trial_count:
        progress |= {"stage": Participant.Stage.DONE, "completed_at": now}
    moved = Participant.objects.filter(
        pk=participant.pk,
        stage=Participant.Stage.TEST,
        next_index=assignment.sequence,
        released_at__isnull=True,
    ).update(**progress)
    return progress if moved else None


# ----------------------------------------------------------------------------- the fast path


@dataclass(frozen=True)
class Readings:
    """What the browser measured with an answer, already bounded (forms.Reading)."""

    rt_ms: float | None = None
    audio_rt_ms: float | None = None
    plays: int = 0
    heard_to_end: bool = False
    fraction_heard: float | None = None
    pauses: int = 0
    hidden_while_playing: bool = False
    client_sent_at: datetime | None = None

    def stored(self) -> dict:
        """The values as the answer row keeps them (the same rules as response_record)."""
        return {
            "rt_ms": non_negative_or_none(self.rt_ms),
            "audio_rt_ms": self.audio_rt_ms,
            "plays": max(0, min(int(self.plays or 0), 1000)),
            "heard_to_end": bool(self.heard_to_end),
            "fraction_heard": self.fraction_heard,
            "pauses": max(0, min(int(self.pauses or 0), 1000)),
            "hidden_while_playing": bool(self.hidden_while_playing),
            "client_sent_at": self.client_sent_at,
        }


@dataclass(frozen=True)
class TakenAnswer:
    """An answer the one statement stored: the participant as it left them, and their next two
    assignments (the next trial and the one its page prefetches)."""

    participant: Participant
    upcoming: list[selectors.ScheduledTrial]


def answer_record_at_once(
    *, token: str, trial_public_id: str, position: int, readings: Readings
) -> TakenAnswer | None:
    """Store one answer in one statement (PostgreSQL) or one short transaction (SQLite).

    None when it was not taken: an unknown token or trial, a position off the screen, not the
    participant's current trial (a repeat), a closed study or an expired session; the caller
    then asks response_record, which gives the stored answer's reply or the reason. The gate is
    the same conditional UPDATE of the participant row as there, so concurrent duplicates still
    end with one stored row.
    """
    facts = selectors.trial_facts_by_public_id(trial_public_id)
    if facts is None or not 0 <= position < len(facts.options):
        return None
    if facts.trial_type == Trial.Type.GROUPING:  # answered by placements: grouping_record
        return None
    values = {
        **readings.stored(),
        "token": token,
        "trial_id": facts.trial_id,
        "position": position,
        "now": timezone.now(),
        "correct": facts.correct_option_ids,
        "minimum_s": facts.minimum_listening_s,
        "tolerance_s": LISTENING_TOLERANCE_S,
        "test": Participant.Stage.TEST,
        "done": Participant.Stage.DONE,
        "live": Study.Status.LIVE,
    }
    if connection.vendor == "postgresql":
        rows = answer_statement_postgresql(values)
    else:
        rows = answer_transaction_sqlite(values)
    if not rows:
        return None
    taken = taken_answer(token, rows)
    if taken.participant.stage == Participant.Stage.DONE and not taken.participant.is_preview:
        study_close_if_complete(study=Study.objects.get(pk=taken.participant.study_id))
    return taken


def taken_answer(token: str, rows: list[tuple]) -> TakenAnswer:
    """rows: (participant id, study id, trial count, is_preview, stage, next index, then the
    sequence, trial public id and option order of one upcoming assignment, or NULLs)."""
    pk, study_id, trial_count, is_preview, stage, next_index = rows[0][:6]
    participant = Participant(
        pk=pk,
        token=token,
        study_id=study_id,
        trial_count=trial_count,
        is_preview=bool(is_preview),
        stage=stage,
        next_index=next_index,
    )
    upcoming = [
        selectors.ScheduledTrial(sequence, str(uuid.UUID(str(public_id))), json_list(option_order))
        for *_, sequence, public_id, option_order in rows
        if sequence is not None
    ]
    return TakenAnswer(participant=participant, upcoming=upcoming)


def json_list(value) -> list[int]:
    return json.loads(value) if isinstance(value, str) else list(value)


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


ANSWER_COLUMNS = (
    "participant_id, trial_id, chosen_id, is_correct, position, sequence, rt_ms, audio_rt_ms, "
    "plays, heard_to_end, fraction_heard, pauses, hidden_while_playing, too_fast, "
    "client_sent_at, received_at"
)
READING_VALUES = (
    "%(rt_ms)s, %(audio_rt_ms)s, %(plays)s, %(heard_to_end)s, %(fraction_heard)s, %(pauses)s, "
    "%(hidden_while_playing)s"
)


def answer_statement_postgresql(values: dict) -> list[tuple]:
    """One CTE: advance the participant (the gate), insert the answer, mark the next trial
    served, and return the next two assignments. Its own transaction (autocommit)."""
    participant, assignment = table(Participant), table(Assignment)
    sql = f"""
    WITH advanced AS (
        UPDATE {participant} AS p SET
            next_index = a.sequence + 1,
            last_seen_at = %(now)s,
            stage = CASE WHEN a.sequence + 1 >= p.trial_count THEN %(done)s ELSE p.stage END,
            completed_at = CASE WHEN a.sequence + 1 >= p.trial_count THEN %(now)s
                           ELSE p.completed_at END
        FROM {assignment} AS a, {table(Study)} AS s
        WHERE p.token = %(token)s AND p.stage = %(test)s AND p.released_at IS NULL
          AND a.participant_id = p.id AND a.trial_id = %(trial_id)s
          AND p.next_index = a.sequence
          AND jsonb_array_length(a.option_order) > %(position)s::int
          AND s.id = p.study_id AND (p.is_preview OR s.status = %(live)s)
        RETURNING p.id, p.study_id, p.trial_count, p.is_preview, p.stage, p.next_index,
            a.sequence, (a.option_order ->> %(position)s::int)::bigint AS chosen_id,
            (s.require_full_listen AND a.served_at IS NOT NULL
             AND EXTRACT(EPOCH FROM (%(now)s - a.served_at))::float8 + %(tolerance_s)s
                 < %(minimum_s)s) AS too_fast
    ), answered AS (
        INSERT INTO {table(Response)} ({ANSWER_COLUMNS})
        SELECT id, %(trial_id)s, chosen_id, chosen_id = ANY(%(correct)s::bigint[]),
            %(position)s, sequence, {READING_VALUES}, too_fast, %(client_sent_at)s, %(now)s
        FROM advanced
    ), served AS (
        UPDATE {assignment} AS n SET served_at = %(now)s FROM advanced
        WHERE n.participant_id = advanced.id AND n.sequence = advanced.sequence + 1
          AND n.served_at IS NULL
    )
    SELECT advanced.id, advanced.study_id, advanced.trial_count, advanced.is_preview,
        advanced.stage, advanced.next_index, u.sequence, t.public_id, u.option_order
    FROM advanced
    LEFT JOIN {assignment} AS u ON u.participant_id = advanced.id
        AND u.sequence IN (advanced.sequence + 1, advanced.sequence + 2)
    LEFT JOIN {table(Trial)} AS t ON t.id = u.trial_id
    ORDER BY u.sequence
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()


def answer_transaction_sqlite(values: dict) -> list[tuple]:
    """SQLite has no data-modifying CTE: the same three writes in one transaction (BEGIN
    IMMEDIATE holds the write lock), the first of them the same conditional UPDATE."""
    participant, assignment = table(Participant), table(Assignment)
    values = {
        **values,
        "now": connection.ops.adapt_datetimefield_value(values["now"]),
        "client_sent_at": connection.ops.adapt_datetimefield_value(values["client_sent_at"]),
        "correct": json.dumps(values["correct"]),
        "path": f"$[{values['position']}]",
    }
    advance = f"""
    UPDATE {participant} SET
        next_index = next_index + 1,
        last_seen_at = %(now)s,
        stage = CASE WHEN next_index + 1 >= trial_count THEN %(done)s ELSE stage END,
        completed_at = CASE WHEN next_index + 1 >= trial_count THEN %(now)s
                       ELSE completed_at END
    WHERE token = %(token)s AND stage = %(test)s AND released_at IS NULL
      AND (is_preview OR EXISTS (SELECT 1 FROM {table(Study)} AS s
                                 WHERE s.id = study_id AND s.status = %(live)s))
      AND next_index = (SELECT a.sequence FROM {assignment} AS a
                        WHERE a.participant_id = {participant}.id AND a.trial_id = %(trial_id)s
                          AND json_array_length(a.option_order) > %(position)s)
    RETURNING id, study_id, trial_count, is_preview, stage, next_index
    """
    record = f"""
    INSERT INTO {table(Response)} ({ANSWER_COLUMNS})
    SELECT a.participant_id, a.trial_id, json_extract(a.option_order, %(path)s),
        json_extract(a.option_order, %(path)s) IN (SELECT value FROM json_each(%(correct)s)),
        %(position)s, a.sequence, {READING_VALUES},
        (s.require_full_listen AND a.served_at IS NOT NULL
         AND (julianday(%(now)s) - julianday(a.served_at)) * 86400.0 + %(tolerance_s)s
             < %(minimum_s)s),
        %(client_sent_at)s, %(now)s
    FROM {assignment} AS a, {table(Study)} AS s
    WHERE a.participant_id = %(participant_id)s AND a.sequence = %(sequence)s
      AND s.id = %(study_id)s
    """
    # One UPDATE marks the next trial served and returns it with the one after (whose row it
    # leaves as it was): a SELECT fewer.
    serve = f"""
    UPDATE {assignment} SET served_at = CASE WHEN sequence = %(next)s
                                         THEN COALESCE(served_at, %(now)s) ELSE served_at END
    WHERE participant_id = %(participant_id)s AND sequence IN (%(next)s, %(next)s + 1)
    RETURNING sequence, (SELECT t.public_id FROM {table(Trial)} AS t WHERE t.id = trial_id),
        option_order
    """
    # No savepoint: outermost this is BEGIN IMMEDIATE ... COMMIT; inside a caller's atomic block
    # a failure here fails that block too.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(advance, values)
        advanced = cursor.fetchone()
        if advanced is None:
            return []
        pk, study_id, *_, next_index = advanced
        place = {"participant_id": pk, "study_id": study_id, "next": next_index}
        cursor.execute(record, {**values, **place, "sequence": next_index - 1})
        cursor.execute(serve, {**values, **place})
        upcoming = sorted(cursor.fetchall())
    return [(*advanced, *row) for row in upcoming] or [(*advanced, None, None, None)]
