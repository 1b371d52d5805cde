"""The chronological triplet network (Nguyen): a music branch and an image branch into one
embedding where works made at the same time lie close.

Reimplemented from the thesis' description (no reference code):

- each branch is a stack of fully connected layers (ReLU, dropout) ending in a linear layer
  of ``embedding_dim`` (128) outputs; the thesis put them on VGGish and VGG-16 (1024-256 and
  512-256 hidden sizes): here they sit on feature vectors (``music_features``,
  ``image_features``, or a frozen backbone's 512 numbers), and the image branch may instead be
  a small CNN on 64 x 64 pixels (``image_input="pixels"``);
- inputs are standardised with the training split's mean and sd, stored in the model;
- **unit-norm** ("constrained", margin 0.8) or **free** ("unconstrained", margin 10) outputs;
- the triplet loss (``triplet_loss``) on squared Euclidean distances, for any mix of anchor /
  positive / negative modalities (``chronology_step_loss``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import Tensor, nn

KIND = "chronology"
MODALITIES = ("music", "image")
# Triplet kinds: (anchor, positive, negative) modalities. The thesis' cross-modal pair first.
TRIPLET_KINDS: dict[str, tuple[str, str, str]] = {
    "music-image-image": ("music", "image", "image"),
    "image-music-music": ("image", "music", "music"),
    "music-music-music": ("music", "music", "music"),
    "image-image-image": ("image", "image", "image"),
}


@dataclass
class ChronologyConfig:
    """Sizes of one chronological triplet network (published: the thesis' head sizes)."""

    music_dim: int = 90
    image_dim: int = 49  # features per image; ignored with image_input="pixels"
    music_features: str = "score"  # "score" (MIDI / music21) or "audio" (log-mel)
    image_input: str = "features"  # "features", "backbone" (512 numbers) or "pixels"
    music_hidden: tuple[int, ...] = (1024, 256)
    image_hidden: tuple[int, ...] = (512, 256)
    cnn_channels: tuple[int, ...] = (32, 64, 128, 128)
    pixel_size: int = 64
    embedding_dim: int = 128
    unit_norm: bool = True
    margin: float = 0.8
    dropout: float = 0.1
    with_image_branch: bool = True
    with_music_branch: bool = True

    def __post_init__(self) -> None:
        if self.music_features not in ("score", "audio"):
            raise ValueError(
                f"music_features must be 'score' or 'audio', not {self.music_features!r}"
            )
        if self.image_input not in ("features", "backbone", "pixels"):
            raise ValueError(
                f"image_input must be 'features', 'backbone' or 'pixels', not {self.image_input!r}"
            )
        if not (self.with_image_branch or self.with_music_branch):
            raise ValueError("a chronology network needs at least one branch")

    @classmethod
    def tiny(cls, **overrides) -> ChronologyConfig:
        values = dict(
            music_hidden=(32,),
            image_hidden=(32,),
            cnn_channels=(8, 16),
            pixel_size=32,
            embedding_dim=16,
        )
        return cls(**{**values, **overrides})

    @classmethod
    def cpu_demo(cls, **overrides) -> ChronologyConfig:
        """A few hundred thousand parameters: trains in minutes on one CPU thread."""
        values = dict(music_hidden=(256, 128), image_hidden=(256, 128), cnn_channels=(16, 32, 64))
        return cls(**{**values, **overrides})

    @classmethod
    def published(cls, **overrides) -> ChronologyConfig:
        """The thesis' head sizes (music 1024-256, image 512-256, 128-d)."""
        return cls(**overrides)

    @classmethod
    def preset(cls, name: str, **overrides) -> ChronologyConfig:
        presets = {"tiny": cls.tiny, "cpu_demo": cls.cpu_demo, "published": cls.published}
        if name not in presets:
            raise ValueError(f"unknown chronology preset {name!r}; choose from {sorted(presets)}")
        return presets[name](**overrides)

    def to_dict(self) -> dict:
        data = asdict(self)
        for name in ("music_hidden", "image_hidden", "cnn_channels"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ChronologyConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for name in ("music_hidden", "image_hidden", "cnn_channels"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)


def mlp(sizes: list[int], *, dropout: float) -> nn.Sequential:
    """Linear layers of the given sizes, ReLU and dropout between them, linear at the end."""
    layers: list[nn.Module] = []
    for index, (inputs, outputs) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(inputs, outputs))
        if index < len(sizes) - 2:
            layers += [nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


class FeatureBranch(nn.Module):
    """Standardise a feature vector, then an MLP to the embedding."""

    def __init__(self, inputs: int, hidden: tuple[int, ...], outputs: int, dropout: float):
        super().__init__()
        self.register_buffer("mean", torch.zeros(inputs))
        self.register_buffer("std", torch.ones(inputs))
        self.net = mlp([inputs, *hidden, outputs], dropout=dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.net((x - self.mean) / self.std)


class PixelBranch(nn.Module):
    """A small CNN on [N, 3, S, S] pixels: stride-2 3x3 convolutions, spatial mean, MLP."""

    def __init__(self, channels: tuple[int, ...], hidden: tuple[int, ...], outputs: int, dropout):
        super().__init__()
        layers: list[nn.Module] = []
        previous = 3
        for width in channels:
            layers += [nn.Conv2d(previous, width, 3, stride=2, padding=1), nn.ReLU()]
            previous = width
        self.conv = nn.Sequential(*layers)
        self.head = mlp([previous, *hidden, outputs], dropout=dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.conv(x - 0.5).mean(dim=(2, 3)))


class ChronologyNet(nn.Module):
    """Music and image branches into one embedding (``encode_music``, ``encode_image``)."""

    kind = KIND

    def __init__(self, config: ChronologyConfig) -> None:
        super().__init__()
        self.config = config
        size, dropout = config.embedding_dim, config.dropout
        self.music = (
            FeatureBranch(config.music_dim, config.music_hidden, size, dropout)
            if config.with_music_branch
            else None
        )
        if not config.with_image_branch:
            self.image = None
        elif config.image_input == "pixels":
            self.image = PixelBranch(config.cnn_channels, config.image_hidden, size, dropout)
        else:
            self.image = FeatureBranch(config.image_dim, config.image_hidden, size, dropout)

    def set_standardisation(self, modality: str, mean: Tensor, std: Tensor) -> None:
        """Store the training split's feature mean and sd (features branches only)."""
        branch = self.branch(modality)
        if isinstance(branch, FeatureBranch):
            branch.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            branch.std.copy_(torch.as_tensor(std, dtype=torch.float32).clamp_min(1e-6))

    def branch(self, modality: str) -> nn.Module:
        branch = {"music": self.music, "image": self.image}.get(modality)
        if branch is None:
            raise ValueError(f"this chronology network has no {modality!r} branch")
        return branch

    def finish(self, raw: Tensor) -> Tensor:
        return F.normalize(raw, dim=-1) if self.config.unit_norm else raw

    def encode(self, modality: str, x: Tensor) -> Tensor:
        """[N, ...] inputs of one modality -> [N, embedding_dim]."""
        return self.finish(self.branch(modality)(x.float()))

    def encode_music(self, x: Tensor) -> Tensor:
        return self.encode("music", x)

    def encode_image(self, x: Tensor) -> Tensor:
        return self.encode("image", x)


def triplet_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *, margin: float) -> Tensor:
    """Nguyen's triplet loss: mean over triplets of max(|a - p|^2 - |a - n|^2 + margin, 0).

    Squared Euclidean distances; zero once every positive is at least ``margin`` closer to its
    anchor than the negative is.
    """
    positive_distance = (anchor - positive).pow(2).sum(-1)
    negative_distance = (anchor - negative).pow(2).sum(-1)
    return F.relu(positive_distance - negative_distance + margin).mean()


def triplet_step_loss(
    model: ChronologyNet,
    pools: dict[str, Tensor],
    triplets: Tensor,
    kinds: Tensor,
) -> tuple[Tensor, dict[str, float]]:
    """Mean triplet loss of a batch mixing triplet kinds.

    ``triplets`` [B, 3] index rows of ``pools[modality]`` (anchor, positive, negative);
    ``kinds`` [B] index ``TRIPLET_KINDS``. Each input is embedded once per batch.
    """
    names = list(TRIPLET_KINDS)
    total = triplets.new_zeros((), dtype=torch.float32)
    metrics: dict[str, float] = {}
    satisfied = 0.0
    for code in kinds.unique().tolist():
        rows = triplets[kinds == code]
        modalities = TRIPLET_KINDS[names[code]]
        embedded = [
            model.encode(modality, pools[modality][rows[:, slot]])
            for slot, modality in enumerate(modalities)
        ]
        loss = triplet_loss(*embedded, margin=model.config.margin)
        total = total + loss * len(rows)
        closer = (embedded[0] - embedded[1]).pow(2).sum(-1) < (embedded[0] - embedded[2]).pow(
            2
        ).sum(-1)
        satisfied += float(closer.float().sum())
        metrics[f"loss_{names[code]}"] = float(loss.detach())
    count = max(len(triplets), 1)
    metrics["ordered"] = satisfied / count  # share of triplets with the positive closer
    loss = total / count
    metrics["loss"] = float(loss.detach())
    return loss, metrics


def make_step_loss(pools: dict[str, Tensor]):
    """A loss function for ``modeling.loop.train`` over batches of (triplets, kinds)."""
    placed: dict[str, dict[str, Tensor]] = {}

    def step_loss(model: ChronologyNet, batch, *, step: int):
        triplets, kinds = batch
        device = str(triplets.device)
        if device not in placed:  # the pools move to the training device once
            placed[device] = {name: pool.to(device) for name, pool in pools.items()}
        return triplet_step_loss(model, placed[device], triplets, kinds)

    return step_loss
