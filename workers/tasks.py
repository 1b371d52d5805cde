"""Thin tasks: take ids, call one service. Claims happen inside the services (conditional
UPDATE), so a redelivered message (acks_late, a worker killed mid-job) is safe to run again."""

from celery import shared_task


@shared_task(name="workers.tasks.study_build_task", acks_late=True, reject_on_worker_lost=True)
def study_build_task(job_id: int) -> str:
    from studies.services import generation_job_run

    job = generation_job_run(job_id=job_id)
    return job.status if job else "skipped"
