"""Model runs: queue them, claim them once (`studies.jobs`), call `modeling` (Django-free), record
the outcome.

Torch is imported only inside the worker's call to `modeling_call`, never by the web process.
"""

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction

from modeling.runs import RunKind, RunRequest, run_kind
from studies import jobs, services
from studies.designs import design_for
from studies.errors import InvalidInput
from studies.models import ModelRun
from workers import queueing

logger = logging.getLogger(__name__)
PROGRESS_EVERY_S = 2.0


def model_run_create(
    *, name: str, kind: str, params: dict | None = None, parent: ModelRun | None = None
) -> ModelRun:
    """Check the request, store it, and queue the training once the row is committed."""
    params = dict(params or {})
    problems = model_run_problems(kind=kind, params=params, parent=parent)
    if problems:
        raise InvalidInput("The model run cannot start.", problems=problems)
    with transaction.atomic():
        run = ModelRun.objects.create(name=name, kind=kind, params=params, parent=parent)
        transaction.on_commit(lambda: queueing.model_train_send(run.pk))
    return run


def study_create_from_model_run(*, run: ModelRun, created_by=None):
    """A draft study of the kind this trained run generates stimuli for (e.g. SynVAE matching)."""
    declared = run_kind(run.kind)
    if declared is None or declared.study_kind is None:
        raise InvalidInput(f"{run.name}: runs of this kind do not generate studies.")
    if run.status != ModelRun.Status.SUCCEEDED:
        raise InvalidInput(f"{run.name}: only a succeeded run can generate a study.")
    return services.study_create(
        name=f"{design_for(declared.study_kind).LABEL}: {run.name}",
        kind=declared.study_kind,
        design_params=declared.study_params(run.params, run.pk),
        seed=int(run.params.get("seed", 0)),
        created_by=created_by,
    )


def model_run_problems(*, kind: str, params: dict, parent: ModelRun | None) -> list[str]:
    """Everything wrong with a request, one sentence each; fills in the defaults of `params`."""
    declared = run_kind(kind)
    if declared is None:
        return [f"Unknown model kind {kind!r}."]
    problems = []
    if params.setdefault("preset", declared.default_preset) not in declared.presets:
        problems.append(f"Preset must be one of {', '.join(declared.presets)}.")
    seed = params.setdefault("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        problems.append("The seed must be a whole number from 0 to 2147483647.")
    problems += parent_problems(declared, parent)
    return problems + declared.check(params)


def parent_problems(declared: RunKind, parent: ModelRun | None) -> list[str]:
    if declared.parent_kind is None:
        return [] if parent is None else [f"A {declared.label} run builds on no other run."]
    wanted = run_kind(declared.parent_kind)
    if parent is None or parent.kind != declared.parent_kind:
        return [f"A {declared.label} run needs a trained {wanted.label} run as its parent."]
    if parent.status != ModelRun.Status.SUCCEEDED:
        return [f"The parent {wanted.label} run is {parent.status}, not succeeded."]
    return []


def model_run_execute(*, run_id: int) -> ModelRun | None:
    """Claim the run (only one worker wins), train while its heartbeat holds the lease, record
    the outcome. None when the run is not claimable or another worker took it over."""
    run = jobs.job_claim(ModelRun, pk=run_id)
    if run is None:
        logger.info("model run %s is running or finished; nothing to do", run_id)
        return None
    folder = model_run_outputs(run)
    try:
        with jobs.Heartbeat(run) as heartbeat:
            writer = progress_writer(run, heartbeat)
            outcome = modeling_call(run, folder=folder, on_progress=writer)
            heartbeat.check()
    except jobs.JobLost:
        logger.warning("model run %s was taken over by another worker; stopped", run_id)
        return None
    except Exception as error:  # noqa: BLE001 - the researcher must see every failure
        logger.exception("model run %s failed", run_id)
        return model_run_finish(run, status=ModelRun.Status.FAILED, message=failure_text(error))
    return model_run_finish(
        run,
        status=ModelRun.Status.SUCCEEDED,
        message="Trained.",
        metrics=outcome["metrics"],
        checkpoint=outcome["checkpoint"],
    )


def model_run_outputs(run: ModelRun) -> Path:
    """An empty folder for this attempt's files, MEDIA_ROOT/models/<uuid>.

    A dead attempt's files (an intermediate or half-written checkpoint) are removed first:
    `modeling_call` starts every attempt at step 0 and never resumes from them.
    """
    folder = Path(settings.MEDIA_ROOT) / "models" / str(run.uuid)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def model_runs_requeue_lost() -> list[int]:
    """Send again the runs whose worker or message was lost (each worker's periodic sweep)."""
    lost = jobs.jobs_take_back(ModelRun)
    for run_id in lost:
        queueing.model_train_send(run_id)
    return lost


def failure_text(error: Exception) -> str:
    kind = type(error).__name__
    if kind in ("TrainingDiverged", "CheckpointError", "ValueError"):
        return f"{kind}: {error}"
    return f"Unexpected error: {error!r}"


def modeling_call(run: ModelRun, *, folder: Path, on_progress) -> dict:
    """Train with the run kind's family code (which imports torch only now, in the worker)."""
    request = RunRequest(
        params=dict(run.params),
        folder=folder,
        parent_checkpoint=run.parent.checkpoint if run.parent else None,
        on_progress=on_progress,
    )
    return run_kind(run.kind).train(request)


def progress_writer(run: ModelRun, heartbeat: jobs.Heartbeat):
    """A callback for `modeling` that stores progress at most every few seconds, and stops the
    training (JobLost) once another worker has taken the run over."""
    last = {"at": 0.0}

    def write(record: dict) -> None:
        heartbeat.check()
        now = time.monotonic()
        if now - last["at"] < PROGRESS_EVERY_S:
            return
        last["at"] = now
        step, total = record.get("step"), record.get("total_steps")
        fraction = step / total if step and total else None
        summary = {k: v for k, v in record.items() if isinstance(v, int | float | str)}
        updates = {"metrics": {"progress": summary}}
        if isinstance(fraction, int | float):
            updates["progress"] = max(0.0, min(1.0, float(fraction)))
        jobs.job_held(run).update(**updates)

    return write


def model_run_finish(
    run: ModelRun, *, status: str, message: str, metrics=None, checkpoint=""
) -> ModelRun | None:
    """Record the attempt's outcome; None when another worker took the run over meanwhile."""
    fields = {"checkpoint": checkpoint}
    if metrics is not None:
        fields["metrics"] = metrics
    if not jobs.job_finish(run, status=status, message=message, **fields):
        logger.warning("model run %s was taken over; this attempt's outcome is dropped", run.pk)
        return None
    return run
