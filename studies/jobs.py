"""The lifecycle every background job shares (`models.Job`: GenerationJob, ModelRun).

- Claim: one conditional UPDATE takes a queued job, or a running one whose heartbeat is older
  than the lease (its worker died), and counts the attempt. Of any number of callers, one wins.
- Heartbeat: while the claimed job runs, a thread in the same process refreshes `heartbeat_at`
  every lease/3 seconds. A job may run far longer than its lease (and than the broker's
  visibility timeout) and is still never claimed by a second worker.
- Finish and hand over: conditional on still holding the job (same attempt), so a worker that
  lost its lease cannot overwrite the outcome of the attempt that replaced it.
- Lost jobs: `jobs_take_back`, called by the sweep in every worker (`workers/sweep.py`), puts a
  running job whose heartbeat stopped back in the queue, and re-stamps a queued job nobody took
  within a lease (its message was lost). The caller sends the task of each job it won.
"""

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from studies.models import Job

logger = logging.getLogger(__name__)
J = TypeVar("J", bound=Job)
Status = Job.Status


class JobLost(RuntimeError):
    """This process no longer holds the job: another worker took it over."""


def lease_s() -> float:
    return float(settings.SYNLAB_JOB_LEASE_S)


def beat_every_s() -> float:
    """How often a running job's heartbeat is refreshed and every worker sweeps for lost jobs."""
    return lease_s() / 3


def lost_before(now: datetime) -> datetime:
    return now - timedelta(seconds=lease_s())


def claimable(now: datetime) -> Q:
    """Queued jobs, and running ones whose heartbeat stopped for longer than the lease."""
    return Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=lost_before(now))


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def job_claim(model: type[J], *, pk: int, condition: Q | None = None) -> J | None:
    """Take the job for this process if it is claimable (and meets `condition`); None if not."""
    now = timezone.now()
    claimed = model.objects.filter(claimable(now), condition or Q(), pk=pk).update(
        status=Status.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        claimed_by=this_process(),
    )
    return model.objects.get(pk=pk) if claimed else None


def job_held(job: Job) -> QuerySet:
    """The job's row, as long as this attempt still holds it."""
    return type(job).objects.filter(pk=job.pk, status=Status.RUNNING, attempts=job.attempts)


def job_finish(job: Job, *, status: str, message: str, **fields) -> bool:
    """Record this attempt's outcome; False (and nothing written) when the job was taken over."""
    values = {"status": status, "message": message, "finished_at": timezone.now(), **fields}
    if status == Status.SUCCEEDED:
        values.setdefault("progress", 1.0)
    return update_held(job, values)


def job_hand_over(job: Job, *, message: str, **fields) -> bool:
    """Queue the job again for its next stage (another task); False when it was taken over."""
    values = {"status": Status.QUEUED, "message": message, "heartbeat_at": timezone.now()}
    return update_held(job, {**values, **fields})


def update_held(job: Job, values: dict) -> bool:
    if not job_held(job).update(**values):
        return False
    for name, value in values.items():
        setattr(job, name, value)
    return True


class Heartbeat:
    """Keeps a claimed job's lease fresh from a background thread while the `with` block runs.

    `lost` is set when a beat finds the job no longer held by this attempt (this process stalled
    for longer than the lease and another worker took the job over); `check()` then raises
    JobLost, so long work can stop instead of doing the job a second time.
    """

    def __init__(self, job: Job):
        self.job = job
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat_until_stopped, name=f"heartbeat-{job._meta.model_name}-{job.pk}"
        )
        self._thread.daemon = True

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def check(self) -> None:
        if self.lost.is_set():
            raise JobLost(f"{self.job._meta.verbose_name} {self.job.pk} was taken over")

    def _beat_until_stopped(self) -> None:
        try:
            while not self._stop.wait(beat_every_s()):
                if not self._beat():
                    logger.warning("%s lost its lease; stopping", self._thread.name)
                    self.lost.set()
                    return
        finally:
            connections.close_all()  # this thread's own connections

    def _beat(self) -> bool:
        try:
            return bool(job_held(self.job).update(heartbeat_at=timezone.now()))
        except DatabaseError:  # the database is busy or away: try again at the next beat
            logger.warning("%s could not beat", self._thread.name, exc_info=True)
            return True


def jobs_take_back(model: type[Job]) -> list[int]:
    """Lost jobs of one model back to work; returns the ids whose task the caller must send.

    A running job whose heartbeat is older than the lease goes back to queued (its worker
    died); a queued job not taken within a lease of being queued or sent is stamped again (its
    message was lost, or it waits behind other work: a duplicate message is skipped by the
    claim). Each row is taken with its own conditional UPDATE, so one sweeping worker wins it.
    """
    now = timezone.now()
    stale = lost_before(now)
    candidates = model.objects.filter(
        status__in=[Status.QUEUED, Status.RUNNING], heartbeat_at__lt=stale
    ).values_list("pk", "status")
    won = []
    for pk, status in candidates:
        values = {"heartbeat_at": now}
        if status == Status.RUNNING:
            values |= {"status": Status.QUEUED, "message": "Its worker stopped; queued again."}
        if model.objects.filter(pk=pk, status=status, heartbeat_at__lt=stale).update(**values):
            if status == Status.RUNNING:
                logger.warning("%s %s lost its worker; queued again", model.__name__, pk)
            won.append(pk)
    return won
