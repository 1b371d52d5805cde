"""Using a trained ACP-Net: score a picture-clip pair, rank pictures for a clip, read the
emotion probes. Inference only: never imports training code.

    scorer = AffectScorer.from_checkpoint("modeling/weights/affect_cpu_demo.pt")
    scorer.score_pair("picture.png", "clip.flac")          # P(they share an emotion)
    scorer.rank_images("clip.flac", ["a.png", "b.png"])    # [(index, probability), ...] best first
    scorer.image_emotions(["a.png"])                       # [{"positive": p, ...}]

Pictures may be file paths, PIL images or arrays; clips may be audio files or 193-d vectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from modeling.affect.inputs import clips_tensor, images_tensor
from modeling.affect.model import ACPNet

BATCH = 256


@torch.no_grad()
def embed_images(model: ACPNet, images: torch.Tensor) -> torch.Tensor:
    model.eval()
    parts = [model.encode_image(images[i : i + BATCH]) for i in range(0, len(images), BATCH)]
    return torch.cat(parts) if parts else torch.zeros(0, model.config.embedding)


@torch.no_grad()
def embed_music(model: ACPNet, vectors: torch.Tensor) -> torch.Tensor:
    model.eval()
    parts = [model.encode_music(vectors[i : i + BATCH]) for i in range(0, len(vectors), BATCH)]
    return torch.cat(parts) if parts else torch.zeros(0, model.config.embedding)


@torch.no_grad()
def pair_probabilities(
    model: ACPNet,
    image_embeddings: torch.Tensor,
    music_embeddings: torch.Tensor,
    image_rows: np.ndarray,
    music_rows: np.ndarray,
) -> np.ndarray:
    """P(true correspondence) of each (image_rows[k], music_rows[k]) pair of embeddings."""
    model.eval()
    out = []
    for start in range(0, len(image_rows), BATCH):
        rows_i = torch.as_tensor(image_rows[start : start + BATCH])
        rows_m = torch.as_tensor(music_rows[start : start + BATCH])
        logits = model.correspondence_logits(image_embeddings[rows_i], music_embeddings[rows_m])
        out.append(torch.softmax(logits, dim=1)[:, 1])
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.float32)


class AffectScorer:
    """A trained ACP-Net behind plain-value calls (probabilities as floats)."""

    def __init__(self, model: ACPNet, *, classes: tuple[str, ...]) -> None:
        self.model = model.eval()
        self.classes = tuple(classes)

    @classmethod
    def from_checkpoint(cls, path: Path | str) -> AffectScorer:
        from modeling.checkpoint_io import load_model

        model, checkpoint = load_model(path, expected_kind="acpnet")
        classes = checkpoint.data_description.get("classes", ["positive", "neutral", "negative"])
        return cls(model, classes=tuple(classes))

    def _images(self, pictures) -> torch.Tensor:
        return embed_images(self.model, images_tensor(pictures, size=self.model.config.image_size))

    def _clips(self, clips) -> torch.Tensor:
        return embed_music(self.model, clips_tensor(clips))

    def score_pairs(self, pictures, clips) -> np.ndarray:
        """P(true correspondence) of each (pictures[k], clips[k])."""
        if len(pictures) != len(clips):
            raise ValueError("score_pairs needs as many pictures as clips.")
        rows = np.arange(len(pictures))
        return pair_probabilities(
            self.model, self._images(pictures), self._clips(clips), rows, rows
        )

    def score_pair(self, picture, clip) -> float:
        """P(the picture and the clip share an emotion), from 0 to 1."""
        return float(self.score_pairs([picture], [clip])[0])

    def rank_images(self, clip, pictures) -> list[tuple[int, float]]:
        """(index into ``pictures``, probability), best match first; ties keep the given order."""
        images = self._images(pictures)
        music = self._clips([clip])
        rows = np.arange(len(pictures))
        scores = pair_probabilities(self.model, images, music, rows, np.zeros_like(rows))
        order = np.argsort(-scores, kind="stable")
        return [(int(i), float(scores[i])) for i in order]

    @torch.no_grad()
    def image_emotions(self, pictures) -> list[dict[str, float]]:
        """The image probe's class probabilities for each picture."""
        tensor = images_tensor(pictures, size=self.model.config.image_size)
        probabilities = torch.softmax(self.model.image_emotion_logits(tensor), dim=1)
        return [dict(zip(self.classes, map(float, row), strict=True)) for row in probabilities]

    @torch.no_grad()
    def clip_emotions(self, clips) -> list[dict[str, float]]:
        """The music probe's class probabilities for each clip."""
        probabilities = torch.softmax(self.model.music_emotion_logits(clips_tensor(clips)), dim=1)
        return [dict(zip(self.classes, map(float, row), strict=True)) for row in probabilities]
