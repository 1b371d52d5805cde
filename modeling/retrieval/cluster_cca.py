"""Cluster-CCA (Rasiwasia et al. 2014, as used by Zeng's TNN-C-CCA), closed form in NumPy.

Plain CCA correlates the two views of paired samples. Cluster-CCA instead treats *every*
music-picture pair of one class as corresponding (dissertation eq. 5.11), with
L = sum_c |X_c| |Y_c| such pairs:

    C'xx = 1/L sum_c |Y_c| sum_{i in c} x_i x_i^T
    C'yy = 1/L sum_c |X_c| sum_{j in c} y_j y_j^T
    C'xy = 1/L sum_c (sum_{i in c} x_i) (sum_{j in c} y_j)^T

When the two views are also paired sample by sample (row i of each made together), the
cross-covariance mixes in the pairwise one, ``beta`` * pairwise + (1 - beta) * cluster, with
beta 0.2 as in the authors' setting; an unpaired set uses the cluster term alone. ``reg`` (1e-4)
is added to both auto-covariances' diagonals. The projections solve the usual eigenproblem by
whitening: T = C'xx^-1/2 C'xy C'yy^-1/2 = U S V^T, W_x = C'xx^-1/2 U_k, W_y = C'yy^-1/2 V_k,
and S_k are the canonical correlations. Inputs are centred by their means first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CCAProjection:
    """x -> (x - mean_x) @ w_x and y -> (y - mean_y) @ w_y, each ``dim`` wide."""

    w_x: np.ndarray
    w_y: np.ndarray
    mean_x: np.ndarray
    mean_y: np.ndarray
    correlations: np.ndarray

    def project_x(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean_x) @ self.w_x

    def project_y(self, y: np.ndarray) -> np.ndarray:
        return (np.asarray(y, dtype=np.float64) - self.mean_y) @ self.w_y


def inverse_square_root(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors / np.sqrt(np.clip(values, 1e-12, None))) @ vectors.T


def cluster_covariances(
    x: np.ndarray, y: np.ndarray, x_labels: np.ndarray, y_labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(C'xx, C'yy, C'xy) of centred x and y over all same-class pairs."""
    classes = np.intersect1d(np.unique(x_labels), np.unique(y_labels))
    cxx = np.zeros((x.shape[1], x.shape[1]))
    cyy = np.zeros((y.shape[1], y.shape[1]))
    cxy = np.zeros((x.shape[1], y.shape[1]))
    pairs = 0
    for label in classes:
        xc, yc = x[x_labels == label], y[y_labels == label]
        cxx += len(yc) * xc.T @ xc
        cyy += len(xc) * yc.T @ yc
        cxy += np.outer(xc.sum(0), yc.sum(0))
        pairs += len(xc) * len(yc)
    if pairs == 0:
        raise ValueError("Cluster-CCA needs at least one class present in both modalities.")
    return cxx / pairs, cyy / pairs, cxy / pairs


def fit_cluster_cca(
    x: np.ndarray,
    y: np.ndarray,
    x_labels: np.ndarray,
    y_labels: np.ndarray,
    *,
    dim: int = 10,
    beta: float = 0.2,
    reg: float = 1e-4,
    paired: bool = False,
) -> CCAProjection:
    """The ``dim`` Cluster-CCA directions of x [n, p] and y [m, q] (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if dim > min(x.shape[1], y.shape[1]):
        raise ValueError(
            f"Cluster-CCA cannot find {dim} directions in {x.shape[1]}-d and {y.shape[1]}-d data."
        )
    if not 0.0 <= beta <= 1.0:
        raise ValueError("beta must lie between 0 and 1.")
    if paired and len(x) != len(y):
        raise ValueError("Paired views need the same number of rows.")
    mean_x, mean_y = x.mean(0), y.mean(0)
    x, y = x - mean_x, y - mean_y
    cxx, cyy, cxy = cluster_covariances(x, y, np.asarray(x_labels), np.asarray(y_labels))
    if paired:
        cxy = beta * (x.T @ y / len(x)) + (1.0 - beta) * cxy
    root_x = inverse_square_root(cxx + reg * np.eye(len(cxx)))
    root_y = inverse_square_root(cyy + reg * np.eye(len(cyy)))
    u, s, vt = np.linalg.svd(root_x @ cxy @ root_y)
    return CCAProjection(
        w_x=root_x @ u[:, :dim],
        w_y=root_y @ vt.T[:, :dim],
        mean_x=mean_x,
        mean_y=mean_y,
        correlations=s[:dim],
    )
