"""Writes. Every change to the experiment domain goes through a function here, in
enrolment.py (who takes part, with which trials; places given back; resuming elsewhere) or in
answering.py for the answer path (a trial shown, an answer stored once)."""

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from studies import colour_vision, flow, headphones
from studies.designs import DesignError, StudyPlan, TrialPlan, design_for
from studies.errors import Conflict, InvalidInput, NotFound
from studies.models import (
    Assignment,
    AuditEvent,
    Participant,
    Phase,
    Response,
    Stimulus,
    Study,
    Trial,
    TrialOption,
    TrialReference,
)
from studies.reports import exclusion_rules_problems

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Problems about these fields are whole sentences already; others are prefixed with the field.
SELF_EXPLAINING_FIELDS = ("kind", "design_params", NON_FIELD_ERRORS)
# What a researcher may give or change besides the design (the translations: study_texts.py).
CHANGEABLE_FIELDS = ("name", *Study.SETTINGS_FIELDS, *Study.TEXT_FIELDS, "translations")


def study_create(
    *,
    name: str,
    kind: str,
    design_params: dict | None = None,
    seed: int = 0,
    upload: File | None = None,
    created_by=None,
    **settings,
) -> Study:
    """A draft study. `settings`: any of Study.SETTINGS_FIELDS, Study.TEXT_FIELDS and
    `translations`; what is not given keeps the model's default."""
    unknown = set(settings) - set(CHANGEABLE_FIELDS)
    if unknown:
        raise TypeError(f"study_create() got unknown settings: {', '.join(sorted(unknown))}")
    study = Study(
        name=name,
        kind=kind,
        design_params=design_params or {},
        seed=seed,
        created_by=created_by,
        **settings,
    )
    study_validate(study)
    if upload is not None:
        check_upload_structure(kind=kind, upload=upload)
        upload.seek(0)
        study.source_upload.save("set.zip", upload, save=False)
    study.save()
    return study


def study_update(*, study: Study, changes: dict) -> Study:
    """Change a study's name, settings or participant texts; its design is fixed once created."""
    fixed = sorted(set(changes) - set(CHANGEABLE_FIELDS))
    if fixed:
        raise InvalidInput(f"Fixed once the study is created: {', '.join(fixed)}.")
    for name, value in changes.items():
        setattr(study, name, value)
    study_validate(study)
    if changes:
        study.save(update_fields=list(changes))
    return study


def study_validate(study: Study) -> None:
    """The field rules, Study.clean() and the exclusion rules, every problem one sentence, as
    InvalidInput."""
    problems = []
    try:
        study.full_clean(exclude=["created_by", "source_upload"], validate_unique=False)
    except ValidationError as error:
        problems = [
            message if field in SELF_EXPLAINING_FIELDS else f"{field}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    problems += exclusion_rules_problems(study.exclusion_rules)
    if problems:
        raise InvalidInput("The study settings are not valid.", problems=problems)


def check_upload_structure(*, kind: str, upload: File) -> None:
    """Fast checks (zip, manifest, file names) so a researcher hears about mistakes at once."""
    design = design_for(kind)
    if not hasattr(design, "inspect_upload"):
        raise InvalidInput(f"Studies of kind {kind!r} are not built from an upload.")
    upload.seek(0)
    try:
        design.inspect_upload(upload, check_media=False)
    except DesignError as error:
        raise InvalidInput("The uploaded set has problems.", problems=error.problems) from error
    finally:
        upload.seek(0)


def study_replace_upload(*, study: Study, upload: File) -> Study:
    if study.status not in (Study.Status.DRAFT,):
        raise Conflict("Only a draft study can take a new upload.")
    check_upload_structure(kind=study.kind, upload=upload)
    study.source_upload.save("set.zip", upload, save=False)
    study.build_problems = []
    study.save(update_fields=["source_upload", "build_problems"])
    return study


# A build writes its rows in steps of at most this many, each its own short transaction.
ROWS_PER_STEP = 500


def study_plan_create(
    *,
    study: Study,
    plan: StudyPlan,
    stimuli: Sequence[Stimulus] = (),
    step_check: Callable[[], None] = lambda: None,
) -> None:
    """The stimuli's rows, then phases, trials and options as the design planned them.

    Written in steps of at most ROWS_PER_STEP rows, each its own short transaction that first
    calls `step_check` (a build's "do I still hold my job?"), so that even a large study never
    holds the database for long: SQLite locks all of it for every write, and participants'
    answers to other studies would wait. The caller makes the rows count (the study turns
    ready) or removes them (study_rows_remove).
    """
    missing = sorted(plan.stimulus_keys() - {stimulus.key for stimulus in stimuli})
    if missing:
        raise DesignError([f"The plan names stimuli that were not stored: {', '.join(missing)}."])
    for batch in batched(stimuli, ROWS_PER_STEP):
        in_step(step_check, lambda batch=batch: Stimulus.objects.bulk_create(batch))
    ids = {stimulus.key: stimulus.pk for stimulus in stimuli}
    for phase_order, phase_plan in enumerate(plan.phases):
        phase = in_step(
            step_check,
            lambda phase_order=phase_order, phase_plan=phase_plan: Phase.objects.create(
                study=study, kind=phase_plan.kind, order=phase_order, title=phase_plan.title
            ),
        )
        widest = max(
            (len(trial.options) + len(trial.references) for trial in phase_plan.trials), default=0
        )
        per_step = max(1, ROWS_PER_STEP // (1 + widest))
        for batch in batched(enumerate(phase_plan.trials), per_step):
            in_step(step_check, lambda batch=batch, phase=phase: trials_create(phase, batch, ids))


def trials_create(phase: Phase, numbered: Sequence[tuple[int, TrialPlan]], ids: dict) -> None:
    rows = Trial.objects.bulk_create(
        Trial(
            phase=phase,
            order=order,
            trial_type=trial.trial_type,
            prompt_id=ids[trial.prompt],
            class_label=trial.class_label,
            condition=trial.condition,
            is_catch=trial.is_catch,
        )
        for order, trial in numbered
    )
    TrialOption.objects.bulk_create(
        TrialOption(
            trial=row,
            stimulus_id=None if option.stimulus is None else ids[option.stimulus],
            label=option.label,
            order=order,
            is_correct=option.is_correct,
            identity=option.identity,
        )
        for row, (_, trial) in zip(rows, numbered, strict=True)
        for order, option in enumerate(trial.options)
    )
    TrialReference.objects.bulk_create(
        TrialReference(trial=row, stimulus_id=ids[key], order=order)
        for row, (_, trial) in zip(rows, numbered, strict=True)
        for order, key in enumerate(trial.references)
    )


def study_rows_remove(*, study: Study, step_check: Callable[[], None] = lambda: None) -> None:
    """Remove a build's rows (options, trials, phases, stimuli), in steps like they were made."""
    trials = Trial.objects.filter(phase__study=study)
    while ids := list(trials.values_list("pk", flat=True)[:ROWS_PER_STEP]):
        in_step(step_check, lambda ids=ids: trials_remove(ids))
    in_step(step_check, lambda: Phase.objects.filter(study=study).delete())
    stimuli = Stimulus.objects.filter(study=study)
    while ids := list(stimuli.values_list("pk", flat=True)[:ROWS_PER_STEP]):
        in_step(step_check, lambda ids=ids: Stimulus.objects.filter(pk__in=ids).delete())


def trials_remove(ids: list[int]) -> None:
    TrialOption.objects.filter(trial_id__in=ids).delete()
    Trial.objects.filter(pk__in=ids).delete()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """itertools.batched (Python 3.12) for 3.11."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def in_step(step_check: Callable[[], None], write: Callable[[], T]) -> T:
    with transaction.atomic():
        step_check()
        return write()


def study_publish(*, study: Study) -> Study:
    return study_transition(
        study=study,
        source=Study.Status.READY,
        target=Study.Status.LIVE,
        refusal="only a fully generated (ready) study can go live",
    )


def study_close(*, study: Study) -> Study:
    return study_transition(
        study=study,
        source=Study.Status.LIVE,
        target=Study.Status.CLOSED,
        refusal="only a live study can be closed",
    )


def study_transition(*, study: Study, source: str, target: str, refusal: str) -> Study:
    """Move the study on, or say why not (its current status and `refusal`)."""
    moved = study_move(study=study, source=source, target=target)
    study.refresh_from_db()
    if not moved:
        raise Conflict(f"The study is {study.status}; {refusal}.")
    return study


STATUS_STAMPS = {Study.Status.LIVE: "published_at", Study.Status.CLOSED: "closed_at"}


def study_move(*, study: Study, source: str, target: str) -> bool:
    """One status step as one conditional UPDATE; False if the study was not in `source`."""
    stamp = {STATUS_STAMPS[target]: timezone.now()} if target in STATUS_STAMPS else {}
    return bool(Study.objects.filter(pk=study.pk, status=source).update(status=target, **stamp))


TOUCH_EVERY_S = 60


def participant_touch(*, participant: Participant) -> None:
    """Note that the participant is still there (at most once a minute: it costs a write)."""
    now = timezone.now()
    if (now - participant.last_seen_at).total_seconds() >= TOUCH_EVERY_S:
        Participant.objects.filter(pk=participant.pk).update(last_seen_at=now)
        participant.last_seen_at = now


def study_close_if_complete(*, study: Study) -> bool:
    """Close a live study once every test trial has its quota of answers from active raters."""
    answered = dict(
        Response.objects.filter(
            trial__phase__study=study,
            participant__is_preview=False,
            participant__released_at__isnull=True,
        )
        .values_list("trial_id")
        .annotate(n=Count("pk"))
    )
    trial_ids = Trial.objects.filter(
        phase__study=study, phase__kind=Phase.Kind.TEST, is_catch=False
    ).values_list("pk", flat=True)
    if any(answered.get(t, 0) < study.raters_per_trial for t in trial_ids):
        return False
    return study_move(study=study, source=Study.Status.LIVE, target=Study.Status.CLOSED)


def participant_save_demographics(
    *, participant: Participant, gender: str, age_band: str, musical_level: str
) -> Participant:
    problems = []
    if gender not in Participant.Gender.values:
        problems.append(_("Please choose a gender option."))
    if age_band not in Participant.AgeBand.values:
        problems.append(_("Please choose an age band."))
    if musical_level not in Participant.MusicalLevel.values:
        problems.append(_("Please choose your musical level."))
    if problems:
        raise InvalidInput(_("Some answers are missing."), problems=problems)
    Participant.objects.filter(pk=participant.pk, stage=Participant.Stage.DEMOGRAPHICS).update(
        gender=gender,
        age_band=age_band,
        musical_level=musical_level,
        stage=flow.stage_after(participant, Participant.Stage.DEMOGRAPHICS),
    )
    participant.refresh_from_db()
    return participant


def participant_advance(*, participant: Participant, from_stage: str, to_stage: str) -> Participant:
    """Move on from a stage; a repeated or stale submit (reload, back button) changes nothing."""
    Participant.objects.filter(pk=participant.pk, stage=from_stage).update(stage=to_stage)
    participant.refresh_from_db()
    return participant


def screening_secret(participant: Participant) -> str:
    return salted_hmac("synlab.headphones", participant.token, algorithm="sha256").hexdigest()


def participant_submit_screening(
    *, participant: Participant, answers: dict[str, dict[int, int]]
) -> Participant:
    """Score both headphone tests; pass both to go on, otherwise leave politely (screened out)."""
    secret = screening_secret(participant)
    scores = {
        test: headphones.score(secret=secret, test=test, answers=answers.get(test, {}))
        for test in headphones.TESTS
    }
    passed = all(value >= participant.study.headphone_pass_mark for value in scores.values())
    return screening_finish(
        participant=participant, stage=Participant.Stage.SCREENING, scores=scores, passed=passed
    )


def participant_submit_colour_check(*, participant: Participant, answers: list[str]) -> Participant:
    """All plates must be read right; the digits are derived from the participant's secret."""
    correct = colour_vision.score(secret=screening_secret(participant), answers=answers)
    scores = {**participant.screening_scores, "colour_plates": correct}
    return screening_finish(
        participant=participant,
        stage=Participant.Stage.COLOUR_CHECK,
        scores=scores,
        passed=correct == colour_vision.PLATES,
    )


def screening_finish(
    *, participant: Participant, stage: str, scores: dict, passed: bool
) -> Participant:
    """Go on after a passed check; after a failed one leave politely and free the trials."""
    next_stage = flow.stage_after(participant, stage) if passed else Participant.Stage.SCREENED_OUT
    Participant.objects.filter(pk=participant.pk, stage=stage).update(
        screening_scores=scores, stage=next_stage
    )
    participant.refresh_from_db()
    if not passed:
        Participant.objects.filter(pk=participant.pk).update(released_at=timezone.now())
    return participant


def participant_flag(*, participant: Participant, reason: str) -> None:
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if reason not in locked.flags:
            locked.flags = [*locked.flags, reason]
            locked.save(update_fields=["flags"])


@dataclass(frozen=True)
class Removal:
    """What a withdrawal or a study's deletion removed (counts: what the audit log keeps)."""

    reference: str  # "P17" for a participant, the study's label for a study
    answers: int
    places_freed: int = 0


def participant_withdraw(*, participant: Participant, by) -> Removal:
    """A participant's data removed on their request: their answers, assignments and the row
    with every personal field (Prolific ids, demographics, browser), in one transaction, with
    an audit entry naming them only by their export pseudonym.

    Under the study's lock, as enrolment plans: the places they held stop counting at once
    (enrolment.active_raters_per_trial counts assignments that exist, as it leaves out an
    abandoned session's), so on a live study newcomers take them and quotas stay exact. Rows
    are deleted in the database, never loaded: a stored value Python cannot read (a client
    time of year 10000) is removed like any other.
    """
    with transaction.atomic():
        study = Study.objects.select_for_update().get(pk=participant.study_id)
        rows = Participant.objects.filter(pk=participant.pk)
        state = rows.values("is_preview", "released_at").first()
        if state is None:
            raise NotFound("This participant has already been withdrawn.")
        rater = not state["is_preview"] and state["released_at"] is None
        freed = Assignment.objects.filter(participant__in=rows).count() if rater else 0
        answers = participant_data_remove(rows)
        removal = Removal(reference=f"P{participant.pk}", answers=answers, places_freed=freed)
        audit_record(
            action=AuditEvent.Action.PARTICIPANT_WITHDRAWN,
            by=by,
            study=study,
            participant_ref=removal.reference,
            details={"answers_removed": answers, "places_freed": freed},
        )
    return removal


def participant_data_remove(participants) -> int:
    """Delete these participants with their answers and assignments, and the admin history
    entries that name them; returns the number of answers removed."""
    answers = Response.objects.filter(participant__in=participants)
    log_entries_forget(Response, answers.values_list("pk", flat=True))
    log_entries_forget(Participant, participants.values_list("pk", flat=True))
    removed, _ = answers.delete()
    Assignment.objects.filter(participant__in=participants).delete()
    participants.delete()
    return removed


def log_entries_forget(model, pks) -> None:
    """The admin's history keeps each row's name (a participant's is their Prolific id)."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in pks],
    ).delete()


def study_delete(*, study: Study, by) -> Removal:
    """Delete a study with all it holds: answers and participants (one transaction, audited),
    then trials and stimuli in short steps as a build writes them, the files, the study. A study
    being generated is refused (its worker is writing); a live one is closed first, so nobody
    enters while it goes, and a deletion cut short can simply be repeated."""
    from studies.generation import study_build_remove  # generation imports this module

    with transaction.atomic():
        locked = Study.objects.select_for_update().filter(pk=study.pk).first()
        if locked is None:
            raise NotFound("This study has already been deleted.")
        if locked.status == Study.Status.GENERATING:
            raise Conflict("The study is being generated; delete it once its job has finished.")
        study_move(study=locked, source=Study.Status.LIVE, target=Study.Status.CLOSED)
        participants = Participant.objects.filter(study=locked)
        n_participants = participants.count()
        answers = participant_data_remove(participants)
        removal = Removal(reference=f"{locked.name} (#{locked.pk})", answers=answers)
        audit_record(
            action=AuditEvent.Action.STUDY_DELETED,
            by=by,
            study=locked,
            details={"answers_removed": answers, "participants_removed": n_participants},
        )
    study_build_remove(study=locked, step_check=lambda: None)
    if locked.source_upload:
        locked.source_upload.delete(save=False)
    Study.objects.filter(pk=locked.pk).delete()
    return removal


def audit_record(*, action: str, by, study: Study, participant_ref: str = "", details: dict):
    return AuditEvent.objects.create(
        action=action,
        actor=by,
        actor_name=by.get_username() if by else "",
        study=study,
        study_label=f"{study.name} (#{study.pk})",
        participant_ref=participant_ref,
        details=details,
    )
