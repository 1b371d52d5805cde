"""The embedding seen from its first two principal components (Nguyen, figure 5.1): points
coloured by year, shaped by modality (circles music, triangles images). Matplotlib, Agg."""

from __future__ import annotations

from pathlib import Path

import numpy as np

MARKERS = {"music": "o", "image": "^"}


def principal_components(points: np.ndarray, *, components: int = 2) -> tuple[np.ndarray, list]:
    """Points projected on their first principal components, and each one's explained share."""
    centred = np.asarray(points, dtype=float) - np.mean(points, axis=0)
    _, singular, vectors = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    shares = (variance / max(variance.sum(), 1e-12))[:components]
    return centred @ vectors[:components].T, [float(s) for s in shares]


def pca_plot(
    embeddings: dict[str, np.ndarray],
    years: dict[str, np.ndarray],
    path: Path | str,
    *,
    title: str = "Chronological embedding (PCA)",
) -> dict:
    """Write a PNG; return what it shows (points per modality, explained variance shares)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    names = [m for m in MARKERS if m in embeddings and len(embeddings[m])]
    if not names:
        raise ValueError("there is nothing to plot: no embeddings were given.")
    projected, shares = principal_components(np.concatenate([embeddings[m] for m in names]))
    all_years = np.concatenate([years[m] for m in names])
    figure, axes = plt.subplots(figsize=(6.5, 5), dpi=120)
    start = 0
    scatter = None
    for modality in names:
        stop = start + len(embeddings[modality])
        scatter = axes.scatter(
            projected[start:stop, 0],
            projected[start:stop, 1],
            c=all_years[start:stop],
            cmap="viridis",
            vmin=all_years.min(),
            vmax=all_years.max(),
            marker=MARKERS[modality],
            s=18,
            alpha=0.8,
            label=f"{modality} ({stop - start})",
        )
        start = stop
    figure.colorbar(scatter, ax=axes, label="year")
    axes.set_xlabel(f"PC 1 ({shares[0]:.0%} of variance)")
    axes.set_ylabel(f"PC 2 ({shares[1]:.0%} of variance)" if len(shares) > 1 else "PC 2")
    axes.set_title(title)
    axes.legend(loc="best", fontsize=8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
    return {
        "path": str(path),
        "points": {m: len(embeddings[m]) for m in names},
        "explained_variance": shares,
    }
