"""Checkpoint files: what they store, what they refuse, and the committed weights."""

from pathlib import Path

import pytest
import torch

from modeling.checkpoint_io import (
    CheckpointError,
    load_checkpoint,
    load_model,
    model_classes,
    save_checkpoint,
    slim_checkpoint,
)
from modeling.loop import train
from modeling.synvae.visvae import visvae_step_loss
from tests.modeling.synvae.tiny import config, image_data, tiny_visvae


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


WEIGHTS = Path(__file__).resolve().parents[2] / "modeling" / "weights"
FILE_PREFIX = {"acpnet": "affect"}  # a weights file is named by its family, or else its kind


@pytest.mark.parametrize("path", sorted(WEIGHTS.glob("*.pt")), ids=lambda path: path.name)
def test_every_committed_weights_file_rebuilds_its_model(path):
    kind = load_checkpoint(path, expected_kind=None).kind
    assert path.name.split("_")[0] == FILE_PREFIX.get(kind, kind)
    model, checkpoint = load_model(path, expected_kind=kind)
    config_class, model_class = model_classes(kind)
    assert isinstance(model, model_class) and not model.training
    assert config_class.from_dict(checkpoint.config) == model.config
    assert checkpoint.metrics  # every committed file carries the numbers its card reports


def test_an_unknown_kind_is_refused_by_name():
    with pytest.raises(CheckpointError, match="unknown model kind 'melody2000'"):
        model_classes("melody2000")
