"""Training ACP-Net with the shared loop: plain values in, plain values out.

``train_acpnet`` is what the worker calls and what ``python -m modeling.affect train`` runs:
it trains the correspondence network on balanced picture-clip pairs of the training split
(keeping the weights of the best validation accuracy), then the two emotion probes on the
frozen branches, measures the test split (``evaluate``) and writes one checkpoint holding all
of it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from modeling.affect.evaluate import evaluate_acpnet
from modeling.affect.generated import AffectSet, generate_affect_set, shuffled_control
from modeling.affect.inputs import images_tensor
from modeling.affect.model import ACPNet, ACPNetConfig, correspondence_loss
from modeling.affect.pairs import balanced_pairs, held_out_pairs, split_rows
from modeling.affect.presets import training_values
from modeling.affect.probes import train_probes
from modeling.checkpoint_io import load_checkpoint, save_checkpoint
from modeling.device import default_device
from modeling.loop import ProgressFn, TrainConfig, TrainData, train


def pair_step_loss(images: torch.Tensor, music: torch.Tensor):
    """The loop's loss over a batch of (picture row, clip row, target) into the whole set."""

    def step_loss(model: ACPNet, batch, step: int):
        image_rows, music_rows, targets = batch
        logits = model(images[image_rows], music[music_rows])
        return correspondence_loss(logits, targets)

    return step_loss


def pair_tensors(affect: AffectSet, *, pairs_per_image: int, seed: int) -> TrainData:
    """Balanced training pairs and all-true-plus-as-many-false validation pairs, as rows into
    the whole set."""
    rng = np.random.default_rng(seed)
    image_rows, music_rows = split_rows(affect, "train")
    i, m, t = balanced_pairs(
        affect.image_labels[image_rows],
        affect.music_labels[music_rows],
        per_image=pairs_per_image,
        rng=rng,
    )
    train_pairs = (image_rows[i], music_rows[m], t)
    val_images, val_music = split_rows(affect, "val")
    i, m, t = held_out_pairs(
        affect.image_labels[val_images], affect.music_labels[val_music], seed=seed
    )
    val_pairs = (val_images[i], val_music[m], t)
    description = dict(
        affect.description,
        classes=list(affect.classes),
        pictures=int(len(affect.images)),
        clips=int(len(affect.music)),
        train_pairs=int(len(train_pairs[2])),
        val_pairs=int(len(val_pairs[2])),
    )
    return TrainData(
        train=tuple(torch.as_tensor(a) for a in train_pairs),
        val=tuple(torch.as_tensor(a) for a in val_pairs),
        description=description,
    )


def generation_size(config: ACPNetConfig) -> int:
    """Pictures are drawn at the model's size, at least 32 pixels (smaller ones are reduced)."""
    return max(32, config.image_size)


def train_acpnet(
    *,
    out: Path | str,
    preset: str = "cpu_demo",
    seed: int = 0,
    steps: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    time_limit_s: float | None = None,
    per_class: int | None = None,
    shuffle_labels: bool = False,
    affect: AffectSet | None = None,
    data_cache: Path | str | None = None,
    device: str | None = None,
    on_progress: ProgressFn | None = None,
    resume: bool = False,
) -> dict:
    """Train an ACP-Net on the generated affect set (or the given ``affect`` set).

    ``shuffle_labels`` is the control: the labels are permuted at random before training, so
    nothing about them can be learned and held-out accuracy should stay near chance.
    """
    values = training_values(
        preset,
        steps=steps,
        batch_size=batch_size,
        lr=learning_rate,
        time_limit_s=time_limit_s,
        per_class=per_class,
    )
    config = ACPNetConfig.preset(preset)
    if affect is None:
        affect = generate_affect_set(
            per_class=values["per_class"],
            seed=seed,
            image_size=generation_size(config),
            cache_path=data_cache,
        )
    if shuffle_labels:
        affect = shuffled_control(affect, seed=seed)
    device = device or default_device()
    torch.manual_seed(seed)
    model = ACPNet(config)
    train_clips, _ = affect.music_of("train")
    model.set_music_scaling(torch.as_tensor(train_clips))
    data = pair_tensors(affect, pairs_per_image=values["pairs_per_image"], seed=seed)
    images = images_tensor(affect.images, size=config.image_size).to(device)
    music = torch.as_tensor(affect.music).to(device)
    train_config = TrainConfig(
        steps=values.get("steps"),
        epochs=values.get("epochs"),
        batch_size=values["batch_size"],
        learning_rate=values["lr"],
        seed=seed,
        device=device,
        log_every=25,
        eval_every=100,
        checkpoint_every=500,
        time_limit_s=values.get("time_limit_s"),
        keep_best=values.get("keep_best", True),
    )
    result = train(
        model,
        pair_step_loss(images, music),
        data,
        config=train_config,
        on_progress=on_progress,
        checkpoint_path=Path(out),
        resume=resume,
    )
    model = model.cpu()
    metrics = dict(result.metrics)
    metrics.update(train_probes(model, affect, seed=seed))
    metrics["parameters"] = sum(p.numel() for p in model.parameters())
    metrics["held_out"] = evaluate_acpnet(model, affect, seed=seed)
    store_final_weights(out, model, metrics, preset=preset, shuffled_labels=shuffle_labels)
    return {
        "kind": "acpnet",
        "preset": preset,
        "checkpoint": str(out),
        "metrics": metrics,
        "steps": result.steps,
        "stopped": result.stopped,
        "seed": seed,
    }


def store_final_weights(path: Path | str, model: ACPNet, metrics: dict, **description) -> None:
    """Rewrite the loop's checkpoint with the weights after the probes and the final metrics."""
    checkpoint = load_checkpoint(path, expected_kind="acpnet")
    checkpoint.model_state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    checkpoint.metrics = metrics
    checkpoint.data_description = dict(checkpoint.data_description, **description)
    save_checkpoint(checkpoint, path)
