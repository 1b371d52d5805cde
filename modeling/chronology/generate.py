"""Inference with a trained chronological embedding: embed files, find neighbours, choose
distractors. Never imports training code (``train.py``, ``modeling.loop``).

``ChronologyEmbedder.from_checkpoint(path)`` embeds music (score features of MIDI files, or
audio features, whichever the network was trained on), images (hand-made features, pixels, or a
backbone's features when given its weights) and precomputed feature rows. For the period
matching study: ``nearest_by_embedding`` (the items closest to a query) and
``hard_distractors`` (near in the embedding, far in time: the hard choices).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from modeling.checkpoint_io import load_model
from modeling.chronology.model import ChronologyNet


@dataclass
class ChronologyEmbedder:
    model: ChronologyNet
    backbone_weights: Path | None = None

    @classmethod
    def from_checkpoint(
        cls, path: Path | str, *, backbone_weights: Path | str | None = None
    ) -> ChronologyEmbedder:
        model, _ = load_model(path, expected_kind="chronology")
        return cls(model, Path(backbone_weights) if backbone_weights else None)

    @torch.no_grad()
    def embed_features(self, modality: str, features: np.ndarray) -> np.ndarray:
        """[n, embedding_dim] embeddings of feature rows (or pixel arrays) of one modality."""
        tensor = torch.as_tensor(np.asarray(features, dtype=np.float32))
        return self.model.encode(modality, tensor).numpy()

    def music_file_features(self, path: Path | str) -> np.ndarray:
        """[clips, d] inputs of a MIDI or sound file, as this network expects them."""
        from modeling.chronology import music_features

        if self.model.config.music_features == "audio":
            return music_features.audio_file_features(path)
        return music_features.midi_file_features(path)

    def image_file_features(self, paths: Sequence[Path | str]) -> np.ndarray:
        """[n, d] inputs of image files, as this network expects them."""
        from modeling.chronology import image_features

        config = self.model.config
        images = [image_features.load_image(p) for p in paths]
        if config.image_input == "pixels":
            return np.stack(
                [image_features.image_pixels(i, size=config.pixel_size) for i in images]
            )
        if config.image_input == "backbone":
            from modeling.chronology.backbone import backbone_features, load_backbone

            if self.backbone_weights is None:
                raise ValueError(
                    "this network was trained on backbone features: give the backbone weights."
                )
            return backbone_features(load_backbone(self.backbone_weights), images)
        return np.stack([image_features.image_features(i) for i in images])

    def embed_music_file(self, path: Path | str) -> np.ndarray:
        """One embedding for a music file: the mean of its clips' embeddings (re-normalised
        for a unit-norm network)."""
        clips = self.embed_features("music", self.music_file_features(path))
        mean = clips.mean(0)
        return mean / max(np.linalg.norm(mean), 1e-9) if self.model.config.unit_norm else mean

    def embed_image_files(self, paths: Sequence[Path | str]) -> np.ndarray:
        return self.embed_features("image", self.image_file_features(paths))


def nearest_by_embedding(
    query: np.ndarray, pool: np.ndarray, *, count: int, exclude: Sequence[int] = ()
) -> np.ndarray:
    """Rows of ``pool`` nearest to the ``query`` embedding (Euclidean), nearest first."""
    distances = ((np.asarray(pool) - np.asarray(query)[None, :]) ** 2).sum(1)
    distances[list(exclude)] = np.inf
    available = int(np.isfinite(distances).sum())
    if available < count:
        raise ValueError(f"asked for {count} neighbours, the pool has {available}.")
    return np.argsort(distances, kind="stable")[:count]


def hard_distractors(
    target: int,
    embeddings: np.ndarray,
    years: np.ndarray,
    *,
    count: int,
    min_year_gap: float = 20.0,
) -> np.ndarray:
    """Items at least ``min_year_gap`` years from the target, nearest to it in the embedding
    first: works that look alike to the network but come from another time."""
    gap = np.abs(np.asarray(years, dtype=float) - float(years[target]))
    far = np.flatnonzero(gap >= min_year_gap)
    if len(far) < count:
        raise ValueError(
            f"only {len(far)} items lie {min_year_gap:g}+ years from the target; {count} needed."
        )
    order = nearest_by_embedding(embeddings[target], embeddings[far], count=count)
    return far[order]


def distractors_by_year(
    target: int,
    years: np.ndarray,
    *,
    count: int,
    min_year_gap: float = 20.0,
    seed: int = 0,
) -> np.ndarray:
    """``count`` items drawn at random among those ``min_year_gap``+ years from the target."""
    gap = np.abs(np.asarray(years, dtype=float) - float(years[target]))
    far = np.flatnonzero(gap >= min_year_gap)
    if len(far) < count:
        raise ValueError(
            f"only {len(far)} items lie {min_year_gap:g}+ years from the target; {count} needed."
        )
    return np.sort(np.random.default_rng(seed).choice(far, size=count, replace=False))
