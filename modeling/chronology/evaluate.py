"""Held-out measurements of a chronological embedding (``modeling.chronology.metrics``).

``evaluate_model`` embeds every item, then on the evaluation split (``test``) reports, for each
direction the data allow (M->M, A->A, M->A, A->M; a direction needs more than K items from
other works), P@K and AD@K with their shuffled-year baselines and p-values, and the year
regression MAE per modality (ridge fitted on the training split's embeddings). The same
numbers for the standardised input features (no network) are the ``features_only`` baseline:
they show what the network adds over its inputs. ``across_sources`` asks the harder question
where works are dated by their composer: with neighbours from other composers only, and years
shuffled per composer, is the embedding still ordered by time?
"""

from __future__ import annotations

import numpy as np
import torch

from modeling.chronology.data import ChronologyData, ModalityItems
from modeling.chronology.metrics import (
    DEFAULT_K,
    DEFAULT_PERMUTATIONS,
    DEFAULT_WITHIN,
    DIRECTIONS,
    direction_scores,
    year_regression,
)
from modeling.chronology.model import ChronologyNet


@torch.no_grad()
def embed_items(model: ChronologyNet, modality: str, items: ModalityItems) -> np.ndarray:
    """[n, embedding_dim] embeddings of every item (eval mode, batches of 512)."""
    model.eval()
    device = next(model.parameters()).device
    features = torch.as_tensor(items.features)
    out = [
        model.encode(modality, features[i : i + 512].to(device)).cpu().numpy()
        for i in range(0, len(features), 512)
    ]
    return np.concatenate(out) if out else np.zeros((0, model.config.embedding_dim))


def standardised_features(data: ChronologyData) -> dict[str, np.ndarray]:
    """Every modality's features flattened and standardised with the training split's mean/sd."""
    out = {}
    for modality, items in data.modalities().items():
        flat = items.features.reshape(len(items), -1).astype(float)
        train = flat[items.in_split("train")]
        out[modality] = (flat - train.mean(0)) / np.maximum(train.std(0), 1e-6)
    return out


def evaluate_embeddings(
    embeddings: dict[str, np.ndarray],
    data: ChronologyData,
    *,
    split: str = "test",
    k: int = DEFAULT_K,
    within: float = DEFAULT_WITHIN,
    permutations: int = DEFAULT_PERMUTATIONS,
    exclude_same_group: bool = True,
    cross_modal: bool = True,
    group_by: str = "groups",
    seed: int = 0,
) -> dict:
    """``{"k", "split", "directions": {name: scores}, "year_regression": {...}, "skipped"}``.

    ``cross_modal=False`` leaves out M->A and A->M (for spaces that are not shared).
    ``group_by="sources"`` treats each composer (artist) as one group: neighbours come from
    other composers only and the shuffles deal years out per composer.
    """
    if group_by not in ("groups", "sources"):
        raise ValueError("group_by must be 'groups' (works) or 'sources' (composers, artists)")
    items = data.modalities()
    directions, skipped = {}, {}
    for name, (source_mod, search_mod) in DIRECTIONS.items():
        if source_mod not in embeddings or search_mod not in embeddings:
            skipped[name] = f"no {source_mod if source_mod not in embeddings else search_mod} items"
            continue
        if source_mod != search_mod and not cross_modal:
            skipped[name] = "the two modalities' features are not one space"
            continue
        source, search = items[source_mod], items[search_mod]
        in_source, in_search = source.in_split(split), search.in_split(split)
        try:
            directions[name] = direction_scores(
                embeddings[source_mod][in_source],
                embeddings[search_mod][in_search],
                source_years=source.years[in_source],
                search_years=search.years[in_search],
                source_groups=getattr(source, group_by)[in_source],
                search_groups=getattr(search, group_by)[in_search],
                same_set=source_mod == search_mod,
                k=k,
                within=within,
                permutations=permutations,
                exclude_same_group=exclude_same_group,
                seed=seed,
            )
        except ValueError as error:
            skipped[name] = str(error)
    return {
        "k": k,
        "within_years": within,
        "split": split,
        "grouped_by": "work" if group_by == "groups" else "source",
        "directions": directions,
        "year_regression": regressions(
            embeddings, data, split=split, seed=seed, together=cross_modal
        ),
        "skipped": skipped,
    }


def regressions(
    embeddings: dict[str, np.ndarray],
    data: ChronologyData,
    *,
    split: str,
    seed: int,
    together: bool = True,
) -> dict:
    """Year-regression MAE per modality, and (``together``) on both where there are two."""
    items = data.modalities()
    parts = {m: (embeddings[m], items[m]) for m in embeddings if m in items}
    if len(parts) == 2 and together:
        parts["both"] = (
            np.concatenate([embeddings["music"], embeddings["image"]]),
            _concatenate(items["music"], items["image"]),
        )
    out = {}
    for name, (embedded, group) in parts.items():
        train, test = group.in_split("train"), group.in_split(split)
        if train.sum() < 3 or test.sum() < 1:
            continue
        out[name] = year_regression(
            embedded[train],
            group.years[train],
            group.groups[train],
            embedded[test],
            group.years[test],
            seed=seed,
        )
    return out


def evaluate_model(
    model: ChronologyNet,
    data: ChronologyData,
    *,
    split: str = "test",
    k: int = DEFAULT_K,
    within: float = DEFAULT_WITHIN,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 0,
    features_baseline: bool = True,
    across_sources: bool = True,
) -> dict:
    """The network's scores, (``features_only``) the same on its standardised inputs, and
    (``across_sources``) the same-modality scores with other composers' works only."""
    embeddings = model_embeddings(model, data)
    options = dict(split=split, k=k, within=within, permutations=permutations, seed=seed)
    result = evaluate_embeddings(embeddings, data, **options)
    if features_baseline:
        result["features_only"] = evaluate_embeddings(
            standardised_features(data), data, cross_modal=False, **options
        )
    if across_sources:
        result["across_sources"] = across_source_scores(embeddings, data, **options)
    return result


def across_source_scores(embeddings: dict[str, np.ndarray], data: ChronologyData, **options):
    """Same-modality directions with neighbours from other composers / artists only, against
    years shuffled per composer: does the embedding date works beyond telling composers apart?
    (Cross-modal directions never share a composer, so they are the same as above.)"""
    result = evaluate_embeddings(embeddings, data, cross_modal=False, group_by="sources", **options)
    result.pop("year_regression")
    return result


def model_embeddings(model: ChronologyNet, data: ChronologyData) -> dict[str, np.ndarray]:
    """Embeddings of every modality the data and the network both have."""
    out = {}
    for modality, items in data.modalities().items():
        if getattr(model, modality) is not None:
            out[modality] = embed_items(model, modality, items)
    return out


def markdown_table(result: dict) -> str:
    """The directions as a markdown table (network and, where measured, features only)."""
    lines = [
        f"| direction | P@{result['k']} | shuffled | p | AD@{result['k']} | shuffled | p |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [("", result)]
    if "features_only" in result:
        rows.append((" (features only)", result["features_only"]))
    if "across_sources" in result:
        rows.append((" (other composers only)", result["across_sources"]))
    for label, part in rows:
        for name, s in part["directions"].items():
            lines.append(
                f"| {name}{label} | {s['precision_at_k']:.3f} | {s['shuffled_precision_at_k']:.3f}"
                f" | {s['p_value']:.4f} | {s['ad_at_k']:.1f} | {s['shuffled_ad_at_k']:.1f}"
                f" | {s['ad_p_value']:.4f} |"
            )
    return "\n".join(lines)


def _concatenate(first: ModalityItems, second: ModalityItems) -> ModalityItems:
    """Two modalities' labels in one (features left out: only years, groups and splits)."""
    return ModalityItems(
        features=np.zeros((len(first) + len(second), 1)),
        years=np.concatenate([first.years, second.years]),
        uncertainty=np.concatenate([first.uncertainty, second.uncertainty]),
        groups=np.concatenate(
            [np.char.add("music:", first.groups), np.char.add("image:", second.groups)]
        ),
        sources=np.concatenate([first.sources, second.sources]),
        split=np.concatenate([first.split, second.split]),
        names=np.concatenate([first.names, second.names]),
    )
