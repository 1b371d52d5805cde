"""Training the chord/texture VAE with the shared loop: plain values in, plain values out.

``train_vis2mus`` is what the worker calls and what ``python -m modeling.vis2mus train`` runs;
it writes a resumable checkpoint and returns a JSON-ready dict.
"""

from __future__ import annotations

from pathlib import Path

import torch

from modeling.checkpoint_io import update_checkpoint_metrics
from modeling.device import default_device
from modeling.loop import ProgressFn, TrainConfig, TrainData, train
from modeling.vis2mus.data import SegmentCorpus, build_segment_corpus
from modeling.vis2mus.model import Vis2MusConfig, Vis2MusVAE, vis2mus_step_loss
from modeling.vis2mus.presets import training_values

# Validation passes read at most this many held-out segments (a pass costs seconds on a CPU).
VALIDATION_SEGMENTS = 1024


def corpus_tensors(corpus: SegmentCorpus) -> TrainData:
    def tensors(split):
        return (torch.as_tensor(split.rolls), torch.as_tensor(split.chords))

    val = tuple(t[:VALIDATION_SEGMENTS] for t in tensors(corpus.val))
    return TrainData(train=tensors(corpus.train), val=val, description=dict(corpus.description))


def train_vis2mus(
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
    corpus: SegmentCorpus | None = None,
    device: str | None = None,
    on_progress: ProgressFn | None = None,
    resume: bool = False,
    evaluate: bool = True,
) -> dict:
    """Train a chord/texture VAE on the segment corpus (or a given ``SegmentCorpus``).

    With ``evaluate`` the held-out reconstruction, chord and swap metrics
    (``modeling.vis2mus.evaluate``) are measured and stored in the checkpoint as well.
    """
    values = training_values(
        preset, steps=steps, batch_size=batch_size, time_limit_s=time_limit_s, max_works=max_works
    )
    if corpus is None:
        corpus = build_segment_corpus(
            max_works=values["max_works"], seed=seed, cache_path=corpus_cache
        )
    config = TrainConfig(
        steps=values["steps"],
        batch_size=values["batch_size"],
        learning_rate=learning_rate,
        seed=seed,
        device=device or default_device(),
        lr_decay_rate=0.9995,
        min_learning_rate=1e-5,
        log_every=25,
        eval_every=250,
        checkpoint_every=250,
        time_limit_s=values.get("time_limit_s"),
        keep_best=True,
    )
    torch.manual_seed(seed)
    model = Vis2MusVAE(Vis2MusConfig.preset(preset))
    result = train(
        model,
        vis2mus_step_loss,
        corpus_tensors(corpus),
        config=config,
        on_progress=on_progress,
        checkpoint_path=Path(out),
        resume=resume,
    )
    metrics = dict(result.metrics)
    metrics["parameters"] = sum(p.numel() for p in model.parameters())
    if evaluate:
        from modeling.vis2mus.evaluate import evaluate_model

        metrics["held_out"] = evaluate_model(model.eval(), corpus.val, seed=seed)
    update_checkpoint_metrics(out, metrics, preset=preset)
    return {
        "kind": "vis2mus",
        "preset": preset,
        "checkpoint": str(out),
        "metrics": metrics,
        "steps": result.steps,
        "stopped": result.stopped,
        "seed": seed,
    }
