"""Training the SynVAE family with the shared loop: plain values in, plain values out.

``train_musicvae``, ``train_synvae`` and ``beta_grid`` are what the worker calls and what
``python -m modeling.synvae train`` runs; each writes checkpoints and returns a JSON-ready dict.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from modeling.checkpoint_io import (
    CheckpointError,
    file_sha256,
    load_checkpoint,
    load_model,
    save_checkpoint,
    update_checkpoint_metrics,
)
from modeling.data.images import load_image_set
from modeling.device import default_device
from modeling.loop import ProgressFn, TrainConfig, TrainData, train, with_phase
from modeling.synvae.evaluate import (
    PAPER_MNIST,
    evaluate_test_split,
    image_architecture,
    store_test_metrics,
    train_classifier,
)
from modeling.synvae.model import SynVAE, SynVAEConfig, synvae_step_loss
from modeling.synvae.musicvae import (
    MusicVAE,
    MusicVAEConfig,
    musicvae_step_loss,
    reconstruction_accuracy,
)
from modeling.synvae.presets import (
    SYNVAE_SELECTION_IMAGES,
    musicvae_training_values,
    synvae_plan,
)
from modeling.synvae.visvae import VisVAE, VisVAEConfig, visvae_step_loss


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
    schedule: dict | None = None,
    checkpoint_every: int = 250,
) -> dict:
    """Train a MusicVAE on the music21 melody corpus (or a given ``MelodyCorpus``).

    ``schedule`` replaces config values of the preset (``beta_rate``, ``sampling_rate``: how
    fast KL annealing and scheduled sampling move, for runs shorter than Magenta's).

    Returns a JSON-ready dict: checkpoint path, metrics (validation loss terms and the share of
    steps reproduced by encode -> free-running argmax decode), steps, and how training stopped.
    """
    values = musicvae_training_values(
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
        checkpoint_every=checkpoint_every,
        time_limit_s=values.get("time_limit_s"),
    )
    torch.manual_seed(seed)
    model = MusicVAE(dataclasses.replace(MusicVAEConfig.preset(preset), **(schedule or {})))
    # Validation reads a seeded random subset: the val array is sorted (np.unique), so its head
    # would over-represent windows that start with a rest; a full pass costs minutes on a CPU.
    val_subset = val_tokens[validation_rows(len(val_tokens), size=VALIDATION_WINDOWS, seed=seed)]
    if config.device != "cpu":  # batches are then cut on the device, not copied to it each step
        train_tokens = train_tokens.to(config.device)
    data = TrainData(
        train=(train_tokens,),
        val=(val_subset,),
        description=dict(corpus.description, validation_subset=validation_subset_rule(seed)),
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
    metrics = dict(result.metrics)
    metrics["val_free_running_accuracy"] = reconstruction_accuracy(
        model, val_subset.to(config.device)
    )
    metrics["parameters"] = sum(p.numel() for p in model.parameters())
    update_checkpoint_metrics(out, metrics)
    return {
        "kind": "musicvae",
        "preset": preset,
        "checkpoint": str(out),
        "metrics": metrics,
        "steps": result.steps,
        "stopped": result.stopped,
        "seed": seed,
    }


VALIDATION_WINDOWS = 2048


def validation_rows(n_rows: int, *, size: int, seed: int) -> torch.Tensor:
    """``min(size, n_rows)`` row indices drawn without replacement with the seed, in order."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randperm(n_rows, generator=generator)[: min(size, n_rows)].sort().values


def validation_subset_rule(seed: int) -> str:
    return (
        f"{VALIDATION_WINDOWS} val windows drawn at random without replacement "
        f"(torch.randperm, seed {seed}); all of them when val has fewer"
    )


def _default_corpus(*, max_works: int | None, seed: int, cache_path: Path | str | None):
    """The music21 melody corpus (cached to ``cache_path`` when given)."""
    from modeling.data.corpus import build_melody_corpus

    cache = Path(cache_path) if cache_path is not None else None
    return build_melody_corpus(max_works=max_works, seed=seed, cache_path=cache)


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
            on_progress=with_phase(on_progress, phase),
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
        on_progress=with_phase(on_progress, "classifier"),
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
        "path": synvae_config.path_label,
        "melody_decoding": "argmax (straight-through while training; from mu_v when evaluating)",
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
