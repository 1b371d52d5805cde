"""Researchers train models as runs: checked up front, claimed once, outcome recorded."""

import pytest

from studies import training
from studies.errors import InvalidInput
from studies.models import ModelRun

pytestmark = pytest.mark.django_db


def test_a_synvae_needs_a_trained_musicvae_and_sane_parameters():
    with pytest.raises(InvalidInput) as caught:
        training.model_run_create(
            name="bad", kind="synvae", params={"preset": "huge", "beta": 7, "dataset": "cifar"}
        )
    assert caught.value.problems == [
        "Preset must be one of tiny, cpu_demo, paper.",
        "A SynVAE (image -> music -> image) run needs a trained MusicVAE (2-bar melodies) run "
        "as its parent.",
        "The dataset must be one of digits, mnist.",
        "beta must lie in [0.1, 2.0].",
    ]
    assert not ModelRun.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the heartbeat thread must see the committed run
def test_a_tiny_musicvae_then_synvae_train_and_record_metrics(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    music = training.model_run_create(
        name="melodies", kind="musicvae", params={"preset": "tiny", "max_works": 6}
    )
    music = training.model_run_execute(run_id=music.pk)
    assert music.status == ModelRun.Status.SUCCEEDED, music.message
    assert music.checkpoint.endswith("musicvae.pt")
    assert "val_free_running_accuracy" in music.metrics
    assert training.model_run_execute(run_id=music.pk) is None, "a finished run is not redone"

    synvae = training.model_run_create(
        name="digits", kind="synvae", params={"preset": "tiny", "beta": 0.5}, parent=music
    )
    synvae = training.model_run_execute(run_id=synvae.pk)
    assert synvae.status == ModelRun.Status.SUCCEEDED, synvae.message
    assert {"visvae", "synvae"} <= set(synvae.metrics)
    assert synvae.metrics["synvae"]["accuracy"] >= 0


def test_a_checkpoint_of_the_wrong_kind_fails_the_run_with_a_clear_message(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    not_music = tmp_path / "not-a-checkpoint.pt"
    not_music.write_bytes(b"this is not a torch file")
    parent = ModelRun.objects.create(
        name="broken", kind="musicvae", status=ModelRun.Status.SUCCEEDED, checkpoint=str(not_music)
    )
    run = training.model_run_create(
        name="x", kind="synvae", params={"preset": "tiny"}, parent=parent
    )
    run = training.model_run_execute(run_id=run.pk)
    assert run.status == ModelRun.Status.FAILED
    assert run.message.startswith(("CheckpointError", "Unexpected error"))


def test_a_researcher_turns_a_trained_synvae_run_into_a_draft_matching_study(client, researcher):
    from django.conf import settings

    from studies.models import Study

    trained = ModelRun.objects.create(
        name="digits b0.5",
        kind=ModelRun.Kind.SYNVAE,
        params={"dataset": "digits", "beta": 0.5, "seed": 7},
        status=ModelRun.Status.SUCCEEDED,
        checkpoint=str(settings.BASE_DIR / "modeling/weights/synvae_digits_beta0.5.pt"),
    )
    unfinished = ModelRun.objects.create(name="still training", kind=ModelRun.Kind.SYNVAE)
    client.force_login(researcher)

    page = client.post(
        "/admin/studies/modelrun/",
        {"action": "create_matching_study", "_selected_action": [trained.pk, unfinished.pk]},
        follow=True,
    ).content.decode()

    study = Study.objects.get()
    assert study.kind == "synvae_matching" and study.status == Study.Status.DRAFT
    assert study.design_params["model_run"] == trained.pk
    assert study.design_params["dataset"] == "digits"
    assert study.seed == 7
    assert f"/admin/studies/study/{study.pk}/change/" in page
    assert "Still training: only a succeeded run can generate a study." in page


def test_a_trained_vis2mus_run_becomes_a_draft_transformation_study(researcher):
    from django.conf import settings

    from studies.models import Study

    trained = ModelRun.objects.create(
        name="chords and textures",
        kind=ModelRun.Kind.VIS2MUS,
        params={"preset": "cpu_demo", "seed": 3},
        status=ModelRun.Status.SUCCEEDED,
        checkpoint=str(settings.BASE_DIR / "modeling/weights/vis2mus_cpu_demo.pt"),
    )
    study = training.study_create_from_model_run(run=trained, created_by=researcher)
    assert study.kind == "vis2mus_brightness" and study.status == Study.Status.DRAFT
    assert study.design_params["model_run"] == trained.pk
    assert study.seed == 3


def test_every_model_run_kind_is_declared_by_one_model_family():
    from modeling.runs import run_kinds

    declared = run_kinds()
    assert set(declared) == set(ModelRun.Kind.values)
    for value, label in ModelRun.Kind.choices:
        assert declared[value].label == label


def test_a_musicvae_takes_no_parent_and_a_seed_must_fit_the_database():
    with pytest.raises(InvalidInput) as caught:
        training.model_run_create(name="m", kind="musicvae", params={"seed": 2**70})
    assert caught.value.problems == ["The seed must be a whole number from 0 to 2147483647."]
    with pytest.raises(InvalidInput) as caught:
        training.model_run_create(name="m", kind="unknown")
    assert caught.value.problems == ["Unknown model kind 'unknown'."]
