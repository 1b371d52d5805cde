"""Training TNN-C-CCA: Cluster-CCA in closed form, then the triplet network with the shared loop.

``train_retrieval`` is what the worker calls and what ``python -m modeling.retrieval train``
runs. It standardises the inputs and fits Cluster-CCA on the training split, trains the two
branches with the batch-all cosine triplet loss (keeping the weights of the best validation
loss), measures held-out MAP against the baselines (``evaluate``) and writes one checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import torch

from modeling.affect.generated import AffectSet, generate_affect_set, shuffled_control
from modeling.checkpoint_io import update_checkpoint_metrics
from modeling.device import default_device
from modeling.loop import ProgressFn, TrainConfig, TrainData, train
from modeling.retrieval.data import picture_features, retrieval_split, training_rows
from modeling.retrieval.evaluate import evaluate_retrieval
from modeling.retrieval.model import RetrievalConfig, TNNClusterCCA, retrieval_loss
from modeling.retrieval.presets import training_values

GENERATED_IMAGE_SIZE = 32


def triplet_step_loss(model: TNNClusterCCA, batch, step: int):
    music, images, labels = batch
    music_embeddings, image_embeddings = model(music, images)
    return retrieval_loss(music_embeddings, image_embeddings, labels, margin=model.config.margin)


def rows_tensors(rows) -> tuple[torch.Tensor, ...]:
    music, images, labels = rows
    return (
        torch.as_tensor(music, dtype=torch.float32),
        torch.as_tensor(images, dtype=torch.float32),
        torch.as_tensor(labels, dtype=torch.int64),
    )


def train_retrieval(
    *,
    out: Path | str,
    preset: str = "cpu_demo",
    seed: int = 0,
    steps: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    per_class: int | None = None,
    shuffle_labels: bool = False,
    affect: AffectSet | None = None,
    data_cache: Path | str | None = None,
    device: str | None = None,
    on_progress: ProgressFn | None = None,
    resume: bool = False,
) -> dict:
    """Fit Cluster-CCA and train the triplet network on the generated affect set (or the given
    ``affect`` set). ``shuffle_labels`` permutes the labels first (the control)."""
    values = training_values(
        preset, steps=steps, batch_size=batch_size, lr=learning_rate, per_class=per_class
    )
    if affect is None:
        affect = generate_affect_set(
            per_class=values["per_class"],
            seed=seed,
            image_size=GENERATED_IMAGE_SIZE,
            cache_path=data_cache,
        )
    if shuffle_labels:
        affect = shuffled_control(affect, seed=seed)
    features = picture_features(affect)
    parts = {name: retrieval_split(affect, features, name) for name in ("train", "val", "test")}
    torch.manual_seed(seed)
    config = RetrievalConfig.preset(preset)
    model = TNNClusterCCA(config)
    train_rows = training_rows(parts["train"], paired=affect.paired, seed=seed)
    correlations = model.fit_cluster_cca(
        torch.as_tensor(train_rows[0]),
        torch.as_tensor(train_rows[1]),
        train_rows[2],
        train_rows[2],
        paired=True,  # the rows are pairs, made together or matched by class
    )
    data = TrainData(
        train=rows_tensors(train_rows),
        val=rows_tensors(training_rows(parts["val"], paired=affect.paired, seed=seed)),
        description=dict(
            affect.description,
            classes=list(affect.classes),
            picture_features="41-d colour / brightness / edge descriptor",
            paired=affect.paired,
        ),
    )
    train_config = TrainConfig(
        steps=values.get("steps"),
        epochs=values.get("epochs"),
        batch_size=values["batch_size"],
        learning_rate=values["lr"],
        seed=seed,
        device=device or default_device(),
        log_every=25,
        eval_every=100,
        checkpoint_every=500,
        keep_best=True,
    )
    result = train(
        model,
        triplet_step_loss,
        data,
        config=train_config,
        on_progress=on_progress,
        checkpoint_path=Path(out),
        resume=resume,
    )
    model = model.cpu()
    metrics = dict(result.metrics)
    metrics["cca_correlations"] = [round(float(c), 4) for c in correlations]
    metrics["parameters"] = sum(p.numel() for p in model.parameters())
    metrics["held_out"] = evaluate_retrieval(model, parts["test"], seed=seed)
    update_checkpoint_metrics(out, metrics, preset=preset, shuffled_labels=shuffle_labels)
    return {
        "kind": "retrieval",
        "preset": preset,
        "checkpoint": str(out),
        "metrics": metrics,
        "steps": result.steps,
        "stopped": result.stopped,
        "seed": seed,
    }
