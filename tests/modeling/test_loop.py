"""The shared training loop: progress, epochs, resuming, divergence, keeping the best weights."""

import pytest
import torch

from modeling.checkpoint_io import CheckpointError
from modeling.loop import TrainData, TrainingDiverged, train
from modeling.synvae.classifier import ClassifierConfig, ImageClassifier, classifier_step_loss
from modeling.synvae.visvae import VisVAE, VisVAEConfig, visvae_step_loss
from tests.modeling.synvae.tiny import config, image_data, synthetic_images, tiny_visvae


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


def test_a_nan_loss_raises_training_diverged():
    data = image_data()
    data.train[0][3, 0, 0, 0] = float("nan")  # one corrupt pixel poisons its batch
    with pytest.raises(TrainingDiverged, match="loss became nan at step"):
        train(tiny_visvae(), visvae_step_loss, data, config=config(steps=20))


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
