"""Thin tasks: take ids, call one service. Claims happen inside the services (conditional
UPDATE), so a redelivered or re-sent message (acks_late, the sweep of lost jobs) is safe to run
again: a job that is running or done is skipped."""

from celery import shared_task

from studies import generation, tool, training


@shared_task(name="workers.tasks.study_build_task", acks_late=True, reject_on_worker_lost=True)
def study_build_task(job_id: int) -> str:
    job = generation.generation_job_run(job_id=job_id)
    return job.status if job else "skipped"


@shared_task(name="workers.tasks.stimuli_prepare_task", acks_late=True, reject_on_worker_lost=True)
def stimuli_prepare_task(job_id: int) -> str:
    """The model stage of a study build (gpu queue); it queues the rendering build (cpu queue)."""
    job = generation.generation_job_prepare(job_id=job_id)
    return job.status if job else "skipped"


@shared_task(name="workers.tasks.model_train_task", acks_late=True, reject_on_worker_lost=True)
def model_train_task(run_id: int) -> str:
    """Routed to the `gpu` queue (CELERY_TASK_ROUTES); uses CUDA when the worker has it."""
    run = training.model_run_execute(run_id=run_id)
    return run.status if run else "skipped"


@shared_task(
    name="workers.tasks.vis2mus_tool_render_task", acks_late=True, reject_on_worker_lost=True
)
def vis2mus_tool_render_task(payload: dict) -> str:
    """One request of the Vis2Mus browser tool (cpu queue): picture and clip into the cache.
    It has no row to claim: the request itself is the payload, and a result is written whole
    under its key, so running it twice costs time, never correctness."""
    return tool.tool_render_run(payload=payload)
