"""The thesis' metrics of a chronological embedding, each against a shuffled-year baseline.

- **Precision@K** (Nguyen, section 4.4): for each source item, the share of its K nearest
  neighbours (Euclidean) in the search set made within ``within`` (10) years of it, averaged
  over the sources. A perfect embedding can score below 1 when fewer than K works lie that
  close in time.
- **AD@K**: the mean absolute year difference between each source and its K nearest neighbours
  (lower is better).
- **Year regression MAE**: a ridge regression from the embedding to the year, fitted on the
  training items, mean absolute error on held-out items (Nguyen, section 5.3).

Directions name the source and search modalities: M->M, A->A (A for art: the images), M->A,
A->M. Neighbours from the source's own work are left out (``exclude_same_group``), so clips of
one piece cannot make each other look well dated. The **shuffled-year baseline** deals the
years out again at random *by work* (all clips of a work keep one year) and recomputes the
metric on the same neighbours; the p-value is (1 + the number of shuffles scoring at least as
well) / (1 + shuffles): one-sided, never 0.
"""

from __future__ import annotations

import numpy as np

DIRECTIONS: dict[str, tuple[str, str]] = {
    "M->M": ("music", "music"),
    "A->A": ("image", "image"),
    "M->A": ("music", "image"),
    "A->M": ("image", "music"),
}
DEFAULT_K = 25
DEFAULT_WITHIN = 10.0
DEFAULT_PERMUTATIONS = 999


def squared_distances(source: np.ndarray, search: np.ndarray) -> np.ndarray:
    source, search = np.asarray(source, dtype=float), np.asarray(search, dtype=float)
    distances = (source**2).sum(1)[:, None] + (search**2).sum(1)[None, :] - 2.0 * source @ search.T
    return np.maximum(distances, 0.0)


def nearest_neighbours(
    source: np.ndarray,
    search: np.ndarray,
    *,
    k: int,
    same_set: bool,
    source_groups: np.ndarray | None = None,
    search_groups: np.ndarray | None = None,
) -> np.ndarray:
    """[N, k] rows of ``search`` nearest to each ``source`` row, nearest first.

    ``same_set``: source and search are the same items (each item is not its own neighbour).
    With groups, a source's neighbours never share its group.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    distances = squared_distances(source, search)
    if same_set:
        np.fill_diagonal(distances, np.inf)
    if source_groups is not None and search_groups is not None:
        same = np.asarray(source_groups)[:, None] == np.asarray(search_groups)[None, :]
        distances[same] = np.inf
    available = np.isfinite(distances).sum(1).min() if len(distances) else 0
    if available < k:
        raise ValueError(
            f"K = {k} needs at least {k} candidate neighbours for every item, but one item has "
            f"only {available}."
        )
    nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(distances, nearest, axis=1).argsort(axis=1, kind="stable")
    return np.take_along_axis(nearest, order, axis=1)


def precision_at_k(
    source_years: np.ndarray,
    search_years: np.ndarray,
    neighbours: np.ndarray,
    *,
    within: float = DEFAULT_WITHIN,
) -> float:
    """Mean over sources of (neighbours made within ``within`` years) / K."""
    gaps = np.abs(np.asarray(search_years)[neighbours] - np.asarray(source_years)[:, None])
    return float((gaps <= within).mean())


def average_difference_at_k(
    source_years: np.ndarray, search_years: np.ndarray, neighbours: np.ndarray
) -> float:
    """Mean absolute year difference between each source and its K neighbours."""
    gaps = np.abs(np.asarray(search_years)[neighbours] - np.asarray(source_years)[:, None])
    return float(gaps.mean())


def shuffle_years_by_group(
    years: np.ndarray, groups: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The years dealt out again at random to the groups (every member of a group gets one)."""
    names, first, inverse = np.unique(np.asarray(groups), return_index=True, return_inverse=True)
    group_years = np.asarray(years, dtype=float)[first]
    return group_years[rng.permutation(len(names))][inverse]


def direction_scores(
    source: np.ndarray,
    search: np.ndarray,
    *,
    source_years: np.ndarray,
    search_years: np.ndarray,
    source_groups: np.ndarray,
    search_groups: np.ndarray,
    same_set: bool,
    k: int = DEFAULT_K,
    within: float = DEFAULT_WITHIN,
    permutations: int = DEFAULT_PERMUTATIONS,
    exclude_same_group: bool = True,
    seed: int = 0,
) -> dict:
    """P@K and AD@K of one direction, their shuffled-year means and permutation p-values."""
    neighbours = nearest_neighbours(
        source,
        search,
        k=k,
        same_set=same_set,
        source_groups=source_groups if exclude_same_group else None,
        search_groups=search_groups if exclude_same_group else None,
    )
    precision = precision_at_k(source_years, search_years, neighbours, within=within)
    difference = average_difference_at_k(source_years, search_years, neighbours)
    rng = np.random.default_rng(seed)
    shuffled_precision, shuffled_difference = np.empty(permutations), np.empty(permutations)
    for index in range(permutations):
        dealt = shuffle_years_by_group(search_years, search_groups, rng)
        anchors = dealt if same_set else source_years
        shuffled_precision[index] = precision_at_k(anchors, dealt, neighbours, within=within)
        shuffled_difference[index] = average_difference_at_k(anchors, dealt, neighbours)
    return {
        "precision_at_k": precision,
        "ad_at_k": difference,
        "shuffled_precision_at_k": float(shuffled_precision.mean()),
        "shuffled_ad_at_k": float(shuffled_difference.mean()),
        "p_value": permutation_p_value(shuffled_precision, precision, higher_is_better=True),
        "ad_p_value": permutation_p_value(shuffled_difference, difference, higher_is_better=False),
        "sources": int(len(source)),
        "search": int(len(search)),
        "permutations": int(permutations),
    }


def permutation_p_value(null: np.ndarray, observed: float, *, higher_is_better: bool) -> float:
    """(1 + shuffles at least as good as ``observed``) / (1 + shuffles)."""
    null = np.asarray(null)
    as_good = (null >= observed) if higher_is_better else (null <= observed)
    return float((1 + as_good.sum()) / (1 + len(null)))


def fit_ridge(x: np.ndarray, y: np.ndarray, *, alpha: float = 1.0) -> tuple[np.ndarray, float]:
    """Weights and intercept of ridge regression (the intercept is not penalised)."""
    x_mean, y_mean = x.mean(0), float(y.mean())
    centred = x - x_mean
    weights = np.linalg.solve(
        centred.T @ centred + alpha * np.eye(x.shape[1]), centred.T @ (y - y_mean)
    )
    return weights, y_mean - float(x_mean @ weights)


def year_regression(
    train: np.ndarray,
    train_years: np.ndarray,
    train_groups: np.ndarray,
    test: np.ndarray,
    test_years: np.ndarray,
    *,
    alpha: float = 1.0,
    permutations: int = 199,
    seed: int = 0,
) -> dict:
    """MAE of a ridge regression embedding -> year (fit on train, read on test), against the
    same regression fitted on years shuffled by work, and against predicting the train mean."""
    train, test = np.asarray(train, dtype=float), np.asarray(test, dtype=float)

    def mae_when_fitted_on(years: np.ndarray) -> float:
        weights, intercept = fit_ridge(train, years, alpha=alpha)
        return float(np.abs(test @ weights + intercept - test_years).mean())

    observed = mae_when_fitted_on(np.asarray(train_years, dtype=float))
    rng = np.random.default_rng(seed)
    null = np.array(
        [
            mae_when_fitted_on(shuffle_years_by_group(train_years, train_groups, rng))
            for _ in range(permutations)
        ]
    )
    return {
        "mae": observed,
        "shuffled_mae": float(null.mean()),
        "mean_year_mae": float(np.abs(float(np.mean(train_years)) - test_years).mean()),
        "p_value": permutation_p_value(null, observed, higher_is_better=False),
        "train": int(len(train)),
        "test": int(len(test)),
        "permutations": int(permutations),
    }
