"""Held-out measurements of an ACP-Net: the correspondence task and the emotion probes.

``evaluate_acpnet`` pairs the test split's pictures with its clips (all true pairs and as many
false ones, ``pairs.held_out_pairs``) and reports:

- ``accuracy``: share of pairs judged right (probability of "true" above one half); chance 0.5;
  the paper's 61.67% on IMAC is this number;
- ``auc``: the area under the ROC curve of the probabilities (threshold-free);
- ``true_pair_accuracy`` / ``false_pair_accuracy``: the two kinds separately;
- the emotion probes' accuracy on the test pictures and clips (chance 1 / classes).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from modeling.affect.generated import AffectSet
from modeling.affect.inputs import images_tensor
from modeling.affect.model import ACPNet
from modeling.affect.pairs import held_out_pairs, split_rows
from modeling.affect.probes import probe_accuracies
from modeling.affect.score import embed_images, embed_music, pair_probabilities


def correspondence_scores(
    model: ACPNet, affect: AffectSet, *, split: str = "test", seed: int = 0
) -> dict:
    image_rows, music_rows = split_rows(affect, split)
    pair_images, pair_clips, targets = held_out_pairs(
        affect.image_labels[image_rows], affect.music_labels[music_rows], seed=seed
    )
    images = embed_images(
        model, images_tensor(affect.images[image_rows], size=model.config.image_size)
    )
    music = embed_music(model, torch.as_tensor(affect.music[music_rows]))
    probabilities = pair_probabilities(model, images, music, pair_images, pair_clips)
    judged = probabilities > 0.5
    truth = targets == 1
    return {
        "split": split,
        "pairs": int(len(targets)),
        "pictures": int(len(image_rows)),
        "clips": int(len(music_rows)),
        "accuracy": float(np.mean(judged == truth)),
        "auc": float(roc_auc_score(truth, probabilities)) if 0 < truth.sum() < len(truth) else None,
        "true_pair_accuracy": float(np.mean(judged[truth])),
        "false_pair_accuracy": float(np.mean(~judged[~truth])),
        "chance": 0.5,
    }


def evaluate_acpnet(
    model: ACPNet, affect: AffectSet, *, split: str = "test", seed: int = 0
) -> dict:
    """Correspondence and probe metrics on a split (the test split unless told otherwise)."""
    model.eval()
    metrics = correspondence_scores(model, affect, split=split, seed=seed)
    metrics.update(probe_accuracies(model, affect, split=split))
    return metrics


def markdown_table(metrics: dict) -> str:
    rows = ["| metric | value |", "|---|---|"]
    for name, value in metrics.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        rows.append(f"| {name} | {shown} |")
    return "\n".join(rows)
