"""Tiny synthetic data and a tiny trained SynVAE for the family's tests (not a test module)."""

import numpy as np

from modeling.data.corpus import MelodyCorpus
from modeling.data.images import ImageSet
from modeling.data.melody import NUM_CLASSES, STEPS
from modeling.synvae.train import train_musicvae, train_synvae


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
