"""Evaluating the SynVAE family: the classifier behind the accuracy metric and
`python -m modeling.synvae evaluate`."""

from pathlib import Path

import pytest
import torch

from modeling.checkpoint_io import CheckpointError, file_sha256, load_checkpoint, load_model
from modeling.data.images import load_image_set
from modeling.synvae.classifier import ClassifierConfig, ImageClassifier
from modeling.synvae.cli import main
from modeling.synvae.evaluate import (
    evaluate_checkpoints,
    evaluate_synvae,
    evaluate_visvae,
    train_classifier,
)
from modeling.synvae.presets import synvae_plan
from tests.modeling.synvae.tiny import synthetic_images, trained_tiny_synvae


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
    import modeling.synvae.evaluate as evaluate_module

    synvae_path, visvae_path, trained = trained_tiny_synvae(tmp_path)
    assert trained["metrics"]["classifier_val"]["epochs"] == 1
    monkeypatch.setattr(evaluate_module, "load_image_set", lambda *_, **__: synthetic_images())
    argv = ["--threads", "1", "evaluate", "--synvae-ckpt", str(synvae_path)]
    argv += ["--visvae-ckpt", str(visvae_path), "--preset", "tiny", "--classifier-epochs", "3"]
    argv += ["--more-classifier-seeds", "1"]
    before = file_sha256(synvae_path), file_sha256(visvae_path)

    result = main(argv)
    assert (file_sha256(synvae_path), file_sha256(visvae_path)) == before
    for row in ("visvae", "synvae"):
        assert {"mse", "kl", "p_at_10", "accuracy"} <= set(result["metrics"][row])
    assert "mi_nats" in result["metrics"]["synvae"]
    assert "mi_nwj_sampled_nats" in result["metrics"]["synvae"]
    by_classifier = result["metrics"]["accuracy_by_classifier"]
    assert [row["seed"] for row in by_classifier] == [0, 1]
    assert by_classifier[0]["synvae_accuracy"] == result["metrics"]["synvae"]["accuracy"]
    assert all(0.0 <= row["real_test_accuracy"] <= 1.0 for row in by_classifier)
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


def test_the_committed_digits_models_still_measure_what_their_card_reports():
    """MSE, KL and P@10 need no classifier: recomputed, they equal the numbers stored."""
    weights = Path(__file__).resolve().parents[3] / "modeling" / "weights"
    synvae, stored = load_model(weights / "synvae_digits_beta0.5.pt", expected_kind="synvae")
    visvae, _ = load_model(weights / "visvae_digits_beta0.5.pt", expected_kind="visvae")
    images = load_image_set("digits", seed=0)
    test_x, test_y = torch.as_tensor(images.test_x), torch.as_tensor(images.test_y)
    untrained = ImageClassifier(ClassifierConfig())  # accuracy is not compared here
    rows = {
        "visvae": evaluate_visvae(visvae, test_x, test_y, classifier=untrained),
        "synvae": evaluate_synvae(synvae, test_x, test_y, classifier=untrained, mine_steps=10),
    }
    for model, keys in {
        "visvae": ("mse", "kl", "p_at_10"),
        "synvae": ("mse", "kl", "p_at_10", "p_at_10_visual", "distinct_melodies"),
    }.items():
        for key in keys:
            assert rows[model][key] == pytest.approx(stored.metrics[model][key], rel=1e-5), key
