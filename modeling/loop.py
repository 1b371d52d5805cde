"""The training loop every model family shares.

``train(model, loss_fn, data, config=...)`` runs Adam over shuffled mini-batches, evaluates on the
validation split, reports progress, writes resumable checkpoints and raises ``TrainingDiverged``
on a non-finite loss. A model hands itself to the loop with three things: ``model.kind`` and
``model.config.to_dict()`` (stored in the checkpoint) and optionally ``parameters_to_optimize()``;
a loss function is ``loss_fn(model, batch, step=step) -> (loss, metrics)``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn

from modeling.checkpoint_io import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from modeling.device import default_device

LossFn = Callable[..., tuple[Tensor, dict[str, float]]]
ProgressFn = Callable[[dict], None]


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message says at which step."""


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
        config=model.config.to_dict(),
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
    if checkpoint.config != model.config.to_dict():
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


def with_phase(on_progress: ProgressFn | None, phase: str) -> ProgressFn | None:
    """A progress callback that tags each record with the phase of a multi-part run."""
    if on_progress is None:
        return None
    return lambda record: on_progress(dict(record, phase=phase))
