"""Checkpoint files: one ``torch.save`` dict that says what it holds.

A checkpoint holds the model kind, the format version, the model config (a plain dict), the data
description, the seed, metrics and history, the weights, and - for resuming - the optimiser state,
the step and the random number generator state. ``load_checkpoint`` refuses a file of another
model kind or format version with a message that says which. Files hold plain values only
(dicts, lists, numbers, strings, tensors) and are read with ``weights_only=True``: no pickled
class or module path is stored, so moving code between modules never breaks old files.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used as asked (wrong kind, version, or config)."""


@dataclass
class Checkpoint:
    kind: str
    format_version: int
    config: dict
    model_state: dict
    data_description: dict = field(default_factory=dict)
    seed: int | None = None
    metrics: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    train_config: dict = field(default_factory=dict)
    step: int = 0
    optimizer_state: dict | None = None
    rng_state: Any = None
    path: str | None = None

    def to_file_dict(self) -> dict:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "path"}
        data["torch_version"] = str(torch.__version__)
        return data


def save_checkpoint(checkpoint: Checkpoint, path: Path | str) -> Path:
    """Write atomically (temporary file, then rename) so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    torch.save(checkpoint.to_file_dict(), temporary)
    os.replace(temporary, path)
    return path


def load_checkpoint(path: Path | str, *, expected_kind: str | None) -> Checkpoint:
    """Read a checkpoint; raise CheckpointError for another model kind or format version."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated or foreign file
        raise CheckpointError(f"{path} is not a readable checkpoint: {error}") from error
    if not isinstance(raw, dict) or "kind" not in raw or "format_version" not in raw:
        raise CheckpointError(f"{path} is not a Synlab checkpoint (no kind / format_version)")
    if expected_kind is not None and raw["kind"] != expected_kind:
        raise CheckpointError(
            f"{path} holds a {raw['kind']!r} model, expected a {expected_kind!r} model"
        )
    if raw["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {raw['format_version']}, this code reads "
            f"version {FORMAT_VERSION}; retrain or convert it"
        )
    raw.pop("torch_version", None)
    return Checkpoint(**raw, path=str(path))


# kind -> (module, config class, model class). A family adds its networks here; the module is
# imported only when a checkpoint of that kind is loaded.
MODEL_KINDS: dict[str, tuple[str, str, str]] = {
    "musicvae": ("modeling.synvae.musicvae", "MusicVAEConfig", "MusicVAE"),
    "visvae": ("modeling.synvae.visvae", "VisVAEConfig", "VisVAE"),
    "synvae": ("modeling.synvae.model", "SynVAEConfig", "SynVAE"),
    "classifier": ("modeling.synvae.classifier", "ClassifierConfig", "ImageClassifier"),
    "vis2mus": ("modeling.vis2mus.model", "Vis2MusConfig", "Vis2MusVAE"),
    "chronology": ("modeling.chronology.model", "ChronologyConfig", "ChronologyNet"),
    "acpnet": ("modeling.affect.model", "ACPNetConfig", "ACPNet"),
    "retrieval": ("modeling.retrieval.model", "RetrievalConfig", "TNNClusterCCA"),
}


def model_classes(kind: str) -> tuple[type, type]:
    """(ConfigClass, ModelClass) for a model kind."""
    if kind not in MODEL_KINDS:
        raise CheckpointError(f"unknown model kind {kind!r}")
    module_name, config_name, model_name = MODEL_KINDS[kind]
    module = importlib.import_module(module_name)
    return getattr(module, config_name), getattr(module, model_name)


def build_model(kind: str, config: dict) -> nn.Module:
    config_class, model_class = model_classes(kind)
    return model_class(config_class.from_dict(config))


def load_model(
    path: Path | str, *, expected_kind: str, device: str = "cpu"
) -> tuple[nn.Module, Checkpoint]:
    """Rebuild the model a checkpoint describes, with its weights, in eval mode."""
    checkpoint = load_checkpoint(path, expected_kind=expected_kind)
    model = build_model(checkpoint.kind, checkpoint.config)
    model.load_state_dict(checkpoint.model_state)
    return model.to(device).eval(), checkpoint


def slim_checkpoint(source: Path | str, destination: Path | str) -> Path:
    """Copy without optimiser and RNG state (for committing; resuming it restarts the optimiser)."""
    checkpoint = load_checkpoint(source, expected_kind=None)
    checkpoint.optimizer_state = None
    checkpoint.rng_state = None
    return save_checkpoint(checkpoint, destination)


def update_checkpoint_metrics(path: Path | str, metrics: dict, **description) -> None:
    """Replace the stored metrics (and add ``description`` entries) of a checkpoint file."""
    checkpoint = load_checkpoint(path, expected_kind=None)
    checkpoint.metrics = metrics
    checkpoint.data_description = dict(checkpoint.data_description, **description)
    save_checkpoint(checkpoint, path)


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
