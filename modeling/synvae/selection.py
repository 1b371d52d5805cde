"""Reproducible stimulus selection for SynVAE matching studies (Müller-Eberstein & van Noord).

In the visual latent space: take class centroids (or k-means centres), pick the classes whose
centroids are farthest apart (largest summed pairwise distance), and take the images nearest
each centroid. Nothing is curated by hand, so a study can be rebuilt exactly from its seed.
"""

from dataclasses import dataclass
from itertools import combinations

import numpy as np


@dataclass(frozen=True)
class Selection:
    classes: list  # the chosen class labels, most distant set
    nearest: dict  # class label -> image indices, nearest to its centroid first
    centroid_distance_sum: float


def class_centroids(latents: np.ndarray, labels: np.ndarray) -> dict:
    return {label: latents[labels == label].mean(axis=0) for label in np.unique(labels)}


def kmeans_centres(latents: np.ndarray, *, k: int, seed: int, iterations: int = 50) -> np.ndarray:
    """Plain Lloyd's k-means with k-means++ starts (kept here: no sklearn in `modeling`)."""
    rng = np.random.default_rng(seed)
    centres = [latents[rng.integers(len(latents))]]
    while len(centres) < k:
        distances = np.min([((latents - c) ** 2).sum(axis=1) for c in centres], axis=0)
        centres.append(latents[rng.choice(len(latents), p=distances / distances.sum())])
    centres = np.array(centres)
    for _ in range(iterations):
        assignment = np.argmin(((latents[:, None] - centres[None]) ** 2).sum(axis=2), axis=1)
        moved = np.array(
            [
                latents[assignment == j].mean(axis=0) if np.any(assignment == j) else centres[j]
                for j in range(k)
            ]
        )
        if np.allclose(moved, centres):
            break
        centres = moved
    return centres


def most_distant_classes(centroids: dict, *, n: int) -> tuple[list, float]:
    """The n classes whose centroids have the largest summed pairwise distance."""
    if len(centroids) < n:
        raise ValueError(f"need at least {n} classes, the data has {len(centroids)}")
    best, best_sum = None, -1.0
    for group in combinations(sorted(centroids), n):
        total = sum(
            float(np.linalg.norm(centroids[a] - centroids[b])) for a, b in combinations(group, 2)
        )
        if total > best_sum:
            best, best_sum = list(group), total
    return best, best_sum


def select_stimuli(
    latents: np.ndarray,
    labels: np.ndarray,
    *,
    n_classes: int = 3,
    method: str = "centroids",
    seed: int = 0,
) -> Selection:
    """Classes (or k-means clusters) most apart, and each one's images nearest its centre."""
    latents = np.asarray(latents, dtype=np.float64)
    labels = np.asarray(labels)
    if method == "kmeans":
        centres = kmeans_centres(latents, k=n_classes, seed=seed)
        labels = np.argmin(((latents[:, None] - centres[None]) ** 2).sum(axis=2), axis=1)
        centroids = {j: centres[j] for j in range(n_classes)}
    elif method == "centroids":
        centroids = class_centroids(latents, labels)
    else:
        raise ValueError(f"method must be 'centroids' or 'kmeans', not {method!r}")
    chosen, total = most_distant_classes(centroids, n=n_classes)
    nearest = {}
    for label in chosen:
        members = np.flatnonzero(labels == label)
        order = np.argsort(
            np.linalg.norm(latents[members] - centroids[label], axis=1), kind="stable"
        )
        nearest[label] = members[order].tolist()
    return Selection(classes=chosen, nearest=nearest, centroid_distance_sum=total)
