"""A training run keeps its lease while it works, and is redone once, promptly, when its worker
or its pool process is killed (kill -9).

The workers run with a 2 s lease (tests/workers/conftest.py); a tiny MusicVAE run takes several
times that (torch, the melody corpus, 30 training steps, the evaluation).
"""

import os
import signal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from studies import training
from studies.models import ModelRun
from tests.workers.conftest import WorkerProcess, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.slow]

LEASE_S = 2  # SYNLAB_JOB_LEASE_S of the test workers
REDO_WITHIN_S = 15
TRAINING_TIMEOUT_S = 600


def tiny_melody_run(name: str, *, max_works: int = 4) -> ModelRun:
    return training.model_run_create(
        name=name, kind="musicvae", params={"preset": "tiny", "max_works": max_works}
    )


def finished(run: ModelRun) -> ModelRun | None:
    row = ModelRun.objects.get(pk=run.pk)
    return row if row.status in (ModelRun.Status.SUCCEEDED, ModelRun.Status.FAILED) else None


def running_past_its_lease(run: ModelRun) -> ModelRun | None:
    """The first attempt, still running after its heartbeat renewed the lease at least once."""
    row = ModelRun.objects.get(pk=run.pk)
    assert row.status not in (ModelRun.Status.SUCCEEDED, ModelRun.Status.FAILED), (
        f"{row.name} ended ({row.status}) before it could be caught running: make it longer"
    )
    if row.status != ModelRun.Status.RUNNING or row.attempts != 1:
        return None
    return row if (row.heartbeat_at - row.started_at).total_seconds() > LEASE_S else None


def running_first_attempt(run: ModelRun) -> ModelRun | None:
    row = ModelRun.objects.get(pk=run.pk)
    assert row.status not in (ModelRun.Status.SUCCEEDED, ModelRun.Status.FAILED), (
        f"{row.name} ended ({row.status}) before it could be caught running"
    )
    return row if row.status == ModelRun.Status.RUNNING and row.attempts == 1 else None


def claimed_again(run: ModelRun) -> ModelRun | None:
    row = ModelRun.objects.get(pk=run.pk)
    return row if row.attempts >= 2 else None


def pid_of(run: ModelRun) -> int:
    return int(run.claimed_by.rsplit(":", 1)[1])


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def stored_files(run: ModelRun) -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "models" / str(run.uuid)
    return sorted(path.name for path in folder.iterdir())


def redone_after_the_kill(run: ModelRun, *, killed_pid: int) -> tuple[ModelRun, float]:
    """Waits for the second attempt and its outcome; returns the run and the seconds from the
    kill to the second claim."""
    killed_at = timezone.now()
    redo = wait_for(lambda: claimed_again(run), timeout=REDO_WITHIN_S + 30)
    seconds_to_redo = (redo.started_at - killed_at).total_seconds()
    print(f"\n{run.name}: claimed again {seconds_to_redo:.1f} s after the kill")
    done = wait_for(lambda: finished(run), timeout=TRAINING_TIMEOUT_S, every=0.5)
    assert pid_of(done) != killed_pid, "redone by another process"
    return done, seconds_to_redo


def test_a_run_outlives_its_lease_once_and_is_redone_once_when_its_worker_is_killed(
    start_worker,
):
    workers = [start_worker(), start_worker()]
    run = tiny_melody_run("outlives its lease")
    done = wait_for(lambda: finished(run), timeout=TRAINING_TIMEOUT_S, every=0.5)
    assert done.status == ModelRun.Status.SUCCEEDED, done.message
    assert done.attempts == 1, "two sweeping workers never took it from its live worker"
    assert (done.finished_at - done.started_at).total_seconds() > 2 * LEASE_S
    assert stored_files(done) == ["musicvae.pt"]

    # Killed as soon as it runs: once torch and the corpus are warm, a tiny run can end before
    # its heartbeat has renewed the lease (the first run above showed the renewal).
    run = tiny_melody_run("worker killed", max_works=12)
    running = wait_for(lambda: running_first_attempt(run), timeout=120)
    doomed = next(w for w in workers if w.process.pid == pid_of(running))
    doomed.kill()

    done, seconds_to_redo = redone_after_the_kill(run, killed_pid=pid_of(running))
    assert seconds_to_redo < REDO_WITHIN_S
    assert done.status == ModelRun.Status.SUCCEEDED, done.message
    assert done.attempts == 2
    assert stored_files(done) == ["musicvae.pt"], "no file of the killed attempt is left"
    assert len(list((Path(settings.MEDIA_ROOT) / "models").iterdir())) == 2


def test_a_run_whose_pool_process_is_killed_is_redone_once(start_worker):
    workers = [start_worker(pool="prefork"), start_worker(pool="prefork")]
    run = tiny_melody_run("pool process killed")
    running = wait_for(lambda: running_past_its_lease(run), timeout=180)
    child = pid_of(running)
    parent: WorkerProcess = next(w for w in workers if w.process.pid == parent_pid(child))
    os.kill(child, signal.SIGKILL)

    done, seconds_to_redo = redone_after_the_kill(run, killed_pid=child)
    assert seconds_to_redo < REDO_WITHIN_S
    assert done.status == ModelRun.Status.SUCCEEDED, done.message
    assert done.attempts == 2
    assert stored_files(done) == ["musicvae.pt"], "no file of the killed attempt is left"
    assert parent.process.poll() is None, "only the pool process was killed"
