"""ACP-Net (Verma et al., "Learning affective correspondence between music and image"),
reimplemented from the paper's description.

- **Image branch** f_x: a convolutional stem (the paper used ImageNet-pretrained Inception-V3
  features; no such weights exist offline, so the stem is trained here from scratch) -> two
  fully connected layers -> the ``embedding``-d representation (1024 in the paper).
- **Music branch** f_y: the 193-d vector (``modeling.affect.features``) -> four fully connected
  layers -> the ``embedding``-d representation.
- **Fusion** g: the two embeddings concatenated -> four fully connected layers -> two logits,
  true / false correspondence. Trained with cross-entropy (``correspondence_loss``).
- **Emotion probes** (the paper's table 5): an MLP per modality (hidden 512 and 32, as the
  paper's music probe) on the frozen branch embedding, trained afterwards with the emotion
  labels (``modeling.affect.probes``); they show whether the branches learned emotion without
  ever being given it.

Input scaling (our choice, documented): the 193-d vector's mel block is taken to decibels and
every dimension is standardised with the training clips' mean and spread (buffers stored in
the checkpoint, set by ``set_music_scaling``); pictures are RGB in [0, 1], centred on 0.5.
ReLU after every hidden layer, dropout (0.4, the paper's) in both branches and the fusion.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from modeling.affect.features import FEATURE_DIM, feature_slices

KIND = "acpnet"
MEL = feature_slices()["mel"]


@dataclass
class ACPNetConfig:
    """Sizes of one ACP-Net. ``published`` is the paper's shape (1024-d embeddings, four
    music layers, two image layers after the stem, four fusion layers)."""

    image_size: int = 224
    stem_channels: tuple[int, ...] = (32, 64, 128, 256, 512)
    image_hidden: int = 1024
    music_hidden: tuple[int, ...] = (512, 1024, 1024)
    embedding: int = 1024
    fusion_hidden: tuple[int, ...] = (1024, 512, 128)
    dropout: float = 0.4
    emotion_classes: int = 3
    probe_hidden: tuple[int, ...] = (512, 32)
    music_dim: int = FEATURE_DIM

    @classmethod
    def tiny(cls) -> ACPNetConfig:
        return cls(
            image_size=16,
            stem_channels=(8, 16),
            image_hidden=32,
            music_hidden=(32, 32, 32),
            embedding=32,
            fusion_hidden=(64, 32, 16),
            dropout=0.1,
            probe_hidden=(16, 8),
        )

    @classmethod
    def cpu_demo(cls) -> ACPNetConfig:
        """1024-d embeddings like the paper, thin hidden layers, 32 x 32 pictures."""
        return cls(
            image_size=32,
            stem_channels=(16, 32, 64),
            image_hidden=256,
            music_hidden=(256, 256, 256),
            embedding=1024,
            fusion_hidden=(256, 128, 64),
            probe_hidden=(128, 32),
        )

    @classmethod
    def published(cls) -> ACPNetConfig:
        return cls()

    @classmethod
    def preset(cls, name: str) -> ACPNetConfig:
        presets = {"tiny": cls.tiny, "cpu_demo": cls.cpu_demo, "published": cls.published}
        if name not in presets:
            raise ValueError(f"unknown ACP-Net preset {name!r}; choose from {sorted(presets)}")
        return presets[name]()

    def to_dict(self) -> dict:
        data = asdict(self)
        for name in ("stem_channels", "music_hidden", "fusion_hidden", "probe_hidden"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ACPNetConfig:
        known = {f.name for f in fields(cls)}
        values = {
            k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in known
        }
        return cls(**values)


def mlp(sizes: list[int], *, dropout: float, last_activation: bool) -> nn.Sequential:
    """Linear layers between consecutive ``sizes``; ReLU and dropout after each hidden layer
    (and after the last when ``last_activation``)."""
    layers: list[nn.Module] = []
    for index, (width_in, width_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(width_in, width_out))
        if index < len(sizes) - 2 or last_activation:
            layers += [nn.ReLU(), nn.Dropout(dropout)]
    return nn.Sequential(*layers)


def conv_stem(channels: tuple[int, ...]) -> nn.Sequential:
    """3x3 convolutions (stride 2, ReLU), then a global average: [N, 3, H, W] -> [N, C]."""
    layers: list[nn.Module] = []
    for width_in, width_out in zip((3, *channels[:-1]), channels, strict=True):
        layers += [nn.Conv2d(width_in, width_out, 3, stride=2, padding=1), nn.ReLU()]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


def scale_music_input(vectors: Tensor) -> Tensor:
    """The 193-d vectors with the mel block (power) in decibels."""
    mel = 10.0 * torch.log10(vectors[:, MEL].clamp_min(1e-10))
    return torch.cat([vectors[:, : MEL.start], mel, vectors[:, MEL.stop :]], dim=1)


class ACPNet(nn.Module):
    kind = KIND

    def __init__(self, config: ACPNetConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.image_stem = conv_stem(c.stem_channels)
        self.image_layers = mlp(
            [c.stem_channels[-1], c.image_hidden, c.embedding],
            dropout=c.dropout,
            last_activation=True,
        )
        self.music_layers = mlp(
            [c.music_dim, *c.music_hidden, c.embedding], dropout=c.dropout, last_activation=True
        )
        self.fusion = mlp(
            [2 * c.embedding, *c.fusion_hidden, 2], dropout=c.dropout, last_activation=False
        )
        probe = [c.embedding, *c.probe_hidden, c.emotion_classes]
        self.image_probe = mlp(probe, dropout=0.0, last_activation=False)
        self.music_probe = mlp(probe, dropout=0.0, last_activation=False)
        self.register_buffer("music_mean", torch.zeros(c.music_dim))
        self.register_buffer("music_std", torch.ones(c.music_dim))

    def set_music_scaling(self, vectors: Tensor) -> None:
        """Standardise with these (training) clips' per-dimension mean and spread."""
        scaled = scale_music_input(vectors.float())
        self.music_mean.copy_(scaled.mean(0))
        self.music_std.copy_(scaled.std(0).clamp_min(1e-6))

    def correspondence_parameters(self) -> list[nn.Parameter]:
        """What the correspondence training changes (not the probes)."""
        probes = {id(p) for p in [*self.image_probe.parameters(), *self.music_probe.parameters()]}
        return [p for p in self.parameters() if id(p) not in probes]

    parameters_to_optimize = correspondence_parameters

    def encode_image(self, images: Tensor) -> Tensor:
        """RGB pictures [N, 3, S, S] in [0, 1] -> embeddings [N, embedding]."""
        return self.image_layers(self.image_stem((images - 0.5) / 0.25))

    def encode_music(self, vectors: Tensor) -> Tensor:
        """193-d clip vectors [N, 193] -> embeddings [N, embedding]."""
        scaled = (scale_music_input(vectors) - self.music_mean) / self.music_std
        return self.music_layers(scaled)

    def correspondence_logits(self, image_embedding: Tensor, music_embedding: Tensor) -> Tensor:
        """[N, 2] logits: index 1 = the picture and the clip share an emotion."""
        return self.fusion(torch.cat([image_embedding, music_embedding], dim=1))

    def forward(self, images: Tensor, vectors: Tensor) -> Tensor:
        return self.correspondence_logits(self.encode_image(images), self.encode_music(vectors))

    def correspondence_probability(self, images: Tensor, vectors: Tensor) -> Tensor:
        return F.softmax(self(images, vectors), dim=1)[:, 1]

    def image_emotion_logits(self, images: Tensor) -> Tensor:
        return self.image_probe(self.encode_image(images))

    def music_emotion_logits(self, vectors: Tensor) -> Tensor:
        return self.music_probe(self.encode_music(vectors))


def correspondence_loss(logits: Tensor, targets: Tensor) -> tuple[Tensor, dict[str, float]]:
    """Cross-entropy between the [N, 2] logits and the true correspondence (0 / 1), as the
    paper trains; also reports the accuracy of the arg-max."""
    loss = F.cross_entropy(logits, targets)
    accuracy = (logits.argmax(1) == targets).float().mean()
    return loss, {"loss": float(loss.detach()), "accuracy": float(accuracy)}
