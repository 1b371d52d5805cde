"""Cluster-CCA on constructed data whose canonical structure is known."""

import numpy as np
import pytest

from modeling.retrieval.cluster_cca import cluster_covariances, fit_cluster_cca


def two_views(*, classes=2, per_class=200, seed=0):
    """x: class signal in dimension 0, noise in 1..4; y: the class signal in dimension 2 of 3."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), per_class)
    signal = labels * 2.0 - (classes - 1)
    x = rng.normal(size=(len(labels), 5))
    x[:, 0] += 3 * signal
    y = rng.normal(size=(len(labels), 3))
    y[:, 2] -= 3 * signal
    return x, y, labels


def test_the_cluster_covariances_follow_the_dissertations_equation():
    x = np.array([[1.0], [3.0], [-2.0]])
    y = np.array([[2.0], [-1.0]])
    x_labels, y_labels = np.array([0, 0, 1]), np.array([0, 1])
    cxx, cyy, cxy = cluster_covariances(x, y, x_labels, y_labels)
    pairs = 2 * 1 + 1 * 1  # L = sum_c |X_c| |Y_c|
    assert cxx[0, 0] == pytest.approx((1 * (1 + 9) + 1 * 4) / pairs)
    assert cyy[0, 0] == pytest.approx((2 * 4 + 1 * 1) / pairs)
    assert cxy[0, 0] == pytest.approx(((1 + 3) * 2 + (-2) * (-1)) / pairs)


def test_two_classes_give_one_direction_and_it_is_the_planted_one():
    x, y, labels = two_views()
    projection = fit_cluster_cca(x, y, labels, labels, dim=3, beta=0.0)
    # Centred class sums of two classes span one direction: one correlation, the rest ~0. Its
    # value is the class signal's share of the variance along it: 9 / (9 + 1) in each view.
    assert projection.correlations[0] == pytest.approx(0.9, abs=0.02)
    assert np.all(projection.correlations[1:] < 1e-6)
    first_x, first_y = projection.w_x[:, 0], projection.w_y[:, 0]
    assert abs(first_x[0]) > 5 * np.abs(first_x[1:]).max(), "x's class dimension"
    assert abs(first_y[2]) > 5 * np.abs(first_y[:2]).max(), "y's class dimension"
    # Projected, the two views agree on the class of (nearly) every sample.
    px, py = projection.project_x(x)[:, 0], projection.project_y(y)[:, 0]
    assert np.corrcoef(px, labels)[0, 1] ** 2 > 0.8
    assert np.mean(np.sign(px) == np.sign(py)) > 0.98


def test_three_classes_give_two_directions_and_the_pairwise_term_adds_beta_weighted_ones():
    x, y, labels = two_views(classes=3)
    x = np.hstack([x, labels[:, None] == 1])  # a second class direction in each view
    y = np.hstack([y, labels[:, None] == 1])
    cluster_only = fit_cluster_cca(x, y, labels, labels, dim=3, beta=0.0)
    # The noise-free class column correlates perfectly; the noisy one by 36 / (36 + 1) or so.
    assert cluster_only.correlations[0] == pytest.approx(1.0, abs=1e-3)
    assert cluster_only.correlations[1] > 0.9 and cluster_only.correlations[2] < 1e-6
    mixed = fit_cluster_cca(x, y, labels, labels, dim=3, beta=0.2, paired=True)
    assert 0.0 < mixed.correlations[2] < 0.2
    ignored = fit_cluster_cca(x, y, labels, labels, dim=3, beta=0.2, paired=False)
    assert ignored.correlations == pytest.approx(cluster_only.correlations)


def test_the_projections_are_whitened_and_bad_requests_are_refused():
    x, y, labels = two_views()
    projection = fit_cluster_cca(x, y, labels, labels, dim=3, reg=1e-4)
    cxx, _, _ = cluster_covariances(x - x.mean(0), y - y.mean(0), labels, labels)
    whitened = projection.w_x.T @ (cxx + 1e-4 * np.eye(5)) @ projection.w_x
    assert whitened == pytest.approx(np.eye(3), abs=1e-6)
    with pytest.raises(ValueError, match="cannot find 4 directions"):
        fit_cluster_cca(x, y, labels, labels, dim=4)
    with pytest.raises(ValueError, match="beta must lie between 0 and 1"):
        fit_cluster_cca(x, y, labels, labels, dim=2, beta=1.5)
    with pytest.raises(ValueError, match="at least one class present in both"):
        fit_cluster_cca(x, y, labels, labels + 5, dim=2)
