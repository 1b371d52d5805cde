"""A SynVAE matching study is generated from the committed checkpoint and can be taken."""

import pytest
from django.test import Client

from studies import generation, services
from studies.models import GenerationJob, Stimulus, Study, Trial
from tests.studies.bots import Bot

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def generate(**params) -> tuple[Study, GenerationJob]:
    study = services.study_create(
        name="SynVAE",
        kind="synvae_matching",
        seed=3,
        design_params={
            "n_test_trials": 6,
            "n_preview_per_class": 1,
            "candidates_per_class": 3,
            **params,
        },
    )
    job = run_both_stages(generation.study_generate(study=study).pk)
    study.refresh_from_db()
    return study, job


def run_both_stages(job_id: int) -> GenerationJob:
    """What the workers do: the model stage (gpu queue), then the build (cpu queue)."""
    prepared = generation.generation_job_prepare(job_id=job_id)
    if prepared.status == GenerationJob.Status.FAILED:
        return prepared
    return generation.generation_job_run(job_id=job_id)


def queued_small_study(name: str) -> tuple[Study, GenerationJob]:
    """Three trials from two images per class, queued for generation (no worker runs it)."""
    study = services.study_create(
        name=name,
        kind="synvae_matching",
        seed=3,
        design_params={"n_test_trials": 3, "n_preview_per_class": 0, "candidates_per_class": 2},
    )
    return study, generation.study_generate(study=study)


def test_generated_trials_play_one_clip_and_offer_one_image_per_class():
    study, job = generate()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    assert study.status == Study.Status.READY
    classes = set(Stimulus.objects.filter(study=study).values_list("class_label", flat=True))
    assert len(classes) == 3
    assert Stimulus.objects.filter(study=study, kind="midi").count() == 12  # (1 + 3) x 3 classes
    tests = Trial.objects.filter(phase__study=study, phase__kind="test")
    assert tests.count() == 6
    for trial in tests:
        assert trial.prompt.kind == "audio" and trial.prompt.duration_s == pytest.approx(
            4.3, abs=0.2
        )
        options = list(trial.options.select_related("stimulus"))
        assert sorted(o.identity for o in options) == sorted(classes)
        correct = next(o for o in options if o.is_correct)
        assert correct.stimulus.class_label == trial.prompt.class_label == trial.class_label
        assert trial.prompt.provenance["rank"] == correct.stimulus.provenance["rank"], (
            "its own image"
        )
        assert len(trial.prompt.provenance["checkpoint_sha256"]) == 64
    for label in classes:
        prompts = [t.prompt_id for t in tests if t.class_label == label]
        # A clip repeats only once all three clips of its class have been used.
        assert len(set(prompts)) == min(len(prompts), 3)

    services.study_publish(study=study)
    bot = Bot(client=Client(), study_slug=study.slug)
    bot.take_whole_study()
    assert bot.pages.count("test") == 6


def test_a_missing_or_wrong_checkpoint_is_reported_and_nothing_is_built():
    _, missing = generate(checkpoint="modeling/weights/no-such.pt")
    assert missing.status == GenerationJob.Status.FAILED
    assert missing.problems == ["The checkpoint modeling/weights/no-such.pt does not exist."]
    study, wrong = generate(checkpoint="modeling/weights/musicvae_cpu_demo.pt")
    assert wrong.status == GenerationJob.Status.FAILED
    assert "could not be generated" in wrong.problems[0] and "synvae" in wrong.problems[0]
    assert study.status == Study.Status.DRAFT
    assert not Stimulus.objects.filter(study=study).exists()


def test_researchers_see_generated_melodies_as_piano_rolls(client, researcher):
    study, _ = generate()
    client.force_login(researcher)
    midi = Stimulus.objects.filter(study=study, kind="midi").first()
    listing = client.get("/admin/studies/stimulus/", {"kind__exact": "midi"}).content.decode()
    assert f"/researcher/stimuli/{midi.pk}/piano-roll.png" in listing
    roll = client.get(f"/researcher/stimuli/{midi.pk}/piano-roll.png")
    assert roll.status_code == 200 and roll.content.startswith(b"\x89PNG")
    clip = Stimulus.objects.filter(study=study, kind="audio").first()
    assert client.get(f"/researcher/stimuli/{clip.pk}/piano-roll.png").status_code == 404


def test_the_melodies_are_made_on_the_gpu_queue_and_rendered_on_the_cpu_queue():
    from workers.celery import app

    def queue_of(task: str) -> str:
        return app.amqp.router.route({}, f"workers.tasks.{task}", (), {})["queue"].name

    assert queue_of("stimuli_prepare_task") == "gpu" and queue_of("model_train_task") == "gpu"
    assert queue_of("study_build_task") == "cpu"

    study, job = queued_small_study("two stages")
    assert generation.generation_job_run(job_id=job.pk) is None, "no build before the melodies"

    prepared = generation.generation_job_prepare(job_id=job.pk)
    assert prepared.status == GenerationJob.Status.QUEUED and prepared.progress == 0.5
    plan = prepared.prepared["classes"]
    assert len(plan) == 3 and all(len(chosen) == 2 for chosen in plan.values())
    assert all(any(t > 1 for t in c["tokens"]) for chosen in plan.values() for c in chosen)
    assert not Stimulus.objects.filter(study=study).exists(), "nothing rendered yet"
    assert generation.generation_job_prepare(job_id=job.pk) is None, "the model runs once"

    built = generation.generation_job_run(job_id=job.pk)
    assert built.status == GenerationJob.Status.SUCCEEDED
    clips = Stimulus.objects.filter(study=study, kind="audio")
    assert sorted(c.provenance["tokens"] for c in clips) == sorted(
        c["tokens"] for chosen in plan.values() for c in chosen
    ), "the clips play exactly the melodies the model made"


def test_a_model_stage_whose_worker_died_is_redone_by_the_next_worker(settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from workers import queueing

    sent = []
    monkeypatch.setattr(queueing, "task_send", lambda name, *args: sent.append((name, *args)))

    study, job = queued_small_study("worker died")
    # A gpu worker claimed the job and was killed before storing the melodies.
    GenerationJob.objects.filter(pk=job.pk).update(
        status=GenerationJob.Status.RUNNING, attempts=1, heartbeat_at=timezone.now()
    )
    assert generation.generation_job_prepare(job_id=job.pk) is None, "its heartbeat is fresh"
    assert generation.generation_jobs_requeue_lost() == [], "a running job is left alone"
    long_ago = timezone.now() - timedelta(seconds=settings.SYNLAB_JOB_LEASE_S + 1)
    GenerationJob.objects.filter(pk=job.pk).update(heartbeat_at=long_ago)
    assert generation.generation_job_run(job_id=job.pk) is None, "no build without melodies"
    assert generation.generation_jobs_requeue_lost() == [job.pk]  # what every worker's sweep does
    assert generation.generation_jobs_requeue_lost() == [], "sent again once"
    assert sent == [(queueing.STIMULI_PREPARE, job.pk)], "back to the model stage"
    assert GenerationJob.objects.get(pk=job.pk).status == GenerationJob.Status.QUEUED

    redone = generation.generation_job_prepare(job_id=job.pk)
    assert redone.attempts == 2 and redone.prepared is not None
    assert generation.generation_job_run(job_id=job.pk).status == GenerationJob.Status.SUCCEEDED


def test_an_mnist_study_is_generated_from_the_committed_mnist_checkpoint():
    study, job = generate(
        checkpoint="modeling/weights/synvae_mnist10k_beta0.5.pt",
        dataset="mnist",
        n_test_trials=3,
        n_preview_per_class=0,
        candidates_per_class=2,
    )
    assert job.status == GenerationJob.Status.SUCCEEDED, job.problems
    clip = Stimulus.objects.filter(study=study, kind="audio").first()
    assert clip.provenance["dataset"] == "mnist"
    assert clip.provenance["images"]["source"].startswith("MNIST")
    assert Trial.objects.filter(phase__study=study, phase__kind="test").count() == 3
