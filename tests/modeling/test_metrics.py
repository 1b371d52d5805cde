"""Table-1 metrics on cases whose answer is known."""

import math

import pytest
import torch

from modeling.metrics import (
    accuracy,
    mine_lower_bound,
    precision_at_k,
    predict_labels,
    summed_mse,
)


def test_mse_is_summed_over_pixels_and_averaged_over_images():
    images = torch.zeros(4, 1, 28, 28)
    assert math.isclose(summed_mse(torch.full_like(images, 0.5), images), 784 * 0.25)
    assert summed_mse(images, images) == 0.0


def test_precision_at_10_is_one_on_separated_clusters_and_chance_on_noise():
    generator = torch.Generator().manual_seed(0)
    labels = torch.arange(5).repeat_interleave(40)
    centres = torch.eye(5) * 50
    clustered = centres[labels] + torch.randn(200, 5, generator=generator)
    assert precision_at_k(clustered, labels, k=10) == 1.0
    noise = torch.randn(2000, 8, generator=generator)
    random_labels = torch.randint(0, 10, (2000,), generator=generator)
    assert precision_at_k(noise, random_labels, k=10) == pytest.approx(0.1, abs=0.02)


def test_precision_needs_more_points_than_neighbours():
    with pytest.raises(ValueError):
        precision_at_k(torch.zeros(5, 2), torch.zeros(5), k=10)


def test_accuracy_from_labels_or_logits():
    labels = torch.tensor([0, 1, 2, 2])
    assert accuracy(torch.tensor([0, 1, 1, 2]), labels) == 0.75
    logits = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 0]), 3).float()
    assert accuracy(logits, labels) == 0.75


def test_predict_labels_runs_a_classifier_in_batches():
    classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        classifier[1].weight.copy_(torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
        classifier[1].bias.zero_()
    images = torch.tensor([[[[1.0, 0], [0, 0]]], [[[0, 1.0], [0, 0]]]]).repeat(3, 1, 1, 1)
    assert predict_labels(classifier, images, batch_size=4).tolist() == [0, 1] * 3


def test_mine_bound_is_about_zero_for_independent_variables():
    generator = torch.Generator().manual_seed(1)
    x, y = torch.randn(2000, 4, generator=generator), torch.randn(2000, 4, generator=generator)
    estimate = mine_lower_bound(x, y, steps=400, hidden=64, seed=0)
    assert abs(estimate.nats) < 0.1
    assert estimate.n_heldout == 500


def test_mine_bound_is_clearly_positive_for_dependent_variables():
    generator = torch.Generator().manual_seed(2)
    x = torch.randn(2000, 4, generator=generator)
    y = x + 0.3 * torch.randn(2000, 4, generator=generator)  # true MI = 2 ln(1 + 1/0.09) = 5.0
    estimate = mine_lower_bound(x, y, steps=400, hidden=64, seed=0)
    assert 1.5 < estimate.nats < 5.2
