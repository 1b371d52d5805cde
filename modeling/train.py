"""Training: one reusable loop, the entry points the worker calls, and a command line.

``train(model, loss_fn, data, config=...)`` runs Adam over shuffled mini-batches, evaluates on the
validation split, reports progress, writes resumable checkpoints and raises ``TrainingDiverged``
on a non-finite loss. ``train_musicvae``, ``train_synvae`` and ``beta_grid`` take and return plain
values (the Celery worker calls them). Command line::

    python -m modeling.train musicvae --preset cpu_demo --out modeling/checkpoints/musicvae.pt
    python -m modeling.train synvae --musicvae-ckpt m.pt --dataset digits --beta 0.5 --out s.pt
    python -m modeling.train beta-grid --musicvae-ckpt m.pt --betas 0.1 0.5 1.0 2.0 --out-dir d
    python -m modeling.train evaluate --synvae-ckpt s.pt --visvae-ckpt s.visvae.pt --write
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from modeling.checkpoints import (
    Checkpoint,
    CheckpointError,
    file_sha256,
    load_checkpoint,
    load_model,
    save_checkpoint,
)

LossFn = Callable[..., tuple[Tensor, dict[str, float]]]
ProgressFn = Callable[[dict], None]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message says at which step."""


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class TrainConfig:
    """How to train (not what): give ``steps`` or ``epochs``."""

    steps: int | None = None
    epochs: int | None = None
    learning_rate: float = 1e-3
    batch_size: int = 64
    seed: int = 0
    device: str = field(default_factory=default_device)
    grad_clip_norm: float | None = 1.0
    lr_decay_rate: float = 1.0  # Magenta: lr = (lr0 - min_lr) * rate ** step + min_lr
    min_learning_rate: float = 0.0
    log_every: int = 50
    eval_every: int = 500
    checkpoint_every: int = 1000
    time_limit_s: float | None = None
    keep_best: bool = False  # end with the weights of the best validation score seen
    best_metric: str = "loss"  # the validation metric keep_best compares ("accuracy", ...)
    best_maximize: bool = False  # True when a higher ``best_metric`` is better

    def total_steps(self, batches_per_epoch: int) -> int:
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("TrainConfig needs exactly one of steps or epochs")
        return self.steps if self.steps is not None else self.epochs * batches_per_epoch

    def learning_rate_at(self, step: int) -> float:
        decayed = (self.learning_rate - self.min_learning_rate) * self.lr_decay_rate**step
        return decayed + self.min_learning_rate


@dataclass
class TrainData:
    """Tensors that share a first dimension; ``batch = tuple(t[idx] for t in train)``."""

    train: tuple[Tensor, ...]
    val: tuple[Tensor, ...] | None = None
    description: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.train = tuple(self.train)
        self.val = tuple(self.val) if self.val is not None else None
        if len({t.shape[0] for t in self.train}) != 1:
            raise ValueError("all training tensors must have the same number of rows")

    @property
    def size(self) -> int:
        return self.train[0].shape[0]


@dataclass
class TrainResult:
    metrics: dict[str, float]
    history: list[dict]
    steps: int
    stopped: str  # "completed" or "time_limit"
    checkpoint_path: str | None = None


# ----- the loop ----------------------------------------------------------------------------------
def optimised_parameters(model: nn.Module) -> list[nn.Parameter]:
    """The model's own choice (``parameters_to_optimize``) or every parameter needing a gradient."""
    if hasattr(model, "parameters_to_optimize"):
        return list(model.parameters_to_optimize())
    return [p for p in model.parameters() if p.requires_grad]


def epoch_order(*, seed: int, epoch: int, size: int) -> Tensor:
    """The shuffled row order of one epoch: a function of (seed, epoch) so resuming repeats it."""
    return torch.randperm(size, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))


def batch_for_step(data: TrainData, *, step: int, batch_size: int, seed: int) -> tuple[Tensor, ...]:
    per_epoch = math.ceil(data.size / batch_size)
    epoch, position = divmod(step, per_epoch)
    rows = epoch_order(seed=seed, epoch=epoch, size=data.size)
    rows = rows[position * batch_size : (position + 1) * batch_size]
    return tuple(t[rows] for t in data.train)


@torch.no_grad()
def evaluate_loss(
    model: nn.Module,
    loss_fn: LossFn,
    tensors: tuple[Tensor, ...],
    *,
    batch_size: int,
    step: int,
    device: str,
) -> dict[str, float]:
    """Metrics of ``loss_fn`` over a whole split, weighted by batch size, in eval mode."""
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {}
    count = tensors[0].shape[0]
    # Evaluation draws random numbers too; forking keeps the training stream (and resume) intact.
    with torch.random.fork_rng(devices=[]):
        for start in range(0, count, batch_size):
            batch = tuple(t[start : start + batch_size].to(device) for t in tensors)
            _, metrics = loss_fn(model, batch, step=step)
            for name, value in metrics.items():
                totals[name] = totals.get(name, 0.0) + float(value) * batch[0].shape[0]
    model.train(was_training)
    return {name: total / count for name, total in totals.items()}


def _model_config_dict(model: nn.Module) -> dict:
    return model.config.to_dict()


def _make_checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    data: TrainData,
    config: TrainConfig,
    step: int,
    metrics: dict,
    history: list,
) -> Checkpoint:
    return Checkpoint(
        kind=model.kind,
        format_version=1,
        config=_model_config_dict(model),
        model_state={k: v.detach().cpu() for k, v in model.state_dict().items()},
        data_description=data.description,
        seed=config.seed,
        metrics=metrics,
        history=history,
        train_config=asdict(config),
        step=step,
        optimizer_state=optimizer.state_dict(),
        rng_state=torch.get_rng_state(),
    )


def _restore(
    model: nn.Module, optimizer: torch.optim.Optimizer, checkpoint_path: Path, device: str
) -> tuple[int, list[dict]]:
    checkpoint = load_checkpoint(checkpoint_path, expected_kind=model.kind)
    if checkpoint.config != _model_config_dict(model):
        raise CheckpointError(
            f"{checkpoint_path} was trained with another {model.kind} config; "
            "start a new run instead of resuming"
        )
    model.load_state_dict(checkpoint.model_state)
    model.to(device)
    if checkpoint.optimizer_state is not None:
        optimizer.load_state_dict(checkpoint.optimizer_state)
    if checkpoint.rng_state is not None:
        torch.set_rng_state(checkpoint.rng_state)
    return checkpoint.step, list(checkpoint.history)


class BestWeights:
    """Remembers the weights of the best validation score (when enabled) within one call.

    The score is minimised, or maximised with ``maximize=True``; on a tie the earlier weights stay.
    """

    def __init__(self, *, enabled: bool, maximize: bool = False) -> None:
        self.enabled, self.sign = enabled, -1.0 if maximize else 1.0
        self.score, self.step, self.state = math.inf, None, None

    def offer(self, model: nn.Module, *, value: float, step: int) -> None:
        if self.enabled and self.sign * value < self.score:
            self.score, self.step = self.sign * value, step
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def restore(self, model: nn.Module) -> None:
        if self.state is not None:
            model.load_state_dict(self.state)


def _check_finite(loss: Tensor, step: int) -> None:
    if not torch.isfinite(loss):
        raise TrainingDiverged(
            f"training diverged: the loss became {float(loss.detach())} at step {step}; "
            "lower the learning rate or check the data"
        )


def train(
    model: nn.Module,
    loss_fn: LossFn,
    data: TrainData,
    *,
    config: TrainConfig,
    on_progress: ProgressFn | None = None,
    checkpoint_path: Path | None = None,
    resume: bool = False,
) -> TrainResult:
    """Train ``model`` by minimising ``loss_fn(model, batch, step=step) -> (loss, metrics)``.

    Resuming (``resume=True`` and an existing ``checkpoint_path``) restores weights, optimiser,
    step, history and RNG state, so a resumed run takes the same steps as an uninterrupted one.
    """
    device = config.device
    model.to(device)
    per_epoch = math.ceil(data.size / config.batch_size)
    total = config.total_steps(per_epoch)
    torch.manual_seed(config.seed)
    optimizer = torch.optim.Adam(optimised_parameters(model), lr=config.learning_rate)
    step, history = 0, []
    if resume and checkpoint_path is not None and Path(checkpoint_path).exists():
        step, history = _restore(model, optimizer, Path(checkpoint_path), device)
    started, running, stopped = time.monotonic(), {}, "completed"
    best = BestWeights(enabled=config.keep_best, maximize=config.best_maximize)
    model.train()
    while step < total:
        batch = batch_for_step(data, step=step, batch_size=config.batch_size, seed=config.seed)
        loss, metrics = loss_fn(model, tuple(t.to(device) for t in batch), step=step)
        _check_finite(loss, step)
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate_at(step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip_norm:
            nn.utils.clip_grad_norm_(optimised_parameters(model), config.grad_clip_norm)
        optimizer.step()
        step += 1
        for name, value in metrics.items():
            running.setdefault(name, []).append(float(value))
        elapsed = time.monotonic() - started
        out_of_time = config.time_limit_s is not None and elapsed > config.time_limit_s
        if step % config.log_every == 0 or step == total or out_of_time:
            record = {"step": step, "epoch": step / per_epoch, "elapsed_s": round(elapsed, 2)}
            record.update({f"train_{k}": sum(v) / len(v) for k, v in running.items()})
            running = {}
            if data.val is not None and (
                step % config.eval_every == 0 or step == total or out_of_time
            ):
                val = evaluate_loss(
                    model, loss_fn, data.val, batch_size=config.batch_size, step=step, device=device
                )
                record.update({f"val_{k}": v for k, v in val.items()})
                best.offer(model, value=val[config.best_metric], step=step)
            history.append(record)
            if on_progress is not None:
                on_progress(dict(record, total_steps=total))
        if checkpoint_path is not None and step % config.checkpoint_every == 0 and step < total:
            save_checkpoint(
                _make_checkpoint(
                    model,
                    optimizer,
                    data=data,
                    config=config,
                    step=step,
                    metrics={},
                    history=history,
                ),
                checkpoint_path,
            )
        if out_of_time:
            stopped = "time_limit"
            break
    best.restore(model)
    metrics = final_metrics(model, loss_fn, data, config=config, step=step, history=history)
    if best.step is not None:
        metrics["best_step"] = best.step
    saved = None
    if checkpoint_path is not None:
        checkpoint = _make_checkpoint(
            model, optimizer, data=data, config=config, step=step, metrics=metrics, history=history
        )
        saved = str(save_checkpoint(checkpoint, checkpoint_path))
    return TrainResult(
        metrics=metrics, history=history, steps=step, stopped=stopped, checkpoint_path=saved
    )


def final_metrics(
    model: nn.Module,
    loss_fn: LossFn,
    data: TrainData,
    *,
    config: TrainConfig,
    step: int,
    history: list,
) -> dict[str, float]:
    """The last training averages plus a fresh pass over the validation split."""
    metrics = {k: v for k, v in (history[-1] if history else {}).items() if k.startswith("train_")}
    if data.val is not None:
        val = evaluate_loss(
            model, loss_fn, data.val, batch_size=config.batch_size, step=step, device=config.device
        )
        metrics.update({f"val_{k}": v for k, v in val.items()})
    metrics["steps"] = step
    return metrics


# ----- entry points the worker calls (plain values in, plain values out) -------------------------
MUSICVAE_TRAINING: dict[str, dict] = {
    "tiny": {"steps": 30, "batch_size": 16},
    "cpu_demo": {"steps": 2000, "batch_size": 128, "time_limit_s": 840.0},
    "small": {"steps": 50_000, "batch_size": 512},
    "big": {"steps": 100_000, "batch_size": 512},
}


@dataclass
class SynVAETraining:
    """How much to train each part of a SynVAE experiment."""

    visvae_epochs: int
    synvae_epochs: int
    classifier_epochs: int
    batch_size: int
    mine_steps: int
    width: float = 1.0
    learning_rate: float = 1e-3
    synvae_time_limit_s: float | None = None  # stop SynVAE training early on slow machines


SYNVAE_TRAINING: dict[str, SynVAETraining] = {
    "tiny": SynVAETraining(1, 1, 1, batch_size=32, mine_steps=60, width=0.25),
    "cpu_demo": SynVAETraining(
        30, 40, 40, batch_size=64, mine_steps=2000, synvae_time_limit_s=480.0
    ),
    "paper": SynVAETraining(100, 50, 20, batch_size=128, mine_steps=4000),
}

# The SynVAE's validation loss (read every 25 steps through argmax melodies, to keep the best
# weights) uses at most this many validation images: all of digits-28's 270, 1/10 of MNIST's.
SYNVAE_SELECTION_IMAGES = 1000

# Table 1 of Müller-Eberstein & van Noord (MNIST test set).
PAPER_MNIST = {
    "visvae": {"mse": 16.43, "kl": 24.38, "p_at_10": 0.31, "accuracy": 0.99},
    "synvae": {"mse": 36.66, "kl": 15.63, "p_at_10": 0.28, "accuracy": 0.96, "mi_nats": 5.03},
}


def _phase_progress(on_progress: ProgressFn | None, phase: str) -> ProgressFn | None:
    if on_progress is None:
        return None
    return lambda record: on_progress(dict(record, phase=phase))


def _musicvae_training_values(preset: str, **overrides) -> dict:
    if preset not in MUSICVAE_TRAINING:
        raise ValueError(
            f"unknown MusicVAE preset {preset!r}; choose from {sorted(MUSICVAE_TRAINING)}"
        )
    values = dict(MUSICVAE_TRAINING[preset])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values


def train_musicvae(
    *,
    out: Path | str,
    preset: str = "cpu_demo",
    seed: int = 0,
    steps: int | None = None,
    batch_size: int | None = None,
    learning_rate: float = 1e-3,
    time_limit_s: float | None = None,
    max_works: int | None = None,
    corpus_cache: Path | str | None = None,
    corpus=None,
    device: str | None = None,
    on_progress: ProgressFn | None = None,
    resume: bool = False,
) -> dict:
    """Train a MusicVAE on the music21 melody corpus (or a given ``MelodyCorpus``).

    Returns a JSON-ready dict: checkpoint path, metrics (validation loss terms and the share of
    steps reproduced by encode -> free-running argmax decode), steps, and how training stopped.
    """
    from modeling.musicvae import (
        MusicVAE,
        MusicVAEConfig,
        musicvae_step_loss,
        reconstruction_accuracy,
    )

    values = _musicvae_training_values(
        preset, steps=steps, batch_size=batch_size, time_limit_s=time_limit_s
    )
    if corpus is None:
        corpus = _default_corpus(max_works=max_works, seed=seed, cache_path=corpus_cache)
    train_tokens = torch.as_tensor(corpus.train, dtype=torch.long)
    val_tokens = torch.as_tensor(corpus.val, dtype=torch.long)
    config = TrainConfig(
        steps=values["steps"],
        batch_size=values["batch_size"],
        learning_rate=learning_rate,
        seed=seed,
        device=device or default_device(),
        lr_decay_rate=0.9999,
        min_learning_rate=1e-5,
        eval_every=250,
        log_every=25,
        checkpoint_every=250,
        time_limit_s=values.get("time_limit_s"),
    )
    torch.manual_seed(seed)
    model = MusicVAE(MusicVAEConfig.preset(preset))
    # Validation passes read at most 2,048 windows: a full pass would cost minutes on a CPU.
    data = TrainData(
        train=(train_tokens,), val=(val_tokens[:2048],), description=dict(corpus.description)
    )
    result = train(
        model,
        musicvae_step_loss,
        data,
        config=config,
        on_progress=on_progress,
        checkpoint_path=Path(out),
        resume=resume,
    )
    held_out = val_tokens[:2000].to(config.device)
    metrics = dict(result.metrics)
    metrics["val_free_running_accuracy"] = reconstruction_accuracy(model, held_out)
    metrics["parameters"] = sum(p.numel() for p in model.parameters())
    _update_checkpoint_metrics(Path(out), metrics)
    return {
        "kind": "musicvae",
        "preset": preset,
        "checkpoint": str(out),
        "metrics": metrics,
        "steps": result.steps,
        "stopped": result.stopped,
        "seed": seed,
    }


def _default_corpus(*, max_works: int | None, seed: int, cache_path: Path | str | None):
    """The music21 melody corpus (cached to ``cache_path`` when given)."""
    from modeling.data.corpus import build_melody_corpus

    cache = Path(cache_path) if cache_path is not None else None
    return build_melody_corpus(max_works=max_works, seed=seed, cache_path=cache)


def _update_checkpoint_metrics(path: Path, metrics: dict, **description) -> None:
    checkpoint = load_checkpoint(path, expected_kind=None)
    checkpoint.metrics = metrics
    checkpoint.data_description = dict(checkpoint.data_description, **description)
    save_checkpoint(checkpoint, path)


def load_image_set(dataset: str, *, seed: int = 0, limit: int | None = None):
    """The image set a SynVAE experiment trains on: ``digits`` (sklearn, 28x28) or ``mnist``."""
    from modeling.data import images

    if dataset == "digits":
        return images.load_digits_28(seed=seed)
    if dataset == "mnist":
        return images.load_mnist(limit=limit, seed=seed)
    raise ValueError(f"unknown dataset {dataset!r}; use 'digits' or 'mnist'")


@torch.no_grad()
def _in_batches(
    function: Callable[[Tensor], dict], images: Tensor, *, batch_size: int = 256
) -> dict:
    parts = [function(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    return {name: torch.cat([part[name] for part in parts]) for name in parts[0]}


def evaluate_visvae(
    model: nn.Module, images: Tensor, labels: Tensor, *, classifier: nn.Module
) -> dict:
    """MSE, KL, Precision@10 (on mu) and reconstruction-classification accuracy of a VisVAE."""
    from modeling import metrics as m

    model.eval()
    device = next(model.parameters()).device

    def run(batch: Tensor) -> dict:
        mu, logvar = model.encode(batch.to(device))
        return {"mu": mu.cpu(), "logvar": logvar.cpu(), "reconstruction": model.decode(mu).cpu()}

    out = _in_batches(run, images)
    predicted = m.predict_labels(classifier.cpu(), out["reconstruction"])
    return {
        "mse": m.summed_mse(out["reconstruction"], images),
        "kl": m.gaussian_kl(out["mu"], logvar=out["logvar"]),
        "p_at_10": m.precision_at_k(out["mu"], labels, k=10),
        "accuracy": m.accuracy(predicted, labels),
    }


def evaluate_synvae(
    model: nn.Module,
    images: Tensor,
    labels: Tensor,
    *,
    classifier: nn.Module,
    mi_images: Tensor | None = None,
    mine_steps: int = 2000,
    seed: int = 0,
) -> dict:
    """Table-1 metrics through the music a listener hears (argmax melodies, re-encoded).

    MSE and accuracy use images decoded from z_a; KL is the visual encoder's; Precision@10 is
    reported on z_a (the music latent) and on z_v; MI is the held-out MINE bound on (mu_v, mu_a),
    read on ``mi_images`` (default: ``images``).
    """
    from modeling import metrics as m

    model.eval()
    device = next(model.parameters()).device

    def run(batch: Tensor) -> dict:
        out = model.translate(batch.to(device))
        return {name: value.cpu() for name, value in out.items()}

    out = _in_batches(run, images)
    predicted = m.predict_labels(classifier.cpu(), out["reconstruction"])
    mi_out = out if mi_images is None else _in_batches(run, mi_images)
    mi = m.mine_lower_bound(mi_out["mu_v"], mi_out["mu_a"], steps=mine_steps, seed=seed)
    return {
        "mse": m.summed_mse(out["reconstruction"], images),
        "kl": m.gaussian_kl(out["mu_v"], logvar=out["logvar_v"]),
        "p_at_10": m.precision_at_k(out["mu_a"], labels, k=10),
        "p_at_10_visual": m.precision_at_k(out["mu_v"], labels, k=10),
        "accuracy": m.accuracy(predicted, labels),
        "mi_nats": mi.nats,
        "mi_pairs_heldout": mi.n_heldout,
        "distinct_melodies": len({tuple(row.tolist()) for row in out["tokens"]}),
    }


def train_synvae(
    *,
    musicvae_ckpt: Path | str,
    out: Path | str,
    dataset: str = "digits",
    beta: float = 0.5,
    preset: str = "cpu_demo",
    seed: int = 0,
    relaxation: str = "straight_through",
    kl_warmup_steps: int = 0,
    sample_latents: bool = True,
    learning_rate: float | None = None,
    temperature: float = 1.0,
    feedback_gradient: bool = True,
    synvae_epochs: int | None = None,
    time_limit_s: float | None = None,
    visvae_ckpt: Path | str | None = None,
    mnist_limit: int | None = None,
    image_set=None,
    device: str | None = None,
    on_progress: ProgressFn | None = None,
) -> dict:
    """Train VisVAE (baseline), a classifier on real images, then SynVAE; evaluate both on test.

    Writes ``out`` (the SynVAE checkpoint) and ``<out stem>.visvae.pt`` next to it. The SynVAE's
    visual encoder and decoder start from the trained VisVAE, as in the paper's pipeline.
    Returns a JSON-ready dict with both metric rows and the paper's numbers for comparison.
    """
    from modeling.synvae import SynVAE, SynVAEConfig, synvae_step_loss
    from modeling.visvae import VisVAE, VisVAEConfig, visvae_step_loss

    plan = synvae_plan(preset)
    synvae_learning_rate = learning_rate or plan.learning_rate
    device = device or default_device()
    out = Path(out)
    music, music_checkpoint = load_model(musicvae_ckpt, expected_kind="musicvae", device=device)
    images = (
        image_set
        if image_set is not None
        else load_image_set(dataset, seed=seed, limit=mnist_limit)
    )
    description = {
        "images": dict(images.description),
        "dataset": dataset,
        "musicvae_checkpoint": str(musicvae_ckpt),
        "musicvae_sha256": file_sha256(musicvae_ckpt),
        "musicvae_data": music_checkpoint.data_description.get("source"),
    }

    def fit(model, loss_fn, tensors, val, epochs, phase, path, time_limit_s=None):
        is_synvae = phase == "synvae"
        config = TrainConfig(
            time_limit_s=time_limit_s,
            keep_best=is_synvae,
            epochs=epochs,
            batch_size=plan.batch_size,
            learning_rate=synvae_learning_rate if is_synvae else plan.learning_rate,
            seed=seed,
            device=device,
            eval_every=25 if is_synvae else 10**9,
            log_every=25,
            checkpoint_every=10**9,
        )
        data = TrainData(train=tensors, val=val, description=description)
        return train(
            model,
            loss_fn,
            data,
            config=config,
            on_progress=_phase_progress(on_progress, phase),
            checkpoint_path=path,
        )

    train_x, val_x = torch.as_tensor(images.train_x), torch.as_tensor(images.val_x)
    torch.manual_seed(seed)
    visual_config = VisVAEConfig(
        architecture=image_architecture(images),
        z_size=music.config.z_size,
        beta=beta,
        width=plan.width,
    )
    visvae_path = out.with_name(out.stem + ".visvae.pt")
    if visvae_ckpt is not None:
        visvae = _load_matching_visvae(visvae_ckpt, visual_config, device=device)
        save_checkpoint(load_checkpoint(visvae_ckpt, expected_kind="visvae"), visvae_path)
    else:
        visvae = VisVAE(visual_config)
        fit(
            visvae,
            visvae_step_loss,
            (train_x,),
            (val_x,),
            plan.visvae_epochs,
            "visvae",
            visvae_path,
        )

    classifier, clf = train_classifier(
        images,
        plan=plan,
        seed=seed,
        device=device,
        description=description,
        on_progress=_phase_progress(on_progress, "classifier"),
    )

    synvae_config = SynVAEConfig(
        visual=visual_config,
        music=music.config,
        beta=beta,
        relaxation=relaxation,
        kl_warmup_steps=kl_warmup_steps,
        sample_z_v=sample_latents,
        sample_z_a=sample_latents,
        temperature=temperature,
        feedback_gradient=feedback_gradient,
    )
    synvae = SynVAE(synvae_config, music=music, visual=copy.deepcopy(visvae))
    syn = fit(
        synvae,
        synvae_step_loss,
        (train_x,),
        (val_x[:SYNVAE_SELECTION_IMAGES],),
        synvae_epochs or plan.synvae_epochs,
        "synvae",
        out,
        time_limit_s or plan.synvae_time_limit_s,
    )

    metrics = evaluate_test_split(
        visvae, synvae, images, classifier=classifier, classifier_result=clf, plan=plan, seed=seed
    )
    metrics["synvae_train"] = syn.metrics
    store_test_metrics(visvae_path, out, metrics)
    return {
        "kind": "synvae",
        "preset": preset,
        "dataset": dataset,
        "beta": beta,
        "seed": seed,
        "relaxation": relaxation,
        "kl_warmup_steps": kl_warmup_steps,
        "sample_latents": sample_latents,
        "learning_rate": synvae_learning_rate,
        "temperature": temperature,
        "feedback_gradient": feedback_gradient,
        "checkpoint": str(out),
        "visvae_checkpoint": str(visvae_path),
        "metrics": metrics,
        "paper_mnist": PAPER_MNIST,
    }


def _load_matching_visvae(path: Path | str, config, *, device: str) -> nn.Module:
    """A trained VisVAE to reuse; it must have the config this experiment would train."""
    model, _ = load_model(path, expected_kind="visvae", device=device)
    if model.config != config:
        raise CheckpointError(
            f"{path} holds a VisVAE with config {model.config}, this experiment needs {config}"
        )
    return model


def synvae_plan(preset: str) -> SynVAETraining:
    if preset not in SYNVAE_TRAINING:
        raise ValueError(f"unknown SynVAE preset {preset!r}; choose from {sorted(SYNVAE_TRAINING)}")
    return SYNVAE_TRAINING[preset]


def image_architecture(images) -> str:
    """The VisVAE / classifier architecture an ``ImageSet``'s images need."""
    return "28x28x1" if images.image_shape[-1] == 28 else "64x64x3"


def train_classifier(
    images,
    *,
    plan: SynVAETraining,
    seed: int = 0,
    device: str = "cpu",
    epochs: int | None = None,
    description: dict | None = None,
    on_progress: ProgressFn | None = None,
) -> tuple[nn.Module, TrainResult]:
    """The evaluator of the accuracy metric: trained on the real train images of an ``ImageSet``.

    Validation accuracy is read after every epoch and the classifier ends with the weights of
    the best one (the earliest on a tie); the test images are never seen.
    """
    from modeling.classifier import ClassifierConfig, ImageClassifier, classifier_step_loss

    epochs = epochs or plan.classifier_epochs
    train_xy = (torch.as_tensor(images.train_x), torch.as_tensor(images.train_y))
    val_xy = (torch.as_tensor(images.val_x), torch.as_tensor(images.val_y))
    per_epoch = math.ceil(len(train_xy[0]) / plan.batch_size)
    config = TrainConfig(
        epochs=epochs,
        batch_size=plan.batch_size,
        learning_rate=plan.learning_rate,
        seed=seed,
        device=device,
        log_every=per_epoch,
        eval_every=per_epoch,
        checkpoint_every=10**9,
        keep_best=True,
        best_metric="accuracy",
        best_maximize=True,
    )
    torch.manual_seed(seed)
    classifier = ImageClassifier(
        ClassifierConfig(
            architecture=image_architecture(images),
            num_classes=len(images.classes),
            width=plan.width,
        )
    )
    data = TrainData(train=train_xy, val=val_xy, description=dict(description or {}))
    result = train(classifier, classifier_step_loss, data, config=config, on_progress=on_progress)
    result.metrics["epochs"] = epochs
    result.metrics["best_epoch"] = result.metrics["best_step"] / per_epoch
    return classifier, result


def _classifier_accuracy(classifier: nn.Module, images: Tensor, labels: Tensor) -> float:
    from modeling import metrics as m

    return m.accuracy(m.predict_labels(classifier.cpu(), images), labels)


def evaluate_test_split(
    visvae: nn.Module,
    synvae: nn.Module,
    images,
    *,
    classifier: nn.Module,
    classifier_result: TrainResult,
    plan: SynVAETraining,
    seed: int = 0,
) -> dict:
    """Both Table-1 rows on the test split (MI on val + test) and the classifier's own scores."""
    test_x, test_y = torch.as_tensor(images.test_x), torch.as_tensor(images.test_y)
    device = next(synvae.parameters()).device
    visvae_row = evaluate_visvae(visvae.to(device), test_x, test_y, classifier=classifier)
    synvae_row = evaluate_synvae(
        synvae,
        test_x,
        test_y,
        classifier=classifier,
        mi_images=torch.cat([torch.as_tensor(images.val_x), test_x]),
        mine_steps=plan.mine_steps,
        seed=seed,
    )
    return {
        "visvae": visvae_row,
        "synvae": synvae_row,
        "classifier_real_accuracy": _classifier_accuracy(classifier, test_x, test_y),
        "classifier_val": classifier_result.metrics,
    }


def store_test_metrics(visvae_path: Path | str, synvae_path: Path | str, metrics: dict) -> None:
    """Write the metrics into the SynVAE checkpoint and the VisVAE row into the VisVAE's."""
    visvae_metrics = {
        "test": metrics["visvae"],
        "classifier_real_accuracy": metrics["classifier_real_accuracy"],
        "classifier_epochs": metrics["classifier_val"]["epochs"],
    }
    _update_checkpoint_metrics(Path(visvae_path), visvae_metrics)
    _update_checkpoint_metrics(Path(synvae_path), metrics, visvae_checkpoint=str(visvae_path))


def _check_same_images(checkpoint: Checkpoint, images) -> None:
    trained_on = checkpoint.data_description.get("images")
    if trained_on is not None and trained_on != dict(images.description):
        raise CheckpointError(
            f"{checkpoint.path} was trained on {trained_on}, not on {images.description}; "
            "pass the dataset and seed it was trained with"
        )


def evaluate_checkpoints(
    *,
    synvae_ckpt: Path | str,
    visvae_ckpt: Path | str,
    dataset: str = "digits",
    preset: str = "cpu_demo",
    seed: int = 0,
    classifier_epochs: int | None = None,
    mnist_limit: int | None = None,
    image_set=None,
    device: str | None = None,
    write: bool = False,
    on_progress: ProgressFn | None = None,
) -> dict:
    """Measure trained VisVAE and SynVAE checkpoints again, with a newly trained classifier.

    Rebuilds the data split, trains the classifier as ``train_synvae`` does and recomputes both
    metric rows; with ``write=True`` they replace the metrics stored in both checkpoint files
    (the SynVAE's training metrics are kept). Returns a JSON-ready dict.
    """
    plan = synvae_plan(preset)
    device = device or default_device()
    images = (
        image_set
        if image_set is not None
        else load_image_set(dataset, seed=seed, limit=mnist_limit)
    )
    synvae, synvae_checkpoint = load_model(synvae_ckpt, expected_kind="synvae", device=device)
    visvae, visvae_checkpoint = load_model(visvae_ckpt, expected_kind="visvae", device=device)
    for checkpoint in (synvae_checkpoint, visvae_checkpoint):
        _check_same_images(checkpoint, images)
    classifier, clf = train_classifier(
        images,
        plan=plan,
        seed=seed,
        device=device,
        epochs=classifier_epochs,
        on_progress=_phase_progress(on_progress, "classifier"),
    )
    metrics = evaluate_test_split(
        visvae, synvae, images, classifier=classifier, classifier_result=clf, plan=plan, seed=seed
    )
    if "synvae_train" in synvae_checkpoint.metrics:
        metrics["synvae_train"] = synvae_checkpoint.metrics["synvae_train"]
    if write:
        store_test_metrics(visvae_ckpt, synvae_ckpt, metrics)
    return {
        "kind": "evaluation",
        "dataset": dataset,
        "preset": preset,
        "seed": seed,
        "synvae_checkpoint": str(synvae_ckpt),
        "visvae_checkpoint": str(visvae_ckpt),
        "written": write,
        "metrics": metrics,
        "paper_mnist": PAPER_MNIST,
    }


TABLE_METRICS = ("mse", "kl", "p_at_10", "accuracy", "mi_nats")


def metric_rows(metrics: dict) -> list[dict]:
    """One Table-1 row per model ("-" where a metric is not measured), for ``markdown_table``."""
    return [
        {"model": model, **{key: metrics[model].get(key, "-") for key in TABLE_METRICS}}
        for model in ("visvae", "synvae")
    ]


def beta_grid(
    *,
    musicvae_ckpt: Path | str,
    out_dir: Path | str,
    betas: Sequence[float] = (0.1, 0.5, 1.0, 2.0),
    dataset: str = "digits",
    preset: str = "cpu_demo",
    seed: int = 0,
    image_set=None,
    device: str | None = None,
    on_progress: ProgressFn | None = None,
) -> list[dict]:
    """Train one SynVAE per beta (the paper searched [0.1, 2.0]); one comparison row per beta."""
    if not betas or any(not 0.1 <= b <= 2.0 for b in betas):
        raise ValueError(f"betas must lie in [0.1, 2.0] (the paper's grid), got {list(betas)}")
    rows = []
    for beta in betas:
        result = train_synvae(
            musicvae_ckpt=musicvae_ckpt,
            out=Path(out_dir) / f"synvae_beta{beta:g}.pt",
            dataset=dataset,
            beta=beta,
            preset=preset,
            seed=seed,
            image_set=image_set,
            device=device,
            on_progress=on_progress,
        )
        rows.append(comparison_row(beta, result["metrics"]))
    return rows


def comparison_row(beta: float, metrics: dict) -> dict:
    vis, syn = metrics["visvae"], metrics["synvae"]
    return {
        "beta": beta,
        "visvae_mse": vis["mse"],
        "synvae_mse": syn["mse"],
        "visvae_kl": vis["kl"],
        "synvae_kl": syn["kl"],
        "visvae_p_at_10": vis["p_at_10"],
        "synvae_p_at_10": syn["p_at_10"],
        "visvae_accuracy": vis["accuracy"],
        "synvae_accuracy": syn["accuracy"],
        "synvae_mi_nats": syn["mi_nats"],
    }


def markdown_table(rows: Sequence[dict]) -> str:
    """Rows of equal keys as a Markdown table (numbers to 3 significant decimals)."""
    if not rows:
        return ""
    header = list(rows[0])
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()] for row in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


# ----- command line -------------------------------------------------------------------------------
def _print_progress(record: dict) -> None:
    keys = ("phase", "step", "total_steps", "elapsed_s", "train_loss", "train_mse", "train_kl")
    keys += ("train_accuracy", "train_distinct_melodies", "val_loss", "val_accuracy")
    keys += ("val_distinct_melodies",)
    print(json.dumps({k: record[k] for k in keys if k in record}), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modeling.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    commands = parser.add_subparsers(dest="command", required=True)
    music = commands.add_parser("musicvae", help="train a 2-bar melody MusicVAE")
    music.add_argument("--preset", default="cpu_demo", choices=sorted(MUSICVAE_TRAINING))
    music.add_argument("--out", required=True, type=Path)
    music.add_argument("--seed", type=int, default=0)
    music.add_argument("--steps", type=int)
    music.add_argument("--batch-size", type=int)
    music.add_argument("--time-limit-s", type=float)
    music.add_argument("--max-works", type=int)
    music.add_argument("--corpus-cache", type=Path)
    music.add_argument("--resume", action="store_true")
    for name in ("synvae", "beta-grid"):
        sub = commands.add_parser(
            name, help=f"train {'a SynVAE' if name == 'synvae' else 'SynVAEs over betas'}"
        )
        sub.add_argument("--musicvae-ckpt", required=True, type=Path)
        sub.add_argument("--dataset", default="digits", choices=("digits", "mnist"))
        sub.add_argument("--preset", default="cpu_demo", choices=sorted(SYNVAE_TRAINING))
        sub.add_argument("--seed", type=int, default=0)
        sub.add_argument("--mnist-limit", type=int)
        if name == "synvae":
            sub.add_argument("--beta", type=float, default=0.5)
            sub.add_argument("--relaxation", default="straight_through")
            sub.add_argument("--kl-warmup-steps", type=int, default=0)
            sub.add_argument(
                "--no-sample-latents",
                dest="sample_latents",
                action="store_false",
                help="train on mu_v and mu_a instead of samples (the path image_to_melody uses)",
            )
            sub.add_argument("--visvae-ckpt", type=Path, help="reuse a trained VisVAE baseline")
            sub.add_argument("--learning-rate", type=float, help="SynVAE phase learning rate")
            sub.add_argument("--temperature", type=float, default=1.0, help="relaxation softmax")
            sub.add_argument("--synvae-epochs", type=int)
            sub.add_argument(
                "--no-feedback-gradient",
                dest="feedback_gradient",
                action="store_false",
                help="no gradient through the melody steps the decoder feeds back to itself",
            )
            sub.add_argument("--time-limit-s", type=float, help="SynVAE phase time limit")
            sub.add_argument("--out", required=True, type=Path)
        else:
            sub.add_argument("--betas", type=float, nargs="+", default=[0.1, 0.5, 1.0, 2.0])
            sub.add_argument("--out-dir", required=True, type=Path)
    _add_evaluate_parser(commands)
    return parser


def _add_evaluate_parser(commands) -> None:
    sub = commands.add_parser(
        "evaluate", help="measure trained SynVAE and VisVAE checkpoints again (new classifier)"
    )
    sub.add_argument("--synvae-ckpt", required=True, type=Path)
    sub.add_argument("--visvae-ckpt", required=True, type=Path)
    sub.add_argument("--dataset", default="digits", choices=("digits", "mnist"))
    sub.add_argument("--preset", default="cpu_demo", choices=sorted(SYNVAE_TRAINING))
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--mnist-limit", type=int)
    sub.add_argument("--classifier-epochs", type=int, help="default: the preset's")
    sub.add_argument(
        "--write", action="store_true", help="store the new metrics in both checkpoint files"
    )


def main(argv: Sequence[str] | None = None) -> dict | list:
    args = build_parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.command == "musicvae":
        result = train_musicvae(
            out=args.out,
            preset=args.preset,
            seed=args.seed,
            steps=args.steps,
            batch_size=args.batch_size,
            time_limit_s=args.time_limit_s,
            max_works=args.max_works,
            corpus_cache=args.corpus_cache,
            resume=args.resume,
            on_progress=_print_progress,
        )
    elif args.command == "synvae":
        result = train_synvae(
            musicvae_ckpt=args.musicvae_ckpt,
            out=args.out,
            dataset=args.dataset,
            beta=args.beta,
            preset=args.preset,
            seed=args.seed,
            relaxation=args.relaxation,
            kl_warmup_steps=args.kl_warmup_steps,
            sample_latents=args.sample_latents,
            visvae_ckpt=args.visvae_ckpt,
            learning_rate=args.learning_rate,
            temperature=args.temperature,
            feedback_gradient=args.feedback_gradient,
            synvae_epochs=args.synvae_epochs,
            time_limit_s=args.time_limit_s,
            mnist_limit=args.mnist_limit,
            on_progress=_print_progress,
        )
    elif args.command == "evaluate":
        result = evaluate_checkpoints(
            synvae_ckpt=args.synvae_ckpt,
            visvae_ckpt=args.visvae_ckpt,
            dataset=args.dataset,
            preset=args.preset,
            seed=args.seed,
            classifier_epochs=args.classifier_epochs,
            mnist_limit=args.mnist_limit,
            write=args.write,
            on_progress=_print_progress,
        )
        print(markdown_table(metric_rows(result["metrics"])))
    else:
        result = beta_grid(
            musicvae_ckpt=args.musicvae_ckpt,
            out_dir=args.out_dir,
            betas=args.betas,
            dataset=args.dataset,
            preset=args.preset,
            seed=args.seed,
            on_progress=_print_progress,
        )
        print(markdown_table(result))
    print(json.dumps(result, indent=2, default=str))
    return result


if __name__ == "__main__":
    main()
