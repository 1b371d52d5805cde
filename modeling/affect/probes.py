"""The per-modality emotion probes (ACP-Net paper, table 5): does a branch's embedding, learned
only from true / false correspondence, hold the emotion class?

Each probe is an MLP on the frozen branch embedding (the model's ``image_probe`` and
``music_probe``), trained with the emotion labels of the training pictures or clips. Chance is
1 / number of classes. The correspondence weights never change here.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from modeling.affect.generated import AffectSet
from modeling.affect.inputs import images_tensor
from modeling.affect.model import ACPNet
from modeling.affect.score import embed_images, embed_music

PROBE_STEPS = 400
PROBE_LEARNING_RATE = 1e-3


def _fit_probe(
    probe: nn.Module, embeddings: torch.Tensor, labels: torch.Tensor, *, seed: int, steps: int
) -> float:
    """Full-batch Adam on cross-entropy; returns the final training accuracy."""
    torch.manual_seed(seed)
    for layer in probe:
        if isinstance(layer, nn.Linear):
            layer.reset_parameters()
    optimizer = torch.optim.Adam(probe.parameters(), lr=PROBE_LEARNING_RATE)
    probe.train()
    for _ in range(steps):
        loss = F.cross_entropy(probe(embeddings), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    probe.eval()
    with torch.no_grad():
        return float((probe(embeddings).argmax(1) == labels).float().mean())


def modality_embeddings(model: ACPNet, affect: AffectSet, split: str) -> dict:
    """{"image": (embeddings, labels), "music": (embeddings, labels)} of one split."""
    pictures, picture_labels = affect.images_of(split)
    clips, clip_labels = affect.music_of(split)
    images = images_tensor(pictures, size=model.config.image_size)
    return {
        "image": (embed_images(model, images), torch.as_tensor(picture_labels)),
        "music": (embed_music(model, torch.as_tensor(clips)), torch.as_tensor(clip_labels)),
    }


def train_probes(model: ACPNet, affect: AffectSet, *, seed: int, steps: int = PROBE_STEPS) -> dict:
    """Train both probes on the training split; returns their training accuracies."""
    embedded = modality_embeddings(model, affect, "train")
    return {
        f"{name}_probe_train_accuracy": _fit_probe(
            getattr(model, f"{name}_probe"), *embedded[name], seed=seed, steps=steps
        )
        for name in ("image", "music")
    }


@torch.no_grad()
def probe_accuracies(model: ACPNet, affect: AffectSet, *, split: str = "test") -> dict:
    """Accuracy of each probe on a split's pictures and clips, with chance beside it."""
    model.eval()
    embedded = modality_embeddings(model, affect, split)
    result = {"emotion_chance": 1.0 / len(affect.classes)}
    for name in ("image", "music"):
        embeddings, labels = embedded[name]
        predicted = getattr(model, f"{name}_probe")(embeddings).argmax(1)
        result[f"{name}_emotion_accuracy"] = float(np.mean((predicted == labels).numpy()))
    return result
