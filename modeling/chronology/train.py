"""Training the chronological triplet network with the shared loop: plain values in and out.

``train_chronology`` is what the worker calls and what ``python -m modeling.chronology train``
runs. It takes a ``ChronologyData`` (the offline music corpus when none is given), samples
triplets from the training split (and, fixed, from the validation split for the loop's
validation loss and best-weights choice), trains, writes a resumable checkpoint and, with
``evaluate``, measures the held-out metrics and stores them in the checkpoint.

The thesis alternated (art, music, music) and (music, art, art) batches; here every batch
mixes the chosen triplet kinds in proportion (the loss is averaged over them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from modeling.checkpoint_io import update_checkpoint_metrics
from modeling.chronology.data import ChronologyData, plain_values
from modeling.chronology.model import TRIPLET_KINDS, ChronologyConfig, ChronologyNet, make_step_loss
from modeling.chronology.presets import training_values
from modeling.chronology.triplets import ModalityLabels, TripletWindows, sample_triplets
from modeling.device import default_device
from modeling.loop import ProgressFn, TrainConfig, TrainData, train

VARIANTS = {"unit": (True, 0.8), "free": (False, 10.0)}  # unit-norm margin 0.8, free margin 10


def default_kinds(data: ChronologyData) -> list[str]:
    """Cross-modal plus single-modality triplets where both modalities exist, else the one."""
    present = set(data.modalities())
    if present == {"music", "image"}:
        return list(TRIPLET_KINDS)
    if present == {"music"}:
        return ["music-music-music"]
    if present == {"image"}:
        return ["image-image-image"]
    raise ValueError("the data hold no dated items")


def network_config(
    preset: str, data: ChronologyData, *, variant: str, kinds: Sequence[str], **overrides
) -> ChronologyConfig:
    """The preset's sizes, fitted to the data's feature sizes and the variant's norm / margin."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose 'unit' or 'free'")
    unit_norm, margin = VARIANTS[variant]
    used = {modality for kind in kinds for modality in TRIPLET_KINDS[kind]}
    items = data.modalities()
    values = dict(
        unit_norm=unit_norm,
        margin=margin,
        with_music_branch="music" in used,
        with_image_branch="image" in used,
    )
    if "music" in used:
        values["music_dim"] = int(np.prod(items["music"].features.shape[1:]))
        values["music_features"] = data.description.get("music_features", "score")
    if "image" in used:
        shape = items["image"].features.shape[1:]
        if len(shape) == 3:
            values.update(image_input="pixels", pixel_size=int(shape[-1]))
        else:
            values["image_dim"] = int(shape[0])
            values["image_input"] = data.description.get("image_input", "features")
    values.update(overrides)
    return ChronologyConfig.preset(preset, **values)


def triplet_tensors(
    data: ChronologyData,
    *,
    split: str,
    kinds: Sequence[str],
    windows: TripletWindows,
    per_anchor: int,
    seed: int,
) -> tuple[tuple[torch.Tensor, torch.Tensor], dict]:
    labels = {
        modality: ModalityLabels(items.years, items.groups, items.in_split(split))
        for modality, items in data.modalities().items()
    }
    found = sample_triplets(labels, kinds=kinds, windows=windows, per_anchor=per_anchor, seed=seed)
    if len(found.rows) == 0:
        raise ValueError(
            f"no {split} triplet fits the windows (positive within {windows.positive_within:g} "
            f"years, negative {windows.negative_beyond:g}+ years apart)"
        )
    return (torch.as_tensor(found.rows), torch.as_tensor(found.kinds)), found.report


def train_chronology(
    *,
    out: Path | str,
    preset: str = "cpu_demo",
    data: ChronologyData | None = None,
    variant: str = "unit",
    kinds: Sequence[str] | None = None,
    windows: TripletWindows | None = None,
    seed: int = 0,
    steps: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    per_anchor: int | None = None,
    time_limit_s: float | None = None,
    max_works_per_source: int | None = None,
    corpus_seed: int = 0,
    corpus_cache: Path | str | None = None,
    device: str | None = None,
    on_progress: ProgressFn | None = None,
    resume: bool = False,
    evaluate: bool = True,
    k: int = 25,
    permutations: int = 999,
) -> dict:
    """Train one network (see the module docstring); returns a JSON-ready summary.

    ``seed`` seeds the network and the triplets; ``corpus_seed`` the offline corpus' choice of
    works and its split (so that several training seeds share one corpus and one test split).
    """
    values = training_values(
        preset,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        per_anchor=per_anchor,
        time_limit_s=time_limit_s,
        max_works_per_source=max_works_per_source,
    )
    if data is None:
        from modeling.chronology.corpus import DEFAULT_SOURCES, build_music_corpus

        data = build_music_corpus(
            sources=values.get("sources") or DEFAULT_SOURCES,
            max_works_per_source=values["max_works_per_source"],
            seed=corpus_seed,
            cache_path=corpus_cache,
        )
    kinds = list(kinds) if kinds else default_kinds(data)
    windows = windows or TripletWindows()
    sampling = dict(kinds=kinds, windows=windows, per_anchor=values["per_anchor"])
    train_triplets, train_report = triplet_tensors(data, split="train", seed=seed, **sampling)
    try:
        val_triplets, val_report = triplet_tensors(data, split="val", seed=seed + 1, **sampling)
    except ValueError as error:  # a small corpus: train without a validation loss
        val_triplets, val_report = None, {"none": str(error)}
    torch.manual_seed(seed)
    model = ChronologyNet(network_config(preset, data, variant=variant, kinds=kinds))
    pools = {}
    for modality, items in data.modalities().items():
        if getattr(model, modality) is None:
            continue
        pools[modality] = torch.as_tensor(items.features)
        train_rows = pools[modality][torch.as_tensor(items.in_split("train"))]
        model.set_standardisation(modality, train_rows.mean(0), train_rows.std(0))
    description = plain_values(
        dict(
            data.description,
            triplets={
                "kinds": kinds,
                "positive_within_years": windows.positive_within,
                "negative_beyond_years": windows.negative_beyond,
                "per_anchor": values["per_anchor"],
                "positive_from_another_work": True,
                "train": train_report,
                "val": val_report,
            },
            variant=variant,
            preset=preset,
        )
    )
    config = TrainConfig(
        steps=values["steps"],
        batch_size=values["batch_size"],
        learning_rate=values["learning_rate"],
        seed=seed,
        device=device or default_device(),
        log_every=max(1, min(50, values["steps"] // 10)),
        eval_every=max(1, min(250, values["steps"] // 4)),
        checkpoint_every=500,
        time_limit_s=values.get("time_limit_s"),
        keep_best=True,
    )
    result = train(
        model,
        make_step_loss(pools),
        TrainData(train=train_triplets, val=val_triplets, description=description),
        config=config,
        on_progress=on_progress,
        checkpoint_path=Path(out),
        resume=resume,
    )
    metrics = dict(result.metrics)
    metrics["parameters"] = sum(p.numel() for p in model.parameters())
    if evaluate:
        from modeling.chronology.evaluate import evaluate_model

        model.to("cpu")
        metrics["held_out"] = evaluate_model(model, data, k=k, permutations=permutations, seed=seed)
    metrics = plain_values(metrics)
    update_checkpoint_metrics(out, metrics)
    return {
        "kind": "chronology",
        "preset": preset,
        "variant": variant,
        "checkpoint": str(out),
        "metrics": metrics,
        "steps": result.steps,
        "stopped": result.stopped,
        "seed": seed,
    }
