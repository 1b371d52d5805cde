"""Writes. Every change to the experiment domain goes through a function here."""

import logging
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from studies import colour_vision, flow, headphones, selectors
from studies.assignment import choose_trials, counterbalanced_order
from studies.designs import DesignError, design_for, model_kinds, needs_model
from studies.errors import Conflict, InvalidInput, NotAllowed, StudyFull
from studies.models import (
    Assignment,
    GenerationJob,
    Participant,
    Phase,
    Response,
    Study,
    Trial,
)

logger = logging.getLogger(__name__)

GENDERS = ("female", "male", "non_binary", "other", "prefer_not_to_say")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+", "prefer_not_to_say")
MUSICAL_LEVELS = ("amateur", "intermediate", "professional")


def study_create(
    *,
    name: str,
    kind: str,
    design_params: dict | None = None,
    seed: int = 0,
    raters_per_trial: int = 20,
    trials_per_participant: int | None = None,
    require_full_listen: bool = True,
    upload: File | None = None,
    created_by=None,
) -> Study:
    design = design_for(kind)
    try:
        params = design.Params.from_dict(design_params or {})
    except DesignError as error:
        raise InvalidInput(
            "The design parameters are not valid.", problems=error.problems
        ) from error
    if upload is not None:
        check_upload_structure(kind=kind, upload=upload)
    study = Study(
        name=name,
        kind=kind,
        design_params={k: v for k, v in vars(params).items() if v is not None},
        seed=seed,
        raters_per_trial=raters_per_trial,
        trials_per_participant=trials_per_participant,
        require_full_listen=require_full_listen,
        created_by=created_by,
    )
    if upload is not None:
        upload.seek(0)
        study.source_upload.save("set.zip", upload, save=False)
    study.save()
    return study


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


def study_generate(*, study: Study) -> GenerationJob:
    """Queue the build of a draft study's stimuli and trials; the worker starts after commit."""
    with transaction.atomic():
        claimed = Study.objects.filter(pk=study.pk, status=Study.Status.DRAFT).update(
            status=Study.Status.GENERATING, build_problems=[]
        )
        if not claimed:
            raise Conflict(f"The study is {study.status}; only a draft can be generated.")
        job = GenerationJob.objects.create(study=study)
        transaction.on_commit(lambda: generation_job_send(job))
    study.refresh_from_db()
    return job


def generation_job_send(job: GenerationJob) -> None:
    """The job's next task: the model stage (`gpu` queue) until it is done, then the build."""
    from workers.tasks import stimuli_prepare_task, study_build_task

    if needs_model(job.study.kind) and job.prepared is None:
        stimuli_prepare_task.delay(job.pk)
    else:
        study_build_task.delay(job.pk)


def generation_job_prepare(*, job_id: int) -> GenerationJob | None:
    """Claim a queued job whose study needs a model, run the model stage, queue the build.

    The result is stored on the job and the job queued again in one UPDATE, so a worker killed
    here leaves the job claimable for the next one (after its lease), never half-prepared.
    """
    claimed = GenerationJob.objects.filter(
        claimable_jobs(), pk=job_id, prepared__isnull=True
    ).update(
        status=GenerationJob.Status.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now()
    )
    if not claimed:
        logger.info("generation job %s is prepared or finished; nothing to do", job_id)
        return None
    job = GenerationJob.objects.select_related("study").get(pk=job_id)
    try:
        prepared = design_for(job.study.kind).prepare(study=job.study)
    except DesignError as error:
        return generation_job_fail(job=job, problems=error.problems)
    except Exception as error:  # noqa: BLE001 - any crash must reach the researcher, not vanish
        logger.exception("generation job %s crashed while preparing", job_id)
        return generation_job_fail(job=job, problems=[f"Unexpected error: {error!r}"])
    with transaction.atomic():
        GenerationJob.objects.filter(pk=job_id, status=GenerationJob.Status.RUNNING).update(
            prepared=prepared,
            status=GenerationJob.Status.QUEUED,
            progress=0.5,
            message="Melodies made; rendering.",
        )
        job.refresh_from_db()
        transaction.on_commit(lambda: generation_job_send(job))
    return job


def generation_job_run(*, job_id: int) -> GenerationJob | None:
    """Claim a queued job and build its study. Safe to call twice: only one caller builds.

    A job left `running` by a killed worker is claimed again on redelivery (acks_late), and the
    build itself runs in one transaction, so a crash leaves nothing half-created. A job whose
    model stage has not run yet is not claimed here.
    """
    waiting_for_model = Q(prepared__isnull=True, study__kind__in=model_kinds())
    claimed = (
        GenerationJob.objects.filter(claimable_jobs(), pk=job_id)
        .exclude(waiting_for_model)
        .update(
            status=GenerationJob.Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=timezone.now(),
        )
    )
    if not claimed:
        logger.info("generation job %s is finished or not prepared; nothing to do", job_id)
        return None
    job = GenerationJob.objects.select_related("study").get(pk=job_id)
    try:
        study_build(study=job.study, job=job)
    except DesignError as error:
        return generation_job_fail(job=job, problems=error.problems)
    except Exception as error:  # noqa: BLE001 - any crash must reach the researcher, not vanish
        logger.exception("generation job %s crashed", job_id)
        return generation_job_fail(job=job, problems=[f"Unexpected error: {error!r}"])
    return job


def claimable_jobs() -> Q:
    """Queued jobs, and running ones whose lease ran out (their worker died)."""
    stale = timezone.now() - timedelta(seconds=settings.SYNLAB_JOB_LEASE_S)
    return Q(status=GenerationJob.Status.QUEUED) | Q(
        status=GenerationJob.Status.RUNNING, started_at__lt=stale
    )


def generation_jobs_requeue_lost() -> list[int]:
    """Send again the jobs whose message or worker was lost; called when a worker starts."""
    stale = timezone.now() - timedelta(seconds=settings.SYNLAB_JOB_LEASE_S)
    lost = list(
        GenerationJob.objects.filter(claimable_jobs(), created_at__lt=stale).values_list(
            "pk", flat=True
        )
    )
    for job in GenerationJob.objects.filter(pk__in=lost).select_related("study"):
        generation_job_send(job)
    return lost


def study_build(*, study: Study, job: GenerationJob) -> None:
    """Build the study's trials; the study turns ready and the job succeeds in one commit."""
    with transaction.atomic():
        locked = Study.objects.select_for_update().get(pk=study.pk)
        if locked.status != Study.Status.GENERATING:
            raise DesignError([f"The study is {locked.status}, not generating."])
        if Phase.objects.filter(study=locked).exists():
            raise DesignError(["The study already has phases; it was built before."])
        remove_study_stimulus_files(locked)  # leftovers of a build whose worker was killed
        try:
            design_build(study=locked, job=job)
        except BaseException:
            transaction.set_rollback(True)
            remove_study_stimulus_files(locked)
            raise
        locked.status = Study.Status.READY
        locked.build_problems = []
        locked.save(update_fields=["status", "build_problems"])
        job.status = GenerationJob.Status.SUCCEEDED
        job.progress = 1.0
        job.finished_at = timezone.now()
        job.message = "Built."
        job.save(update_fields=["status", "progress", "finished_at", "message"])


def design_build(*, study: Study, job: GenerationJob) -> None:
    design = design_for(study.kind)
    if needs_model(study.kind):
        design.build(study=study, prepared=job.prepared)
    else:
        design.build(study=study)


def remove_study_stimulus_files(study: Study) -> None:
    folder = Path(settings.MEDIA_ROOT) / "studies" / str(study.uuid) / "stimuli"
    shutil.rmtree(folder, ignore_errors=True)


def generation_job_fail(*, job: GenerationJob, problems: list[str]) -> GenerationJob:
    with transaction.atomic():
        job.status = GenerationJob.Status.FAILED
        job.problems = problems
        job.message = f"{len(problems)} problem(s); the study is back to draft."
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "problems", "message", "finished_at"])
        Study.objects.filter(pk=job.study_id, status=Study.Status.GENERATING).update(
            status=Study.Status.DRAFT, build_problems=problems
        )
    return job


def study_publish(*, study: Study) -> Study:
    changed = Study.objects.filter(pk=study.pk, status=Study.Status.READY).update(
        status=Study.Status.LIVE, published_at=timezone.now()
    )
    study.refresh_from_db()
    if not changed:
        raise Conflict(
            f"The study is {study.status}; only a fully generated (ready) study can go live."
        )
    return study


def study_close(*, study: Study) -> Study:
    changed = Study.objects.filter(pk=study.pk, status=Study.Status.LIVE).update(
        status=Study.Status.CLOSED, closed_at=timezone.now()
    )
    study.refresh_from_db()
    if not changed:
        raise Conflict(f"The study is {study.status}; only a live study can be closed.")
    return study


def participant_enroll(
    *,
    study: Study,
    prolific_pid: str = "",
    prolific_study_id: str = "",
    prolific_session_id: str = "",
    label: str = "",
    user_agent: str = "",
    is_preview: bool = False,
) -> Participant:
    """Enrol a participant with a balanced, seeded trial list; a known Prolific id resumes."""
    if not is_preview and study.status != Study.Status.LIVE:
        raise NotAllowed(_("This study is not open."))
    if prolific_pid:
        existing = Participant.objects.filter(study=study, prolific_pid=prolific_pid).first()
        if existing:
            return existing
    participant = Participant(
        study=study,
        prolific_pid=prolific_pid[:64],
        prolific_study_id=prolific_study_id[:64],
        prolific_session_id=prolific_session_id[:64],
        label=label[:100],
        user_agent=user_agent[:400],
        is_preview=is_preview,
    )
    try:
        with transaction.atomic():
            # One enrolment at a time per study, so quotas are never overshot.
            Study.objects.select_for_update().filter(pk=study.pk).first()
            participants_release_abandoned(study=study)
            plan = assignment_plan(participant)
            participant.trial_count = len(plan)
            participant.save()
            Assignment.objects.bulk_create(
                Assignment(participant=participant, **assignment) for assignment in plan
            )
    except IntegrityError:
        # The same Prolific id arrived twice at once: the other request won; resume theirs.
        return Participant.objects.get(study=study, prolific_pid=prolific_pid)
    return participant


def assignment_plan(participant: Participant) -> list[dict]:
    """Trials (least covered first), plus every catch trial, with counterbalanced options."""
    study = participant.study
    trials = {
        trial.pk: trial
        for trial in Trial.objects.filter(phase__study=study, phase__kind=Phase.Kind.TEST)
        .order_by("phase__order", "order")
        .prefetch_related("options")
    }
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
        raise StudyFull(study_full_message(study.abandon_after_minutes))
    for catch_id in catch_ids:  # mixed in at random places, never first
        chosen.insert(rng.randint(1, len(chosen)), catch_id)
    return [
        {
            "trial": trials[trial_id],
            "sequence": sequence,
            "rater_index": raters.get(trial_id, 0),
            "option_order": counterbalanced_order(
                option_ids=[option.pk for option in trials[trial_id].options.all()],
                rater_index=raters.get(trial_id, 0),
                trial_seed=f"{study.seed}:{trial_id}",
            ),
        }
        for sequence, trial_id in enumerate(chosen)
    ]


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
    return bool(
        Study.objects.filter(pk=study.pk, status=Study.Status.LIVE).update(
            status=Study.Status.CLOSED, closed_at=timezone.now()
        )
    )


def study_full_message(minutes: int) -> str:
    return ngettext(
        "All places in this study are taken at the moment. Places free up when someone leaves "
        "without finishing: please try again in %(minutes)d minute.",
        "All places in this study are taken at the moment. Places free up when someone leaves "
        "without finishing: please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def participant_save_demographics(
    *, participant: Participant, gender: str, age_band: str, musical_level: str
) -> Participant:
    problems = []
    if gender not in GENDERS:
        problems.append(_("Please choose a gender option."))
    if age_band not in AGE_BANDS:
        problems.append(_("Please choose an age band."))
    if musical_level not in MUSICAL_LEVELS:
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


def participant_flag(*, participant: Participant, reason: str) -> None:
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if reason not in locked.flags:
            locked.flags = [*locked.flags, reason]
            locked.save(update_fields=["flags"])


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
) -> RecordedAnswer:
    """Store one answer. The same answer sent twice is stored once and gets the same reply.

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
    return RecordedAnswer(response=response, created=True)


def non_negative_or_none(milliseconds: float | None) -> float | None:
    """A reaction time the browser measured; a negative one (a clock that jumped) is unknown."""
    return milliseconds if milliseconds is not None and milliseconds >= 0 else None


def refused_answer(participant: Participant, assignment: Assignment) -> Response:
    """The stored answer for a repeated submit; otherwise the reason no answer is taken."""
    existing = Response.objects.filter(
        participant_id=participant.pk, trial_id=assignment.trial_id
    ).first()
    if existing:
        return existing
    participant.refresh_from_db()
    if participant.released_at is not None:
        raise NotAllowed(_("This session has expired; its tasks went to other participants."))
    if not participant.is_preview and participant.study.status != Study.Status.LIVE:
        raise NotAllowed(_("This study has closed; no more answers are taken."))
    if participant.stage != Participant.Stage.TEST:
        raise Conflict(_("Answers are not being taken at this point of the study."))
    raise Conflict(_("This is not the current trial; please continue where you are."))
