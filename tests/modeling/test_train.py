"""The training loop, checkpoints, resuming, divergence, and the worker entry points."""

import numpy as np
import pytest
import torch

from modeling.checkpoints import (
    CheckpointError,
    file_sha256,
    load_checkpoint,
    load_model,
    save_checkpoint,
    slim_checkpoint,
)
from modeling.classifier import ClassifierConfig, ImageClassifier, classifier_step_loss
from modeling.data.corpus import MelodyCorpus
from modeling.data.images import ImageSet
from modeling.data.melody import NUM_CLASSES, STEPS
from modeling.train import (
    TrainConfig,
    TrainData,
    TrainingDiverged,
    beta_grid,
    evaluate_checkpoints,
    main,
    synvae_plan,
    train,
    train_classifier,
    train_musicvae,
    train_synvae,
)
from modeling.visvae import VisVAE, VisVAEConfig, visvae_step_loss


def tiny_visvae(seed: int = 0) -> VisVAE:
    torch.manual_seed(seed)
    return VisVAE(VisVAEConfig.tiny())


def image_data(n: int = 40) -> TrainData:
    """Bright squares of random size and brightness on black: easy to learn, not constant."""
    generator = torch.Generator().manual_seed(5)
    images = torch.zeros(n + 10, 1, 28, 28)
    sizes = torch.randint(4, 20, (n + 10,), generator=generator)
    for i, size in enumerate(sizes.tolist()):
        images[i, 0, 4 : 4 + size, 4 : 4 + size] = 0.5 + 0.5 * torch.rand(1, generator=generator)
    return TrainData(
        train=(images[:n],),
        val=(images[n:],),
        description={"name": "squares", "n": n},
    )


def config(**overrides) -> TrainConfig:
    values = {
        "steps": 6,
        "batch_size": 8,
        "seed": 3,
        "device": "cpu",
        "log_every": 2,
        "eval_every": 2,
    }
    values.update(overrides)
    return TrainConfig(**values)


def test_training_reports_progress_and_lowers_the_loss():
    seen = []
    result = train(
        tiny_visvae(),
        visvae_step_loss,
        image_data(),
        config=config(steps=30, learning_rate=3e-3),
        on_progress=seen.append,
    )
    assert result.steps == 30 and result.stopped == "completed"
    assert [record["step"] for record in seen] == list(range(2, 31, 2))
    assert seen[-1]["total_steps"] == 30 and "val_loss" in seen[-1]
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    assert set(result.metrics) >= {"train_loss", "val_loss", "val_mse", "val_kl", "steps"}


def test_epochs_cover_the_data_in_shuffled_batches():
    result = train(
        tiny_visvae(), visvae_step_loss, image_data(40), config=config(steps=None, epochs=2)
    )
    assert result.steps == 2 * 5


def test_checkpoint_round_trip_keeps_weights_config_and_provenance(tmp_path):
    path = tmp_path / "visvae.pt"
    model = tiny_visvae()
    train(model, visvae_step_loss, image_data(), config=config(), checkpoint_path=path)
    loaded, checkpoint = load_model(path, expected_kind="visvae")
    assert checkpoint.kind == "visvae" and checkpoint.format_version == 1
    assert checkpoint.config == model.config.to_dict() and checkpoint.seed == 3
    assert checkpoint.data_description == {"name": "squares", "n": 40}
    assert checkpoint.step == 6 and checkpoint.optimizer_state is not None
    assert "val_loss" in checkpoint.metrics
    for name, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[name])


def test_resuming_takes_the_same_steps_as_an_uninterrupted_run(tmp_path):
    straight = tiny_visvae()
    train(straight, visvae_step_loss, image_data(), config=config(steps=10))
    path = tmp_path / "run.pt"
    train(
        tiny_visvae(), visvae_step_loss, image_data(), config=config(steps=4), checkpoint_path=path
    )
    resumed = tiny_visvae(seed=99)  # weights come from the checkpoint, not from this init
    result = train(
        resumed,
        visvae_step_loss,
        image_data(),
        config=config(steps=10),
        checkpoint_path=path,
        resume=True,
    )
    assert result.steps == 10
    assert [r["step"] for r in result.history] == [2, 4, 6, 8, 10]
    for name, value in straight.state_dict().items():
        assert torch.allclose(value, resumed.state_dict()[name], atol=1e-6), name


def test_resume_refuses_a_checkpoint_with_another_config(tmp_path):
    path = tmp_path / "run.pt"
    train(
        tiny_visvae(), visvae_step_loss, image_data(), config=config(steps=2), checkpoint_path=path
    )
    other = VisVAE(VisVAEConfig.tiny(z_size=4))
    with pytest.raises(CheckpointError, match="another visvae config"):
        train(
            other,
            visvae_step_loss,
            image_data(),
            config=config(),
            checkpoint_path=path,
            resume=True,
        )


def test_loading_another_kind_or_version_fails_clearly(tmp_path):
    path = tmp_path / "visvae.pt"
    train(
        tiny_visvae(), visvae_step_loss, image_data(), config=config(steps=2), checkpoint_path=path
    )
    with pytest.raises(CheckpointError, match="holds a 'visvae' model, expected a 'musicvae'"):
        load_checkpoint(path, expected_kind="musicvae")
    checkpoint = load_checkpoint(path, expected_kind="visvae")
    checkpoint.format_version = 99
    save_checkpoint(checkpoint, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(tmp_path / "future.pt", expected_kind="visvae")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "junk.pt", expected_kind=None)


def test_slim_checkpoint_drops_optimiser_state_but_keeps_the_model(tmp_path):
    path = tmp_path / "full.pt"
    train(
        tiny_visvae(), visvae_step_loss, image_data(), config=config(steps=2), checkpoint_path=path
    )
    slim = slim_checkpoint(path, tmp_path / "slim.pt")
    assert slim.stat().st_size < path.stat().st_size
    assert load_checkpoint(slim, expected_kind="visvae").optimizer_state is None
    load_model(slim, expected_kind="visvae")


def test_a_nan_loss_raises_training_diverged():
    data = image_data()
    data.train[0][3, 0, 0, 0] = float("nan")  # one corrupt pixel poisons its batch
    with pytest.raises(TrainingDiverged, match="loss became nan at step"):
        train(tiny_visvae(), visvae_step_loss, data, config=config(steps=20))


def synthetic_corpus() -> MelodyCorpus:
    rng = np.random.default_rng(0)
    return MelodyCorpus(
        train=rng.integers(0, NUM_CLASSES, (64, STEPS)),
        val=rng.integers(0, NUM_CLASSES, (16, STEPS)),
        description={"source": "random tokens for a test"},
    )


def synthetic_images() -> ImageSet:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)[rng.permutation(120)]
    images = (rng.random((120, 1, 28, 28)) < 0.1 * (labels[:, None, None, None] + 1)).astype(
        np.float32
    )
    return ImageSet(
        images[:72],
        labels[:72],
        images[72:96],
        labels[72:96],
        images[96:],
        labels[96:],
        classes=["sparse", "medium", "dense"],
        description={"name": "random dots"},
    )


def test_train_musicvae_writes_a_loadable_checkpoint_and_plain_metrics(tmp_path):
    out = tmp_path / "music.pt"
    result = train_musicvae(out=out, preset="tiny", seed=1, corpus=synthetic_corpus(), device="cpu")
    assert result["checkpoint"] == str(out) and result["steps"] == 30
    assert 0.0 <= result["metrics"]["val_free_running_accuracy"] <= 1.0
    model, checkpoint = load_model(out, expected_kind="musicvae")
    assert checkpoint.data_description["source"] == "random tokens for a test"
    assert (
        checkpoint.metrics["val_free_running_accuracy"]
        == result["metrics"]["val_free_running_accuracy"]
    )


def trained_tiny_synvae(tmp_path) -> tuple:
    music_path = tmp_path / "music.pt"
    train_musicvae(out=music_path, preset="tiny", corpus=synthetic_corpus(), device="cpu")
    result = train_synvae(
        musicvae_ckpt=music_path,
        out=tmp_path / "syn.pt",
        preset="tiny",
        image_set=synthetic_images(),
        device="cpu",
    )
    return tmp_path / "syn.pt", tmp_path / "syn.visvae.pt", result


@pytest.mark.slow
def test_train_synvae_compares_visvae_and_synvae_and_keeps_music_frozen(tmp_path):
    music_path = tmp_path / "music.pt"
    _, _, result = trained_tiny_synvae(tmp_path)
    for row in ("visvae", "synvae"):
        assert {"mse", "kl", "p_at_10", "accuracy"} <= set(result["metrics"][row])
    assert "mi_nats" in result["metrics"]["synvae"]
    synvae, checkpoint = load_model(tmp_path / "syn.pt", expected_kind="synvae")
    music, _ = load_model(music_path, expected_kind="musicvae")
    for name, value in music.state_dict().items():
        assert torch.equal(value, synvae.music.state_dict()[name]), name
    assert checkpoint.data_description["musicvae_sha256"]
    melodies = synvae.image_to_melody(torch.as_tensor(synthetic_images().test_x))
    assert melodies.shape == (24, STEPS)

    again = train_synvae(
        musicvae_ckpt=music_path,
        out=tmp_path / "syn2.pt",
        preset="tiny",
        image_set=synthetic_images(),
        device="cpu",
        visvae_ckpt=result["visvae_checkpoint"],
        sample_latents=False,
    )
    assert again["metrics"]["visvae"] == result["metrics"]["visvae"]  # the baseline was reused
    assert (
        load_checkpoint(tmp_path / "syn2.pt", expected_kind="synvae").config["sample_z_v"] is False
    )


def test_beta_grid_stays_in_the_papers_range(tmp_path):
    with pytest.raises(ValueError, match=r"\[0.1, 2.0\]"):
        beta_grid(musicvae_ckpt=tmp_path / "m.pt", out_dir=tmp_path, betas=[0.05, 0.5])


def test_command_line_trains_a_tiny_musicvae(tmp_path, monkeypatch, capsys):
    import modeling.train as train_module

    monkeypatch.setattr(
        train_module, "_default_corpus", lambda **_: synthetic_corpus(), raising=False
    )
    result = main(["musicvae", "--preset", "tiny", "--steps", "4", "--out", str(tmp_path / "m.pt")])
    assert result["steps"] == 4
    assert '"kind": "musicvae"' in capsys.readouterr().out


def test_keep_best_ends_with_the_weights_of_the_best_validation_loss():
    model = tiny_visvae()
    result = train(
        model,
        visvae_step_loss,
        image_data(),
        config=config(steps=12, learning_rate=3e-2, keep_best=True),
    )
    validated = {r["step"]: r["val_loss"] for r in result.history if "val_loss" in r}
    best_step = min(validated, key=validated.get)
    assert result.metrics["best_step"] == best_step
    assert result.metrics["val_loss"] == pytest.approx(validated[best_step], rel=1e-5)


def test_keep_best_can_maximise_a_validation_metric():
    images = synthetic_images()
    data = TrainData(
        train=(torch.as_tensor(images.train_x), torch.as_tensor(images.train_y)),
        val=(torch.as_tensor(images.val_x), torch.as_tensor(images.val_y)),
    )
    torch.manual_seed(0)
    model = ImageClassifier(ClassifierConfig(num_classes=3, width=0.25))
    settings = config(steps=8, learning_rate=3e-2, keep_best=True)
    settings.best_metric, settings.best_maximize = "accuracy", True
    result = train(model, classifier_step_loss, data, config=settings)
    validated = {r["step"]: r["val_accuracy"] for r in result.history if "val_accuracy" in r}
    best_step = max(validated, key=validated.get)  # the earliest of equal maxima
    lowest_loss = min(result.history, key=lambda r: r["val_loss"])["step"]
    assert best_step not in {8, lowest_loss}  # so the test tells the three choices apart
    assert result.metrics["best_step"] == best_step
    assert result.metrics["val_accuracy"] == pytest.approx(validated[best_step])


def test_train_classifier_reads_validation_every_epoch_and_keeps_the_best():
    classifier, result = train_classifier(
        synthetic_images(), plan=synvae_plan("tiny"), seed=0, device="cpu", epochs=4
    )
    assert [r["epoch"] for r in result.history] == [1.0, 2.0, 3.0, 4.0]
    best = max(r["val_accuracy"] for r in result.history)
    assert result.metrics["val_accuracy"] == pytest.approx(best)
    assert result.metrics["epochs"] == 4 and result.metrics["best_epoch"] in {1.0, 2.0, 3.0, 4.0}
    assert classifier.config.num_classes == 3


@pytest.mark.slow
def test_evaluate_command_measures_both_rows_and_writes_them_only_when_asked(
    tmp_path, monkeypatch, capsys
):
    import modeling.train as train_module

    synvae_path, visvae_path, trained = trained_tiny_synvae(tmp_path)
    assert trained["metrics"]["classifier_val"]["epochs"] == 1
    monkeypatch.setattr(train_module, "load_image_set", lambda *_, **__: synthetic_images())
    argv = ["--threads", "1", "evaluate", "--synvae-ckpt", str(synvae_path)]
    argv += ["--visvae-ckpt", str(visvae_path), "--preset", "tiny", "--classifier-epochs", "3"]
    before = file_sha256(synvae_path), file_sha256(visvae_path)

    result = main(argv)
    assert (file_sha256(synvae_path), file_sha256(visvae_path)) == before
    for row in ("visvae", "synvae"):
        assert {"mse", "kl", "p_at_10", "accuracy"} <= set(result["metrics"][row])
    assert "mi_nats" in result["metrics"]["synvae"]
    assert result["metrics"]["visvae"]["mse"] == trained["metrics"]["visvae"]["mse"]
    printed = capsys.readouterr().out
    assert "| model | mse | kl | p_at_10 | accuracy | mi_nats |" in printed
    assert "| visvae |" in printed and '"kind": "evaluation"' in printed

    written = main([*argv, "--write"])
    stored = load_checkpoint(synvae_path, expected_kind="synvae").metrics
    assert stored["classifier_val"]["epochs"] == 3
    assert stored["synvae"] == written["metrics"]["synvae"]
    assert stored["synvae_train"] == trained["metrics"]["synvae_train"]
    visvae_stored = load_checkpoint(visvae_path, expected_kind="visvae").metrics
    assert visvae_stored["test"] == written["metrics"]["visvae"]
    assert visvae_stored["classifier_epochs"] == 3


@pytest.mark.slow
def test_evaluate_refuses_images_the_checkpoints_were_not_trained_on(tmp_path):
    synvae_path, visvae_path, _ = trained_tiny_synvae(tmp_path)
    other = synthetic_images()
    other.description = {"name": "other dots"}
    with pytest.raises(CheckpointError, match="was trained on"):
        evaluate_checkpoints(
            synvae_ckpt=synvae_path,
            visvae_ckpt=visvae_path,
            preset="tiny",
            image_set=other,
            device="cpu",
        )
