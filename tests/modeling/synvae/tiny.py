"""Tiny networks, synthetic data and a tiny trained SynVAE for the modeling tests."""

import numpy as np
import torch

from modeling.data.corpus import MelodyCorpus
from modeling.data.images import ImageSet
from modeling.data.melody import NUM_CLASSES, STEPS
from modeling.loop import TrainConfig, TrainData
from modeling.synvae.train import train_musicvae, train_synvae
from modeling.synvae.visvae import VisVAE, VisVAEConfig


def synthetic_corpus() -> MelodyCorpus:
    rng = np.random.default_rng(0)
    return MelodyCorpus(
        train=rng.integers(0, NUM_CLASSES, (64, STEPS)),
        val=rng.integers(0, NUM_CLASSES, (16, STEPS)),
        description={"source": "random tokens for a test"},
    )


def synthetic_images() -> ImageSet:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)[rng.permutation(120)]
    images = (rng.random((120, 1, 28, 28)) < 0.1 * (labels[:, None, None, None] + 1)).astype(
        np.float32
    )
    return ImageSet(
        images[:72],
        labels[:72],
        images[72:96],
        labels[72:96],
        images[96:],
        labels[96:],
        classes=["sparse", "medium", "dense"],
        description={"name": "random dots"},
    )


def trained_tiny_synvae(tmp_path) -> tuple:
    music_path = tmp_path / "music.pt"
    train_musicvae(out=music_path, preset="tiny", corpus=synthetic_corpus(), device="cpu")
    result = train_synvae(
        musicvae_ckpt=music_path,
        out=tmp_path / "syn.pt",
        preset="tiny",
        image_set=synthetic_images(),
        device="cpu",
    )
    return tmp_path / "syn.pt", tmp_path / "syn.visvae.pt", result


def tiny_visvae(seed: int = 0) -> VisVAE:
    torch.manual_seed(seed)
    return VisVAE(VisVAEConfig.tiny())


def image_data(n: int = 40) -> TrainData:
    """Bright squares of random size and brightness on black: easy to learn, not constant."""
    generator = torch.Generator().manual_seed(5)
    images = torch.zeros(n + 10, 1, 28, 28)
    sizes = torch.randint(4, 20, (n + 10,), generator=generator)
    for i, size in enumerate(sizes.tolist()):
        images[i, 0, 4 : 4 + size, 4 : 4 + size] = 0.5 + 0.5 * torch.rand(1, generator=generator)
    return TrainData(
        train=(images[:n],),
        val=(images[n:],),
        description={"name": "squares", "n": n},
    )


def config(**overrides) -> TrainConfig:
    values = {
        "steps": 6,
        "batch_size": 8,
        "seed": 3,
        "device": "cpu",
        "log_every": 2,
        "eval_every": 2,
    }
    values.update(overrides)
    return TrainConfig(**values)
