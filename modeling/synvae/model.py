"""Synesthetic VAE (Müller-Eberstein & van Noord): images -> music -> images.

image -> VisVAE encoder -> z_v -> frozen MusicVAE decoder running free (each step fed the chosen
one-hot of the previous step) -> frozen MusicVAE encoder -> z_a -> VisVAE decoder. Only the
visual parameters train; the music weights stay as loaded. The reference passed the decoder's
raw logits to the music encoder; here the default is a straight-through estimator (the encoder
reads exactly the melody a listener hears, one-hot forward, softmax gradient backward), with
``softmax``, ``gumbel`` and ``logits`` (the reference) as options.
Loss (paper eq. 1): summed squared error of the reconstruction + beta * KL(q(z_v|x) || N(0, I)).

Two paths (``path_label``): the paper's **stochastic** one, the default, samples z_v from the
visual encoder and z_a from the music encoder while training; the **deterministic** variant
(``sample_z_v = sample_z_a = False``) trains on the means, which leaves the visual log-variance
to the KL term alone, so its KL is not comparable with the paper's. Melodies are decoded by
argmax in both: while training through the straight-through estimator (argmax forward), and for
evaluation and stimuli from mu_v (``image_to_melody``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from modeling.synvae.musicvae import MusicVAE, MusicVAEConfig
from modeling.synvae.visvae import VisVAE, VisVAEConfig, visvae_loss

KIND = "synvae"
RELAXATIONS = ("straight_through", "gumbel", "softmax", "logits")


@dataclass
class SynVAEConfig:
    visual: VisVAEConfig = field(default_factory=VisVAEConfig)
    music: MusicVAEConfig = field(default_factory=MusicVAEConfig.cpu_demo)
    beta: float = 0.5
    relaxation: str = "straight_through"
    temperature: float = 1.0  # softmax temperature of the relaxed decoder outputs
    sample_z_v: bool = True  # the paper samples z_v from the visual encoder while training
    sample_z_a: bool = True  # and z_a from the music encoder
    feedback_gradient: bool = True  # back-propagate through the decoder's fed-back outputs
    kl_warmup_steps: int = 0  # beta ramps up linearly over these steps (0: fixed, as the paper)

    def __post_init__(self) -> None:
        if self.visual.z_size != self.music.z_size:
            raise ValueError(
                f"VisVAE z size {self.visual.z_size} must equal MusicVAE z size "
                f"{self.music.z_size}: the visual latent is the music decoder's input"
            )
        if self.relaxation not in RELAXATIONS:
            raise ValueError(f"unknown relaxation {self.relaxation!r}; use one of {RELAXATIONS}")

    @property
    def path_label(self) -> str:
        if self.sample_z_v and self.sample_z_a:
            return "stochastic (the paper's: sampled z_v and z_a)"
        if not self.sample_z_v and not self.sample_z_a:
            return "deterministic (means mu_v and mu_a; not the paper's)"
        return f"mixed (sampled z_v: {self.sample_z_v}, sampled z_a: {self.sample_z_a})"

    def to_dict(self) -> dict:
        return {
            "visual": self.visual.to_dict(),
            "music": self.music.to_dict(),
            "beta": self.beta,
            "relaxation": self.relaxation,
            "temperature": self.temperature,
            "sample_z_v": self.sample_z_v,
            "sample_z_a": self.sample_z_a,
            "kl_warmup_steps": self.kl_warmup_steps,
            "feedback_gradient": self.feedback_gradient,
        }

    @classmethod
    def from_dict(cls, data: dict) -> SynVAEConfig:
        values = dict(data)
        values["visual"] = VisVAEConfig.from_dict(values["visual"])
        values["music"] = MusicVAEConfig.from_dict(values["music"])
        return cls(**values)


class SynVAE(nn.Module):
    kind = KIND

    def __init__(
        self, config: SynVAEConfig, *, music: MusicVAE | None = None, visual: VisVAE | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.visual = visual if visual is not None else VisVAE(config.visual)
        self.music = music if music is not None else MusicVAE(config.music)
        self.freeze_music()

    def freeze_music(self) -> None:
        for parameter in self.music.parameters():
            parameter.requires_grad_(False)
        # The music modules may still follow train()/eval(): MusicVAE has no dropout or
        # normalisation, and cuDNN only back-propagates through LSTMs in training mode.

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.visual.parameters() if p.requires_grad]

    def parameters_to_optimize(self) -> list[nn.Parameter]:
        """What ``modeling.loop.train`` hands to the optimiser: the visual weights only."""
        return self.trainable_parameters()

    def encode_visual(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Images -> (mu_v, logvar_v)."""
        return self.visual.encode(images)

    def music_from_latent(self, z_v: Tensor) -> tuple[Tensor, Tensor]:
        """z_v -> (logits [N, T, C], relaxed one-hot melody [N, T, C]) via the frozen decoder."""
        return self.music.decode_relaxed(
            z_v,
            relaxation=self.config.relaxation,
            temperature=self.config.temperature,
            feedback_gradient=self.config.feedback_gradient,
        )

    def forward(self, images: Tensor) -> dict[str, Tensor]:
        mu_v, logvar_v = self.encode_visual(images)
        sample_v = self.training and self.config.sample_z_v
        z_v = self.visual.reparameterize(mu_v, logvar_v) if sample_v else mu_v
        logits, melody = self.music_from_latent(z_v)
        if not self.training:  # evaluation reads exactly the melody a listener would hear
            melody = F.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype)
        mu_a, sigma_a = self.music.encode(melody)
        sample_a = self.training and self.config.sample_z_a
        z_a = self.music.reparameterize(mu_a, sigma_a) if sample_a else mu_a
        return {
            "reconstruction": self.visual.decode(z_a),
            "mu_v": mu_v,
            "logvar_v": logvar_v,
            "z_v": z_v,
            "mu_a": mu_a,
            "sigma_a": sigma_a,
            "z_a": z_a,
            "logits": logits,
            "melody": melody,
        }

    @torch.no_grad()
    def image_to_melody(
        self,
        images: Tensor,
        *,
        temperature: float = 0.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Melody tokens [N, 32] for images (argmax decoding of mu_v unless temperature > 0)."""
        was_training = self.training
        self.eval()
        mu_v, _ = self.encode_visual(images)
        sample = temperature > 0
        tokens = self.music.decode(
            mu_v, sample=sample, temperature=temperature or 1.0, generator=generator
        ).tokens
        self.train(was_training)
        return tokens

    @torch.no_grad()
    def melody_to_image(self, tokens: Tensor) -> Tensor:
        """Images for melody tokens [N, T]: music encoder (mu) -> visual decoder."""
        mu_a, _ = self.music.encode(tokens)
        return self.visual.decode(mu_a)

    @torch.no_grad()
    def translate(self, images: Tensor) -> dict[str, Tensor]:
        """Evaluation path through hard melodies: what a listener hears is what is re-encoded."""
        tokens = self.image_to_melody(images)
        mu_v, logvar_v = self.encode_visual(images)
        mu_a, _ = self.music.encode(tokens)
        return {
            "tokens": tokens,
            "mu_v": mu_v,
            "logvar_v": logvar_v,
            "mu_a": mu_a,
            "reconstruction": self.visual.decode(mu_a),
        }


def synvae_step_loss(
    model: SynVAE, batch: tuple[Tensor, ...], *, step: int
) -> tuple[Tensor, dict[str, float]]:
    """Paper eq. 1 (the VisVAE objective on the reconstruction through music, KL of the visual
    encoder only) at the warmed-up beta, plus how many distinct melodies the batch produced."""
    images = batch[0]
    out = model(images)
    loss, metrics = visvae_loss(
        reconstruction=out["reconstruction"],
        target=images,
        mu=out["mu_v"],
        logvar=out["logvar_v"],
        beta=beta_with_warmup(model.config, step=step),
    )
    return loss, dict(metrics, distinct_melodies=distinct_rows(out["melody"].argmax(-1)))


def beta_with_warmup(config: SynVAEConfig, *, step: int) -> float:
    """The KL weight at ``step``: ``beta``, or a linear ramp to it over ``kl_warmup_steps``."""
    if config.kl_warmup_steps <= 0:
        return config.beta
    return config.beta * min(1.0, step / config.kl_warmup_steps)


def distinct_rows(tokens: Tensor) -> int:
    """How many different melodies a batch produced (1 means the translation collapsed)."""
    return int(torch.unique(tokens, dim=0).shape[0])
