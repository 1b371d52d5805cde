"""Training the SynVAE family: the worker's entry points and `python -m modeling.synvae train`."""

import pytest
import torch

from modeling.checkpoint_io import load_checkpoint, load_model
from modeling.data.melody import STEPS
from modeling.synvae.cli import main
from modeling.synvae.train import beta_grid, train_musicvae, train_synvae
from tests.modeling.synvae.tiny import synthetic_corpus, synthetic_images, trained_tiny_synvae


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
    import modeling.synvae.train as train_module

    monkeypatch.setattr(train_module, "_default_corpus", lambda **_: synthetic_corpus())
    out = str(tmp_path / "m.pt")
    result = main(["train", "musicvae", "--preset", "tiny", "--steps", "4", "--out", out])
    assert result["steps"] == 4
    assert '"kind": "musicvae"' in capsys.readouterr().out


def test_musicvae_validation_reads_a_seeded_random_subset_not_the_head_of_the_sorted_array():
    from modeling.synvae.train import validation_rows

    rows = validation_rows(10_000, size=2048, seed=0)
    assert len(rows) == 2048 == len(set(rows.tolist()))
    assert torch.equal(rows, validation_rows(10_000, size=2048, seed=0))
    assert not torch.equal(rows, validation_rows(10_000, size=2048, seed=1))
    assert int(rows.max()) > 9000  # drawn from the whole array, not its first 2,048 rows
    assert validation_rows(16, size=2048, seed=0).tolist() == list(range(16))


def test_train_musicvae_records_how_its_validation_windows_were_drawn(tmp_path):
    out = tmp_path / "music.pt"
    train_musicvae(out=out, preset="tiny", steps=2, corpus=synthetic_corpus(), device="cpu")
    rule = load_checkpoint(out, expected_kind="musicvae").data_description["validation_subset"]
    assert "at random" in rule and "seed 0" in rule
