"""How well a MusicVAE models music, on held-out works: ``python -m modeling.synvae evaluate
--musicvae-ckpt M``.

All numbers come from the corpus the checkpoint was trained on (rebuilt, or read from its cache,
with the settings stored in the checkpoint), on its validation works only:
- teacher-forced loss terms, free-running reconstruction (encode to mu, decode by argmax) over
  all steps, over the steps where the melody has an event (``non_empty``), and whole melodies;
- latent dimensions in use (mean KL per dimension above 0.05 nats);
- prior samples (z ~ N(0, I)) decoded by argmax and at temperature 0.5, and the corpus's own
  validation windows, described by ``melody_stats`` and compared (within 20% is the target).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from modeling.checkpoint_io import CheckpointError, load_model
from modeling.data.melody import NO_EVENT
from modeling.synvae.melody_stats import against_corpus, melody_statistics
from modeling.synvae.musicvae import MusicVAE, musicvae_loss

TARGETS = {"free_running_non_empty": 0.80, "prior_within": 0.20}
PRIOR_DECODINGS = {"argmax": 0.0, "temperature_0.5": 0.5}
ACTIVE_KL = 0.05


@torch.no_grad()
def free_running_scores(model: MusicVAE, tokens: Tensor, *, batch_size: int = 512) -> dict:
    """Share of steps, of non-empty steps and of whole melodies reproduced (mu, argmax)."""
    model.eval()
    hits = non_empty_hits = non_empty = exact = 0
    for start in range(0, len(tokens), batch_size):
        truth = tokens[start : start + batch_size]
        decoded = model.decode(model.encode(truth)[0], sample=False).tokens
        same = decoded == truth
        hits += int(same.sum())
        events = truth != NO_EVENT
        non_empty += int(events.sum())
        non_empty_hits += int((same & events).sum())
        exact += int(same.all(dim=1).sum())
    return {
        "free_running_accuracy": hits / tokens.numel(),
        "free_running_non_empty": non_empty_hits / max(non_empty, 1),
        "exact_melodies": exact / len(tokens),
    }


@torch.no_grad()
def teacher_forced_terms(model: MusicVAE, tokens: Tensor, *, batch_size: int = 512) -> dict:
    """Reconstruction (nats per melody), KL, step accuracy and latent dimensions in use."""
    model.eval()
    totals = {"reconstruction": 0.0, "kl": 0.0, "step_accuracy": 0.0}
    kl_per_dim = torch.zeros(model.config.z_size)
    for start in range(0, len(tokens), batch_size):
        truth = tokens[start : start + batch_size]
        mu, sigma = model.encode(truth)
        logits = model.decode_teacher_forced(mu, truth)
        terms = musicvae_loss(logits=logits, targets=truth, mu=mu, sigma=sigma, beta=0, free_bits=0)
        for name in totals:
            totals[name] += terms.metrics[name] * len(truth)
        variance = sigma.pow(2)
        kl_per_dim += (0.5 * (variance + mu.pow(2) - 1 - torch.log(variance + 1e-12))).sum(0).cpu()
    n = len(tokens)
    kl_per_dim /= n
    return {
        **{name: value / n for name, value in totals.items()},
        "active_dims": int((kl_per_dim > ACTIVE_KL).sum()),
        "z_size": model.config.z_size,
    }


@torch.no_grad()
def prior_melodies(model: MusicVAE, n: int, *, temperature: float, seed: int) -> Tensor:
    """``n`` melodies from z ~ N(0, I): argmax (temperature 0) or sampled at ``temperature``."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    z = torch.randn(n, model.config.z_size, generator=generator).to(device)
    sample = temperature > 0
    return model.decode(
        z,
        sample=sample,
        temperature=temperature or 1.0,
        generator=generator if not sample else None,
    ).tokens.cpu()


def evaluate_musicvae(
    model: MusicVAE, val: Tensor, *, seed: int = 0, subset: int = 2048, prior_samples: int = 1000
) -> dict:
    """The numbers of the module docstring for a model and its validation windows [N, 32]."""
    from modeling.synvae.train import validation_rows

    held_out = val[validation_rows(len(val), size=subset, seed=seed)]
    torch.manual_seed(seed)
    corpus = melody_statistics(val)
    prior = {}
    for name, temperature in PRIOR_DECODINGS.items():
        stats = melody_statistics(
            prior_melodies(model, prior_samples, temperature=temperature, seed=seed)
        )
        prior[name] = dict(stats, against_corpus=against_corpus(stats, corpus, tolerance=0.2))
    return {
        "held_out_windows": len(held_out),
        **free_running_scores(model, held_out),
        **teacher_forced_terms(model, held_out),
        "corpus_val_melodies": corpus,
        "prior": prior,
        "targets": TARGETS,
    }


def corpus_of_checkpoint(checkpoint, *, cache_path: Path | str | None):
    """The melody corpus a MusicVAE checkpoint was trained on (from the cache when it matches)."""
    from modeling.data.corpus import build_melody_corpus

    settings = checkpoint.data_description.get("settings")
    if not settings:
        raise CheckpointError(f"{checkpoint.path} does not say which corpus it was trained on")
    corpus = build_melody_corpus(
        max_works=settings["max_works"],
        sources=settings["sources"],
        transpositions=settings["transpositions"],
        val_fraction=settings["val_fraction"],
        seed=settings["seed"],
        min_sounding_fraction=settings["min_sounding_fraction"],
        cache_path=Path(cache_path) if cache_path else None,
    )
    stored_val = checkpoint.data_description.get("works", {}).get("val_ids")
    if stored_val is not None and corpus.description["works"]["val_ids"] != stored_val:
        raise CheckpointError(
            f"the rebuilt corpus's validation works differ from {checkpoint.path}'s"
        )
    return corpus


def evaluate_musicvae_checkpoint(
    *,
    checkpoint: Path | str,
    corpus_cache: Path | str | None = None,
    seed: int | None = None,
    device: str = "cpu",
    write: bool = False,
) -> dict:
    """Measure a MusicVAE checkpoint on its own validation works; optionally store the result."""
    from modeling.checkpoint_io import load_checkpoint, update_checkpoint_metrics

    model, saved = load_model(checkpoint, expected_kind="musicvae", device=device)
    corpus = corpus_of_checkpoint(saved, cache_path=corpus_cache)
    seed = saved.seed if seed is None else seed
    val = torch.as_tensor(corpus.val, dtype=torch.long).to(device)
    metrics = evaluate_musicvae(model, val, seed=seed or 0)
    if write:
        stored = load_checkpoint(checkpoint, expected_kind="musicvae").metrics
        update_checkpoint_metrics(checkpoint, dict(stored, held_out=metrics))
    return {
        "kind": "musicvae_evaluation",
        "checkpoint": str(checkpoint),
        "seed": seed,
        "written": write,
        "metrics": metrics,
    }
