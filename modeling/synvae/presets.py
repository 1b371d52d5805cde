"""How much to train each network of the SynVAE family, by preset name (plain values only).

Read by training and by evaluation (which trains its own classifier); the model sizes of each
preset live with the models (``MusicVAEConfig.preset``).
"""

from __future__ import annotations

from dataclasses import dataclass

MUSICVAE_TRAINING: dict[str, dict] = {
    "tiny": {"steps": 30, "batch_size": 16},
    "cpu_demo": {"steps": 2000, "batch_size": 128, "time_limit_s": 840.0},
    "small": {"steps": 50_000, "batch_size": 512},
    "big": {"steps": 100_000, "batch_size": 512},
}


@dataclass
class SynVAETraining:
    """How much to train each part of a SynVAE experiment."""

    visvae_epochs: int
    synvae_epochs: int
    classifier_epochs: int
    batch_size: int
    mine_steps: int
    width: float = 1.0
    learning_rate: float = 1e-3
    synvae_time_limit_s: float | None = None  # stop SynVAE training early on slow machines


SYNVAE_TRAINING: dict[str, SynVAETraining] = {
    "tiny": SynVAETraining(1, 1, 1, batch_size=32, mine_steps=60, width=0.25),
    "cpu_demo": SynVAETraining(
        30, 40, 40, batch_size=64, mine_steps=2000, synvae_time_limit_s=480.0
    ),
    "paper": SynVAETraining(100, 50, 20, batch_size=128, mine_steps=4000),
    # One GPU for minutes (modeling/synvae/gpu_train.py): the paper's batch, fewer epochs.
    "gpu_budget": SynVAETraining(20, 30, 10, batch_size=128, mine_steps=2000),
}

# The SynVAE's validation loss (read every 25 steps through argmax melodies, to keep the best
# weights) uses at most this many validation images: all of digits-28's 270, 1/10 of MNIST's.
SYNVAE_SELECTION_IMAGES = 1000


def synvae_plan(preset: str) -> SynVAETraining:
    if preset not in SYNVAE_TRAINING:
        raise ValueError(f"unknown SynVAE preset {preset!r}; choose from {sorted(SYNVAE_TRAINING)}")
    return SYNVAE_TRAINING[preset]


def musicvae_training_values(preset: str, **overrides) -> dict:
    """The preset's steps / batch size / time limit, with the given non-None values replacing."""
    if preset not in MUSICVAE_TRAINING:
        raise ValueError(
            f"unknown MusicVAE preset {preset!r}; choose from {sorted(MUSICVAE_TRAINING)}"
        )
    values = dict(MUSICVAE_TRAINING[preset])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values
