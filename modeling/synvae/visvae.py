"""Visual beta-VAE (Higgins et al. 2017) in the two shapes SynVAE used.

``28x28x1`` (MNIST): Conv32 k3 s2 -> Conv64 k3 s2 -> flatten -> mu / logvar heads; decoder
Dense(7*7*32) -> 7x7x32 -> ConvT64 s2 -> ConvT32 s2 -> ConvT1 s1 with a sigmoid.
``64x64x3`` (paintings): Conv 64/128/128/256 k3 s2 -> 4x4x256 -> heads; the decoder mirrors it.
Loss: squared error summed over pixels + beta * KL, averaged over images.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from modeling.gaussian import gaussian_kl

KIND = "visvae"
ARCHITECTURES = ("28x28x1", "64x64x3")


@dataclass
class VisVAEConfig:
    architecture: str = "28x28x1"
    z_size: int = 128
    beta: float = 0.5
    width: float = 1.0  # multiplies every channel count; 1.0 is the paper's network

    @classmethod
    def tiny(cls, *, z_size: int = 8) -> VisVAEConfig:
        return cls(architecture="28x28x1", z_size=z_size, width=0.25)

    @classmethod
    def mnist(cls, *, z_size: int = 128, beta: float = 0.5) -> VisVAEConfig:
        return cls(architecture="28x28x1", z_size=z_size, beta=beta)

    @classmethod
    def paintings(cls, *, z_size: int = 512, beta: float = 1.3) -> VisVAEConfig:
        return cls(architecture="64x64x3", z_size=z_size, beta=beta)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (1, 28, 28) if self.architecture == "28x28x1" else (3, 64, 64)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> VisVAEConfig:
        return cls(**data)


def _scaled(channels: int, width: float) -> int:
    return max(1, round(channels * width))


def build_encoder_convs(config: VisVAEConfig) -> tuple[nn.Sequential, int]:
    """The convolution stack shared by the VisVAE encoder and the classifier: (stack, features)."""
    if config.architecture not in ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {config.architecture!r}; use one of {ARCHITECTURES}"
        )
    in_channels, size, _ = config.image_shape
    widths = (32, 64) if config.architecture == "28x28x1" else (64, 128, 128, 256)
    layers: list[nn.Module] = []
    for width in widths:
        out_channels = _scaled(width, config.width)
        layers += [nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1), nn.ReLU()]
        in_channels = out_channels
        size //= 2
    layers.append(nn.Flatten())
    return nn.Sequential(*layers), in_channels * size * size


def _up(in_channels: int, out_channels: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1)


def build_decoder(config: VisVAEConfig) -> tuple[nn.Linear, tuple[int, int, int], nn.Sequential]:
    """Dense layer, the shape it is reshaped to, and the transposed-convolution stack."""
    w = config.width
    if config.architecture == "28x28x1":
        start = (_scaled(32, w), 7, 7)
        convs = nn.Sequential(
            _up(start[0], _scaled(64, w)),
            nn.ReLU(),
            _up(_scaled(64, w), _scaled(32, w)),
            nn.ReLU(),
            nn.ConvTranspose2d(_scaled(32, w), 1, 3, stride=1, padding=1),
            nn.Sigmoid(),
        )
    else:
        start = (_scaled(256, w), 4, 4)
        convs = nn.Sequential(
            _up(start[0], _scaled(128, w)),
            nn.ReLU(),
            _up(_scaled(128, w), _scaled(128, w)),
            nn.ReLU(),
            _up(_scaled(128, w), _scaled(64, w)),
            nn.ReLU(),
            _up(_scaled(64, w), 3),
            nn.Sigmoid(),
        )
    dense = nn.Linear(config.z_size, start[0] * start[1] * start[2])
    return dense, start, convs


class VisVAE(nn.Module):
    kind = KIND

    def __init__(self, config: VisVAEConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder_convs, features = build_encoder_convs(config)
        self.mu_head = nn.Linear(features, config.z_size)
        self.logvar_head = nn.Linear(features, config.z_size)
        self.decoder_dense, self.decoder_start, self.decoder_convs = build_decoder(config)

    def encode(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Images [N, C, H, W] in [0, 1] -> (mu, logvar), each [N, z]."""
        features = self.encoder_convs(images)
        return self.mu_head(features), self.logvar_head(features)

    def decode(self, z: Tensor) -> Tensor:
        """z [N, z] -> images [N, C, H, W] in [0, 1]."""
        hidden = torch.relu(self.decoder_dense(z)).view(z.shape[0], *self.decoder_start)
        return self.decoder_convs(hidden)

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        mu, logvar = self.encode(images)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return {"reconstruction": self.decode(z), "mu": mu, "logvar": logvar, "z": z}


def summed_squared_error(reconstruction: Tensor, target: Tensor) -> Tensor:
    """Squared error summed over all pixels: one value per image (the paper's MSE)."""
    return (reconstruction - target).pow(2).flatten(1).sum(dim=1)


def visvae_loss(
    *, reconstruction: Tensor, target: Tensor, mu: Tensor, logvar: Tensor, beta: float
) -> tuple[Tensor, dict[str, float]]:
    """beta-VAE objective: summed squared error + beta * KL, averaged over the batch.

    The SynVAE's objective (paper eq. 1) is the same, with the visual encoder's mu and logvar.
    """
    mse = summed_squared_error(reconstruction, target)
    kl = gaussian_kl(mu, logvar=logvar)
    loss = (mse + beta * kl).mean()
    return loss, {
        "loss": float(loss.detach()),
        "mse": float(mse.detach().mean()),
        "kl": float(kl.detach().mean()),
    }


def visvae_step_loss(
    model: VisVAE, batch: tuple[Tensor, ...], *, step: int
) -> tuple[Tensor, dict[str, float]]:
    """Loss for one batch (for ``modeling.loop.train``); batch = (images, ...)."""
    images = batch[0]
    out = model(images)
    return visvae_loss(
        reconstruction=out["reconstruction"],
        target=images,
        mu=out["mu"],
        logvar=out["logvar"],
        beta=model.config.beta,
    )
