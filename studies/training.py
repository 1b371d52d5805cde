"""Model runs: queue them, claim them once, call `modeling` (Django-free), record the outcome.

Torch is imported only inside the worker's call to `modeling_call`, never by the web process.
"""

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from studies.errors import InvalidInput
from studies.models import ModelRun

logger = logging.getLogger(__name__)
PRESETS = {
    ModelRun.Kind.MUSICVAE: ("tiny", "cpu_demo", "small", "big"),
    ModelRun.Kind.SYNVAE: ("tiny", "cpu_demo", "paper"),
    ModelRun.Kind.BETA_GRID: ("tiny", "cpu_demo", "paper"),
}
DATASETS = ("digits", "mnist")
PROGRESS_EVERY_S = 2.0


def model_run_create(
    *, name: str, kind: str, params: dict | None = None, parent: ModelRun | None = None
) -> ModelRun:
    """Check the request, store it, and queue the training once the row is committed."""
    from workers.tasks import model_train_task

    params = dict(params or {})
    problems = model_run_problems(kind=kind, params=params, parent=parent)
    if problems:
        raise InvalidInput("The model run cannot start.", problems=problems)
    with transaction.atomic():
        run = ModelRun.objects.create(name=name, kind=kind, params=params, parent=parent)
        transaction.on_commit(lambda: model_train_task.delay(run.pk))
    return run


def study_create_from_model_run(*, run: ModelRun, created_by=None):
    """A draft SynVAE matching study whose stimuli this trained SynVAE run will generate."""
    from studies import services

    if run.kind != ModelRun.Kind.SYNVAE or run.status != ModelRun.Status.SUCCEEDED:
        raise InvalidInput(f"{run.name}: only a succeeded SynVAE run can generate a study.")
    return services.study_create(
        name=f"SynVAE matching: {run.name}",
        kind="synvae_matching",
        design_params={"model_run": run.pk, "dataset": run.params.get("dataset", "digits")},
        seed=int(run.params.get("seed", 0)),
        created_by=created_by,
    )


def model_run_problems(*, kind: str, params: dict, parent: ModelRun | None) -> list[str]:
    if kind not in PRESETS:
        return [f"Unknown model kind {kind!r}."]
    problems = []
    preset = params.setdefault("preset", "cpu_demo")
    if preset not in PRESETS[kind]:
        problems.append(f"Preset must be one of {', '.join(PRESETS[kind])}.")
    if not isinstance(params.setdefault("seed", 0), int):
        problems.append("The seed must be a whole number.")
    if kind != ModelRun.Kind.MUSICVAE:
        if params.setdefault("dataset", "digits") not in DATASETS:
            problems.append(f"The dataset must be one of {', '.join(DATASETS)}.")
        if parent is None or parent.kind != ModelRun.Kind.MUSICVAE:
            problems.append("A SynVAE needs a trained MusicVAE run as its parent.")
        elif parent.status != ModelRun.Status.SUCCEEDED:
            problems.append(f"The parent MusicVAE run is {parent.status}, not succeeded.")
    if kind == ModelRun.Kind.SYNVAE and not 0.1 <= float(params.setdefault("beta", 0.5)) <= 2.0:
        problems.append("beta must lie in [0.1, 2.0].")
    return problems


def claimable_runs() -> Q:
    stale = timezone.now() - timedelta(seconds=settings.SYNLAB_JOB_LEASE_S)
    return Q(status=ModelRun.Status.QUEUED) | Q(
        status=ModelRun.Status.RUNNING, started_at__lt=stale
    )


def model_run_execute(*, run_id: int) -> ModelRun | None:
    """Claim the run (a conditional UPDATE: only one worker wins), train, record the outcome."""
    claimed = ModelRun.objects.filter(claimable_runs(), pk=run_id).update(
        status=ModelRun.Status.RUNNING, attempts=F("attempts") + 1, started_at=timezone.now()
    )
    if not claimed:
        return None
    run = ModelRun.objects.select_related("parent").get(pk=run_id)
    folder = Path(settings.MEDIA_ROOT) / "models" / str(run.uuid)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        outcome = modeling_call(run, folder=folder, on_progress=progress_writer(run.pk))
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


def failure_text(error: Exception) -> str:
    kind = type(error).__name__
    if kind in ("TrainingDiverged", "CheckpointError", "ValueError"):
        return f"{kind}: {error}"
    return f"Unexpected error: {error!r}"


def modeling_call(run: ModelRun, *, folder: Path, on_progress) -> dict:
    from modeling.synvae import train

    params = dict(run.params)
    common = {"preset": params["preset"], "seed": params["seed"], "on_progress": on_progress}
    if run.kind == ModelRun.Kind.MUSICVAE:
        result = train.train_musicvae(
            out=folder / "musicvae.pt", max_works=params.get("max_works"), **common
        )
        return {"metrics": result["metrics"], "checkpoint": result["checkpoint"]}
    synvae_options = {
        "musicvae_ckpt": run.parent.checkpoint,
        "dataset": params["dataset"],
        "mnist_limit": params.get("mnist_limit"),
        **common,
    }
    if run.kind == ModelRun.Kind.SYNVAE:
        out = folder / "synvae.pt"
        result = train.train_synvae(out=out, beta=float(params["beta"]), **synvae_options)
        return {"metrics": result["metrics"], "checkpoint": str(out)}
    synvae_options.pop("mnist_limit")
    rows = train.beta_grid(
        out_dir=folder, betas=params.get("betas", (0.1, 0.5, 1.0, 2.0)), **synvae_options
    )
    return {"metrics": {"comparison": rows}, "checkpoint": ""}


def progress_writer(run_id: int):
    """A callback for `modeling.train` that stores progress at most every few seconds."""
    last = {"at": 0.0}

    def write(record: dict) -> None:
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
        ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.RUNNING).update(**updates)

    return write


def model_run_finish(
    run: ModelRun, *, status: str, message: str, metrics=None, checkpoint=""
) -> ModelRun:
    run.status, run.message, run.finished_at = status, message, timezone.now()
    run.metrics = metrics if metrics is not None else run.metrics
    run.checkpoint = checkpoint
    run.progress = 1.0 if status == ModelRun.Status.SUCCEEDED else run.progress
    run.save(
        update_fields=["status", "message", "finished_at", "metrics", "checkpoint", "progress"]
    )
    return run
