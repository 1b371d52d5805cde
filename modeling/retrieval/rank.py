"""Using a trained TNN-C-CCA: embed clips and pictures, rank pictures for a clip (and clips for
a picture) by cosine similarity. Inference only: never imports training code.

    ranker = RetrievalRanker.from_checkpoint("modeling/weights/retrieval_cpu_demo.pt")
    ranker.rank_images("clip.flac", ["a.png", "b.png", "c.png"])   # [(index, similarity), ...]

Clips may be audio files or 193-d vectors; pictures may be files, PIL images or arrays (their
41-d descriptor is computed here), or precomputed feature rows via ``*_features`` calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from modeling.affect.inputs import clips_tensor
from modeling.retrieval.image_features import image_descriptors
from modeling.retrieval.metrics import cosine_similarities
from modeling.retrieval.model import TNNClusterCCA


class RetrievalRanker:
    def __init__(self, model: TNNClusterCCA) -> None:
        self.model = model.eval()

    @classmethod
    def from_checkpoint(cls, path: Path | str) -> RetrievalRanker:
        from modeling.checkpoint_io import load_model

        model, _ = load_model(path, expected_kind="retrieval")
        return cls(model)

    @torch.no_grad()
    def embed_clips(self, clips) -> np.ndarray:
        return self.model.embed_music(clips_tensor(clips)).numpy()

    @torch.no_grad()
    def embed_picture_features(self, features: np.ndarray) -> np.ndarray:
        return self.model.embed_image(torch.as_tensor(features, dtype=torch.float32)).numpy()

    def embed_pictures(self, pictures) -> np.ndarray:
        return self.embed_picture_features(image_descriptors(pictures))

    def rank_picture_features(self, clip, features: np.ndarray) -> list[tuple[int, float]]:
        similarities = cosine_similarities(
            self.embed_clips([clip]), self.embed_picture_features(features)
        )[0]
        order = np.argsort(-similarities, kind="stable")
        return [(int(i), float(similarities[i])) for i in order]

    def rank_images(self, clip, pictures) -> list[tuple[int, float]]:
        """(index into ``pictures``, cosine similarity), most similar first."""
        return self.rank_picture_features(clip, image_descriptors(pictures))

    def rank_clips(self, picture, clips) -> list[tuple[int, float]]:
        """(index into ``clips``, cosine similarity), most similar first."""
        similarities = cosine_similarities(self.embed_pictures([picture]), self.embed_clips(clips))[
            0
        ]
        order = np.argsort(-similarities, kind="stable")
        return [(int(i), float(similarities[i])) for i in order]
