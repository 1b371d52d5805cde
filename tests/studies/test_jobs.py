"""The job lifecycle (studies.jobs): one claim wins, the heartbeat holds the lease, a stalled
attempt that lost its job can no longer write the outcome."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from studies import jobs
from studies.models import ModelRun

pytestmark = pytest.mark.django_db(transaction=True)


def queued_run() -> ModelRun:
    return ModelRun.objects.create(name="melodies", kind=ModelRun.Kind.MUSICVAE)


def test_of_two_workers_claiming_a_queued_run_one_wins():
    run = queued_run()
    first = jobs.job_claim(ModelRun, pk=run.pk)
    assert first.status == ModelRun.Status.RUNNING and first.attempts == 1
    assert jobs.job_claim(ModelRun, pk=run.pk) is None


def test_the_heartbeat_keeps_a_long_job_from_being_taken(settings):
    settings.SYNLAB_JOB_LEASE_S = 0.3
    run = jobs.job_claim(ModelRun, pk=queued_run().pk)
    with jobs.Heartbeat(run) as heartbeat:
        time.sleep(1.0)  # more than three leases
        assert jobs.jobs_take_back(ModelRun) == [], "not lost"
        assert jobs.job_claim(ModelRun, pk=run.pk) is None, "not claimable"
    heartbeat.check()
    assert jobs.job_finish(run, status=ModelRun.Status.SUCCEEDED, message="Trained.")
    assert ModelRun.objects.get(pk=run.pk).attempts == 1


def test_a_stalled_attempt_learns_it_lost_the_job_and_cannot_record_an_outcome(settings):
    settings.SYNLAB_JOB_LEASE_S = 0.3
    stalled = jobs.job_claim(ModelRun, pk=queued_run().pk)
    long_ago = timezone.now() - timedelta(seconds=10)
    ModelRun.objects.filter(pk=stalled.pk).update(heartbeat_at=long_ago)  # no beat for 10 s

    assert jobs.jobs_take_back(ModelRun) == [stalled.pk], "the sweep queues it again"
    assert jobs.jobs_take_back(ModelRun) == [], "once"
    redo = jobs.job_claim(ModelRun, pk=stalled.pk)
    assert redo.attempts == 2

    with jobs.Heartbeat(stalled) as heartbeat:
        assert heartbeat.lost.wait(timeout=2)
    with pytest.raises(jobs.JobLost):
        heartbeat.check()
    assert not jobs.job_finish(stalled, status=ModelRun.Status.FAILED, message="stale")
    assert jobs.job_finish(redo, status=ModelRun.Status.SUCCEEDED, message="Trained.")
    assert ModelRun.objects.get(pk=redo.pk).status == ModelRun.Status.SUCCEEDED


def test_a_queued_job_whose_message_was_lost_is_sent_again_once_per_lease(settings):
    settings.SYNLAB_JOB_LEASE_S = 0.3
    waiting = queued_run()
    assert jobs.jobs_take_back(ModelRun) == [], "just queued: its message may still come"
    ModelRun.objects.filter(pk=waiting.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=10)
    )
    assert jobs.jobs_take_back(ModelRun) == [waiting.pk], "nobody took it: send it again"
    assert jobs.jobs_take_back(ModelRun) == [], "not again within the lease"
