"""Held-out MAP of a TNN-C-CCA in both directions, beside its two baselines.

- ``tnn_c_cca``: the trained model's outputs;
- ``cluster_cca``: the Cluster-CCA projections alone (the network's input);
- ``random_projection``: the standardised inputs through seeded Gaussian matrices to the same
  width (what MAP looks like when nothing is aligned).

Every clip of the test split queries every test picture (music_to_image) and the reverse.
"""

from __future__ import annotations

import numpy as np
import torch

from modeling.retrieval.data import RetrievalSplit
from modeling.retrieval.metrics import map_both_directions
from modeling.retrieval.model import TNNClusterCCA


@torch.no_grad()
def embeddings(model: TNNClusterCCA, part: RetrievalSplit, *, seed: int) -> dict:
    """{method: (clip embeddings, picture embeddings)} for the model and both baselines."""
    model.eval()
    music = torch.as_tensor(part.music, dtype=torch.float32)
    images = torch.as_tensor(part.images, dtype=torch.float32)
    rng = np.random.default_rng(seed)
    width = model.config.output_dim
    random_music = rng.standard_normal((model.config.music_dim, width))
    random_images = rng.standard_normal((model.config.image_dim, width))
    return {
        "tnn_c_cca": (model.embed_music(music).numpy(), model.embed_image(images).numpy()),
        "cluster_cca": (model.cca_music(music).numpy(), model.cca_image(images).numpy()),
        "random_projection": (
            model.standardise_music(music).numpy() @ random_music,
            model.standardise_image(images).numpy() @ random_images,
        ),
    }


def evaluate_retrieval(model: TNNClusterCCA, part: RetrievalSplit, *, seed: int = 0) -> dict:
    """MAP both ways for each method, plus the counts."""
    result: dict = {"clips": int(len(part.music)), "pictures": int(len(part.images))}
    for method, (music, images) in embeddings(model, part, seed=seed).items():
        result[method] = map_both_directions(music, images, part.music_labels, part.image_labels)
    return result


def markdown_table(metrics: dict) -> str:
    rows = ["| method | clip -> picture MAP | picture -> clip MAP | mean |", "|---|---|---|---|"]
    for method in ("tnn_c_cca", "cluster_cca", "random_projection"):
        scores = metrics[method]
        rows.append(
            f"| {method} | {scores['music_to_image']:.3f} | {scores['image_to_music']:.3f} "
            f"| {scores['mean']:.3f} |"
        )
    return "\n".join(rows)
