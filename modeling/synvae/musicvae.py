"""MusicVAE for 2-bar monophonic melodies (Roberts et al. 2018, Magenta's ``cat-mel_2bar_*``).

Shapes follow Magenta's flat melody model: a one-hot sequence of 32 sixteenth-note steps over 90
classes (no-event, note-off, 88 pitches) is read by a bidirectional LSTM; the two final hidden
states go to a linear ``mu`` head and a softplus ``sigma`` head. The decoder is a stacked LSTM whose
initial state is ``tanh(Dense(z))`` and whose input at every step is the previous step's one-hot
concatenated with ``z``. Training uses teacher forcing with inverse-sigmoid scheduled sampling,
KL annealing ``beta = max_beta * (1 - beta_rate ** step)`` and free bits, as in Magenta.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from modeling.data.melody import NUM_CLASSES, STEPS
from modeling.gaussian import gaussian_kl

KIND = "musicvae"


@dataclass
class MusicVAEConfig:
    """Sizes and training schedule of one MusicVAE (Magenta hparam names where they exist)."""

    num_classes: int = NUM_CLASSES
    steps: int = STEPS
    enc_rnn_size: int = 512
    z_size: int = 256
    dec_rnn_size: tuple[int, ...] = (256, 256)
    max_beta: float = 0.2
    beta_rate: float = 0.99999
    free_bits: float = 0.0
    sampling_schedule: str = "inverse_sigmoid"  # or "constant" (always teacher forcing)
    sampling_rate: float = 1000.0

    @classmethod
    def tiny(cls) -> MusicVAEConfig:
        """A few thousand parameters: for tests."""
        return cls(enc_rnn_size=16, z_size=8, dec_rnn_size=(16,), sampling_rate=2.0)

    @classmethod
    def cpu_demo(cls) -> MusicVAEConfig:
        """About 2.1M parameters; trains in minutes on a laptop CPU.

        The KL and sampling schedules are compressed (beta_rate 0.999, sampling_rate 300) so
        that a CPU run of about 2k steps passes through the schedules a Magenta run passes
        through in tens of thousands of steps.
        """
        return cls(
            enc_rnn_size=256,
            z_size=128,
            dec_rnn_size=(256, 256),
            beta_rate=0.999,
            sampling_rate=300.0,
        )

    @classmethod
    def small(cls) -> MusicVAEConfig:
        """Magenta ``cat-mel_2bar_small``: about 4.4M parameters."""
        return cls(enc_rnn_size=512, z_size=256, dec_rnn_size=(256, 256))

    @classmethod
    def big(cls) -> MusicVAEConfig:
        """Magenta ``cat-mel_2bar_big`` (GPU sized)."""
        return cls(enc_rnn_size=2048, z_size=512, dec_rnn_size=(2048, 2048, 2048), max_beta=0.5)

    @classmethod
    def preset(cls, name: str) -> MusicVAEConfig:
        presets = {"tiny": cls.tiny, "cpu_demo": cls.cpu_demo, "small": cls.small, "big": cls.big}
        if name not in presets:
            raise ValueError(f"unknown MusicVAE preset {name!r}; choose from {sorted(presets)}")
        return presets[name]()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["dec_rnn_size"] = list(self.dec_rnn_size)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> MusicVAEConfig:
        values = dict(data)
        values["dec_rnn_size"] = tuple(values["dec_rnn_size"])
        return cls(**values)


class DecodeOutput(NamedTuple):
    logits: Tensor  # [N, T, C]
    tokens: Tensor  # [N, T] int64


@dataclass
class LossTerms:
    """The pieces of the MusicVAE objective, each averaged over the batch."""

    loss: Tensor
    reconstruction: Tensor
    kl: Tensor
    kl_cost: Tensor
    beta: float
    metrics: dict[str, float] = field(default_factory=dict)


def beta_at(*, step: int, max_beta: float, beta_rate: float) -> float:
    """Magenta's KL annealing: ``max_beta * (1 - beta_rate ** step)``."""
    return max_beta * (1.0 - beta_rate**step)


def teacher_forcing_probability(*, step: int, schedule: str, rate: float) -> float:
    """Probability of feeding the ground truth (inverse sigmoid: ``k / (k + exp(step / k))``)."""
    if schedule == "constant":
        return 1.0
    if schedule != "inverse_sigmoid":
        raise ValueError(f"unknown sampling schedule {schedule!r}")
    exponent = min(step / rate, 700.0)
    return rate / (rate + math.exp(exponent))


class MusicVAE(nn.Module):
    """BiLSTM encoder, categorical LSTM decoder conditioned on z at every step."""

    kind = KIND

    def __init__(self, config: MusicVAEConfig) -> None:
        super().__init__()
        self.config = config
        classes, enc = config.num_classes, config.enc_rnn_size
        self.encoder_rnn = nn.LSTM(classes, enc, batch_first=True, bidirectional=True)
        self.mu_head = nn.Linear(2 * enc, config.z_size)
        self.sigma_head = nn.Linear(2 * enc, config.z_size)
        self._check_uniform_decoder(config.dec_rnn_size)
        dec = config.dec_rnn_size[0]
        layers = len(config.dec_rnn_size)
        self.initial_state = nn.Linear(config.z_size, 2 * layers * dec)
        self.decoder_rnn = nn.LSTM(
            classes + config.z_size, dec, num_layers=layers, batch_first=True
        )
        self.output_head = nn.Linear(dec, classes)

    @staticmethod
    def _check_uniform_decoder(sizes: tuple[int, ...]) -> None:
        if len(set(sizes)) != 1:
            raise ValueError(f"decoder layers must share one size, got {sizes}")

    # ----- encoder -------------------------------------------------------------------------
    def as_one_hot(self, x: Tensor) -> Tensor:
        """Tokens [N, T] become one-hot floats; float inputs [N, T, C] pass through."""
        if x.dtype in (torch.int64, torch.int32, torch.int16, torch.uint8):
            return F.one_hot(x.long(), self.config.num_classes).float()
        return x

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Tokens [N, T] or one-hot / relaxed one-hot [N, T, C] -> (mu, sigma), each [N, z]."""
        _, (h_n, _) = self.encoder_rnn(self.as_one_hot(x))
        final = torch.cat([h_n[0], h_n[1]], dim=-1)  # forward and backward final states
        return self.mu_head(final), F.softplus(self.sigma_head(final))

    @staticmethod
    def reparameterize(mu: Tensor, sigma: Tensor) -> Tensor:
        return mu + sigma * torch.randn_like(sigma)

    # ----- decoder -------------------------------------------------------------------------
    def initial_decoder_state(self, z: Tensor) -> tuple[Tensor, Tensor]:
        layers = len(self.config.dec_rnn_size)
        size = self.config.dec_rnn_size[0]
        flat = torch.tanh(self.initial_state(z))
        h, c = flat.view(z.shape[0], 2, layers, size).permute(1, 2, 0, 3).contiguous()
        return h, c

    def decoder_step(
        self, previous: Tensor, z: Tensor, state: tuple[Tensor, Tensor]
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One decoder step: previous output [N, C] (one-hot or relaxed) -> logits [N, C]."""
        step_input = torch.cat([previous, z], dim=-1).unsqueeze(1)
        output, state = self.decoder_rnn(step_input, state)
        return self.output_head(output.squeeze(1)), state

    def decode_teacher_forced(self, z: Tensor, teacher: Tensor) -> Tensor:
        """All steps at once, each fed the ground truth of the previous step: logits [N, T, C]."""
        target = self.as_one_hot(teacher)
        previous = torch.cat([torch.zeros_like(target[:, :1]), target[:, :-1]], dim=1)
        z_steps = z.unsqueeze(1).expand(-1, target.shape[1], -1)
        output, _ = self.decoder_rnn(
            torch.cat([previous, z_steps], dim=-1), self.initial_decoder_state(z)
        )
        return self.output_head(output)

    def decode(
        self,
        z: Tensor,
        *,
        temperature: float = 1.0,
        steps: int | None = None,
        teacher: Tensor | None = None,
        sample: bool = True,
        teacher_probability: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> DecodeOutput:
        """Decode z [N, z] into logits [N, T, C] and tokens [N, T].

        With ``teacher`` and ``teacher_probability`` 1 every step sees the ground truth. With
        a lower probability each step of each example is fed, with probability
        ``1 - teacher_probability``, the model's own sampled output instead (scheduled sampling).
        Without ``teacher`` the decoder runs free, fed its own sampled (``sample=True``, at
        ``temperature``) or most likely (``sample=False``) output.
        """
        if teacher is not None and teacher_probability >= 1.0:
            logits = self.decode_teacher_forced(z, teacher)
            return DecodeOutput(logits, self.choose_tokens(logits, temperature, sample, generator))
        steps = steps or (teacher.shape[1] if teacher is not None else self.config.steps)
        target = self.as_one_hot(teacher) if teacher is not None else None
        state = self.initial_decoder_state(z)
        previous = z.new_zeros(z.shape[0], self.config.num_classes)
        all_logits, all_tokens = [], []
        for t in range(steps):
            logits, state = self.decoder_step(previous, z, state)
            tokens = self.choose_tokens(logits.detach(), temperature, sample, generator)
            all_logits.append(logits)
            all_tokens.append(tokens)
            previous = F.one_hot(tokens, self.config.num_classes).to(z.dtype)
            if target is not None:
                use_truth = torch.rand(z.shape[0], 1, generator=generator, device=z.device)
                previous = torch.where(use_truth < teacher_probability, target[:, t], previous)
        return DecodeOutput(torch.stack(all_logits, 1), torch.stack(all_tokens, 1))

    @staticmethod
    def choose_tokens(
        logits: Tensor, temperature: float, sample: bool, generator: torch.Generator | None
    ) -> Tensor:
        if not sample or temperature <= 0:
            return logits.argmax(dim=-1)
        probs = F.softmax(logits / temperature, dim=-1)
        flat = probs.reshape(-1, probs.shape[-1])
        chosen = torch.multinomial(flat, 1, generator=generator)
        return chosen.view(probs.shape[:-1])

    def decode_relaxed(
        self,
        z: Tensor,
        *,
        relaxation: str = "straight_through",
        temperature: float = 1.0,
        feedback_gradient: bool = True,
    ) -> tuple[Tensor, Tensor]:
        """Free-running decode that lets gradients reach ``z`` (used by SynVAE).

        Returns (logits [N, T, C], fed [N, T, C]) where ``fed[:, t]`` is what step t produced
        and step t+1 consumed:
        - ``straight_through``: the argmax one-hot forward, softmax(logits / temperature) backward;
        - ``gumbel``: a Gumbel-softmax sample, hard forward and soft backward;
        - ``softmax``: softmax(logits / temperature) both ways;
        - ``logits``: the next step is fed the argmax one-hot, the returned sequence is the raw
          logits (what the reference SynVAE passed to the music encoder).

        With ``feedback_gradient=False`` no gradient flows through what a step feeds the next
        one (only through ``z`` and the outputs), which avoids compounding the bias of the
        straight-through estimator over 32 recurrent steps.
        """
        state = self.initial_decoder_state(z)
        previous = z.new_zeros(z.shape[0], self.config.num_classes)
        all_logits, all_fed = [], []
        for _ in range(self.config.steps):
            logits, state = self.decoder_step(previous, z, state)
            fed = relax_one_hot(logits, relaxation=relaxation, temperature=temperature)
            all_logits.append(logits)
            all_fed.append(logits if relaxation == "logits" else fed)
            previous = fed if feedback_gradient else fed.detach()
        return torch.stack(all_logits, 1), torch.stack(all_fed, 1)

    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        sample: bool = True,
    ) -> Tensor:
        """Draw ``n`` melodies from the prior: tokens [n, T]."""
        device = self.output_head.weight.device
        z = torch.randn(n, self.config.z_size, generator=generator, device=device)
        return self.decode(z, temperature=temperature, sample=sample, generator=generator).tokens

    def forward(self, tokens: Tensor, *, teacher_probability: float = 1.0) -> dict[str, Tensor]:
        mu, sigma = self.encode(tokens)
        z = self.reparameterize(mu, sigma)
        out = self.decode(z, teacher=tokens, teacher_probability=teacher_probability)
        return {"logits": out.logits, "mu": mu, "sigma": sigma, "z": z}


def relax_one_hot(logits: Tensor, *, relaxation: str, temperature: float) -> Tensor:
    """A differentiable stand-in for the one-hot of the chosen class (see ``decode_relaxed``)."""
    soft = F.softmax(logits / max(temperature, 1e-6), dim=-1)
    if relaxation == "softmax":
        return soft
    if relaxation in ("straight_through", "logits"):
        hard = F.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(soft.dtype)
        return hard + soft - soft.detach()
    if relaxation == "gumbel":
        return F.gumbel_softmax(logits, tau=max(temperature, 1e-6), hard=True)
    raise ValueError(f"unknown relaxation {relaxation!r}")


def musicvae_loss(
    *, logits: Tensor, targets: Tensor, mu: Tensor, sigma: Tensor, beta: float, free_bits: float
) -> LossTerms:
    """Magenta's objective: summed per-step cross entropy + beta * max(KL - free nats, 0).

    ``free_bits`` is in bits, as in Magenta (``free_nats = free_bits * ln 2``); each term is
    computed per example and then averaged over the batch.
    """
    steps_ce = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")
    reconstruction = steps_ce.sum(dim=1)
    kl = gaussian_kl(mu, sigma=sigma)
    kl_cost = torch.clamp(kl - free_bits * math.log(2.0), min=0.0)
    loss = (reconstruction + beta * kl_cost).mean()
    accuracy = (logits.argmax(-1) == targets).float().mean()
    return LossTerms(
        loss=loss,
        reconstruction=reconstruction.mean(),
        kl=kl.mean(),
        kl_cost=kl_cost.mean(),
        beta=beta,
        metrics={
            "loss": float(loss.detach()),
            "reconstruction": float(reconstruction.mean().detach()),
            "kl": float(kl.mean().detach()),
            "beta": beta,
            "step_accuracy": float(accuracy),
        },
    )


def musicvae_step_loss(
    model: MusicVAE, batch: tuple[Tensor, ...], *, step: int
) -> tuple[Tensor, dict[str, float]]:
    """Loss for one training batch at ``step`` (for ``modeling.loop.train``)."""
    tokens = batch[0]
    config = model.config
    teacher_p = teacher_forcing_probability(
        step=step, schedule=config.sampling_schedule, rate=config.sampling_rate
    )
    if not model.training:
        teacher_p = 1.0
    out = model(tokens, teacher_probability=teacher_p)
    beta = beta_at(step=step, max_beta=config.max_beta, beta_rate=config.beta_rate)
    terms = musicvae_loss(
        logits=out["logits"],
        targets=tokens,
        mu=out["mu"],
        sigma=out["sigma"],
        beta=beta,
        free_bits=config.free_bits,
    )
    metrics = dict(terms.metrics, teacher_probability=teacher_p)
    return terms.loss, metrics


@torch.no_grad()
def reconstruction_accuracy(model: MusicVAE, tokens: Tensor, *, batch_size: int = 512) -> float:
    """Share of steps reproduced when melodies are encoded (mu) and decoded free (argmax)."""
    model.eval()
    hits, total = 0, 0
    for start in range(0, tokens.shape[0], batch_size):
        chunk = tokens[start : start + batch_size]
        mu, _ = model.encode(chunk)
        decoded = model.decode(mu, sample=False).tokens
        hits += int((decoded == chunk).sum())
        total += chunk.numel()
    return hits / max(total, 1)
