"""Mean average precision (MAP) of cross-modal retrieval, as in the Zeng dissertation (eq. 3.3).

A query from one modality ranks every item of the other by cosine similarity (most similar
first; equal similarities keep the database order). An item is relevant when it has the
query's label. AP = (1 / R) * sum over ranks k of precision@k * rel(k), with R the number of
relevant items in the database; MAP is the mean AP over the queries (queries with no relevant
item are left out).
"""

from __future__ import annotations

import numpy as np


def cosine_similarities(queries: np.ndarray, database: np.ndarray) -> np.ndarray:
    """[Q, D] cosine similarities (a zero vector is similar to nothing: 0)."""

    def unit(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.float64)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)

    return unit(queries) @ unit(database).T


def average_precision(relevant_in_rank_order: np.ndarray) -> float:
    """AP of one ranked list given as booleans (True = relevant), best rank first."""
    relevant = np.asarray(relevant_in_rank_order, dtype=bool)
    total = int(relevant.sum())
    if total == 0:
        raise ValueError("average precision needs at least one relevant item")
    hits = np.cumsum(relevant)
    ranks = np.arange(1, len(relevant) + 1)
    return float(np.sum((hits / ranks)[relevant]) / total)


def mean_average_precision(
    queries: np.ndarray,
    query_labels: np.ndarray,
    database: np.ndarray,
    database_labels: np.ndarray,
) -> float:
    """MAP of ranking ``database`` for each query by cosine similarity."""
    similarities = cosine_similarities(queries, database)
    database_labels = np.asarray(database_labels)
    scores = []
    for row, label in zip(similarities, np.asarray(query_labels), strict=True):
        relevant = database_labels[np.argsort(-row, kind="stable")] == label
        if relevant.any():
            scores.append(average_precision(relevant))
    if not scores:
        raise ValueError("no query has a relevant item in the database")
    return float(np.mean(scores))


def map_both_directions(
    music: np.ndarray, images: np.ndarray, music_labels: np.ndarray, image_labels: np.ndarray
) -> dict[str, float]:
    """{"music_to_image": MAP, "image_to_music": MAP, "mean": their mean}."""
    forward = mean_average_precision(music, music_labels, images, image_labels)
    backward = mean_average_precision(images, image_labels, music, music_labels)
    return {"music_to_image": forward, "image_to_music": backward, "mean": (forward + backward) / 2}
