"""TNN-C-CCA (Zeng): Cluster-CCA projections followed by a deep triplet network, for
cross-modal retrieval between clips and pictures.

- **Inputs**: the clip's 193-d vector (mel block in decibels) and a picture feature vector
  (``image_features``: 41-d, or any width a researcher brings), each standardised with the
  training set's mean and spread.
- **Cluster-CCA** (``cluster_cca``): fixed linear projections of both to ``cca_dim`` (10),
  fitted in closed form before the network trains (beta 0.2, regularisation 1e-4).
- **Triplet network**: one branch per modality, 10 -> 100 -> 100 -> 100 -> 10, tanh after each
  hidden layer, dropout 0.1, and a sigmoid on the output (the dissertation's last layer). (The
  dissertation's Table 5.1 widens the visual branch to 200; ``image_hidden`` allows that.)
- **Loss** (``batch_all_triplet_loss``): in each batch every (anchor, positive, negative) with
  the anchor from one modality and the other two from the other, positive of the anchor's
  class, negative of another; cosine distance, margin 0.5; the mean over triplets whose loss is
  above zero ("batch all", the dissertation's best). Both directions (clip anchors, picture
  anchors) are summed.

Retrieval ranks the other modality by cosine similarity of the outputs (``metrics``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from modeling.affect.features import FEATURE_DIM, feature_slices
from modeling.retrieval.cluster_cca import fit_cluster_cca
from modeling.retrieval.image_features import DESCRIPTOR_DIM

KIND = "retrieval"
MEL = feature_slices()["mel"]


@dataclass
class RetrievalConfig:
    music_dim: int = FEATURE_DIM
    image_dim: int = DESCRIPTOR_DIM
    cca_dim: int = 10
    beta: float = 0.2
    regularisation: float = 1e-4
    music_hidden: tuple[int, ...] = (100, 100, 100)
    image_hidden: tuple[int, ...] = (100, 100, 100)
    output_dim: int = 10
    dropout: float = 0.1
    margin: float = 0.5
    output_sigmoid: bool = True

    @classmethod
    def tiny(cls) -> RetrievalConfig:
        return cls(music_hidden=(16, 16), image_hidden=(16, 16))

    @classmethod
    def cpu_demo(cls) -> RetrievalConfig:
        """The published shape: it is small enough for a CPU."""
        return cls()

    @classmethod
    def published(cls) -> RetrievalConfig:
        return cls()

    @classmethod
    def preset(cls, name: str) -> RetrievalConfig:
        presets = {"tiny": cls.tiny, "cpu_demo": cls.cpu_demo, "published": cls.published}
        if name not in presets:
            raise ValueError(f"unknown retrieval preset {name!r}; choose from {sorted(presets)}")
        return presets[name]()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["music_hidden"] = list(self.music_hidden)
        data["image_hidden"] = list(self.image_hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> RetrievalConfig:
        known = {f.name for f in fields(cls)}
        values = {
            k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known
        }
        return cls(**values)


def branch(config: RetrievalConfig, hidden: tuple[int, ...]) -> nn.Sequential:
    """cca_dim -> hidden... -> output_dim; tanh and dropout after each hidden layer."""
    layers: list[nn.Module] = []
    width = config.cca_dim
    for size in hidden:
        layers += [nn.Linear(width, size), nn.Tanh(), nn.Dropout(config.dropout)]
        width = size
    layers.append(nn.Linear(width, config.output_dim))
    if config.output_sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def music_input(vectors: Tensor) -> Tensor:
    """193-d clip vectors with the mel block (power) in decibels; other widths pass through."""
    if vectors.shape[1] != FEATURE_DIM:
        return vectors
    mel = 10.0 * torch.log10(vectors[:, MEL].clamp_min(1e-10))
    return torch.cat([vectors[:, : MEL.start], mel, vectors[:, MEL.stop :]], dim=1)


class TNNClusterCCA(nn.Module):
    kind = KIND

    def __init__(self, config: RetrievalConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.music_branch = branch(c, c.music_hidden)
        self.image_branch = branch(c, c.image_hidden)
        for name, width in (("music", c.music_dim), ("image", c.image_dim)):
            self.register_buffer(f"{name}_mean", torch.zeros(width))
            self.register_buffer(f"{name}_std", torch.ones(width))
            self.register_buffer(f"{name}_cca", torch.zeros(width, c.cca_dim))
            self.register_buffer(f"{name}_cca_mean", torch.zeros(width))
        self.register_buffer("cca_correlations", torch.zeros(c.cca_dim))

    def fit_cluster_cca(
        self,
        music: Tensor,
        images: Tensor,
        music_labels: np.ndarray,
        image_labels: np.ndarray,
        *,
        paired: bool,
    ) -> np.ndarray:
        """Set the standardisation and the Cluster-CCA projections from training data; returns
        the canonical correlations."""
        music = music_input(music.float())
        for name, data in (("music", music), ("image", images.float())):
            getattr(self, f"{name}_mean").copy_(data.mean(0))
            getattr(self, f"{name}_std").copy_(data.std(0).clamp_min(1e-6))
        projection = fit_cluster_cca(
            self.standardise_music(music, scaled=True).numpy(),
            self.standardise_image(images.float()).numpy(),
            music_labels,
            image_labels,
            dim=self.config.cca_dim,
            beta=self.config.beta,
            reg=self.config.regularisation,
            paired=paired,
        )
        for name, w, mean in (
            ("music", projection.w_x, projection.mean_x),
            ("image", projection.w_y, projection.mean_y),
        ):
            getattr(self, f"{name}_cca").copy_(torch.as_tensor(w, dtype=torch.float32))
            getattr(self, f"{name}_cca_mean").copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.cca_correlations.copy_(torch.as_tensor(projection.correlations, dtype=torch.float32))
        return projection.correlations

    def parameters_to_optimize(self) -> list[nn.Parameter]:
        return [*self.music_branch.parameters(), *self.image_branch.parameters()]

    def standardise_music(self, vectors: Tensor, *, scaled: bool = False) -> Tensor:
        vectors = vectors if scaled else music_input(vectors)
        return (vectors - self.music_mean) / self.music_std

    def standardise_image(self, features: Tensor) -> Tensor:
        return (features - self.image_mean) / self.image_std

    def cca_music(self, vectors: Tensor) -> Tensor:
        """Clip vectors -> their Cluster-CCA projection [N, cca_dim]."""
        return (self.standardise_music(vectors) - self.music_cca_mean) @ self.music_cca

    def cca_image(self, features: Tensor) -> Tensor:
        """Picture features -> their Cluster-CCA projection [N, cca_dim]."""
        return (self.standardise_image(features) - self.image_cca_mean) @ self.image_cca

    def embed_music(self, vectors: Tensor) -> Tensor:
        return self.music_branch(self.cca_music(vectors))

    def embed_image(self, features: Tensor) -> Tensor:
        return self.image_branch(self.cca_image(features))

    def forward(self, vectors: Tensor, features: Tensor) -> tuple[Tensor, Tensor]:
        return self.embed_music(vectors), self.embed_image(features)


def cosine_distances(a: Tensor, b: Tensor) -> Tensor:
    """[N, M] of 1 - cos(a_i, b_j), from 0 (same direction) to 2 (opposite)."""
    return 1.0 - F.normalize(a, dim=1, eps=1e-8) @ F.normalize(b, dim=1, eps=1e-8).T


def batch_all_triplet_loss(
    anchors: Tensor, anchor_labels: Tensor, others: Tensor, other_labels: Tensor, *, margin: float
) -> tuple[Tensor, Tensor]:
    """Mean of max(0, d(a, p) - d(a, n) + margin) over the batch's triplets with a positive
    loss (zero when none); also the share of triplets with a positive loss. Anchors come from
    one modality; positives (same label) and negatives (other label) from the other."""
    distances = cosine_distances(anchors, others)
    same = anchor_labels[:, None] == other_labels[None, :]
    losses = distances[:, :, None] - distances[:, None, :] + margin  # [anchor, positive, negative]
    valid = same[:, :, None] & ~same[:, None, :]
    active = valid & (losses > 1e-12)
    count = valid.sum()
    share = active.sum() / count.clamp_min(1)
    if active.any():
        return losses[active].mean(), share
    return (distances * 0.0).sum(), share


def retrieval_loss(
    music_embeddings: Tensor, image_embeddings: Tensor, labels: Tensor, *, margin: float
) -> tuple[Tensor, dict[str, float]]:
    """Batch-all cosine triplet loss in both directions over a batch of labelled rows (one
    clip and one picture per row, of the row's label)."""
    music_loss, music_active = batch_all_triplet_loss(
        music_embeddings, labels, image_embeddings, labels, margin=margin
    )
    image_loss, image_active = batch_all_triplet_loss(
        image_embeddings, labels, music_embeddings, labels, margin=margin
    )
    loss = music_loss + image_loss
    active = float((music_active + image_active) / 2)
    return loss, {"loss": float(loss.detach()), "active_triplets": active}
