"""Evaluation metrics of the SynVAE paper (Table 1), as pure functions on tensors; any family
may use them.

MSE is summed over the pixels of an image and averaged over images (the KL column is
``modeling.gaussian.gaussian_kl`` averaged over examples); Precision@k is class-based retrieval
in a latent space; accuracy compares predicted and true labels; ``mine_lower_bound`` is a
Donsker-Varadhan (MINE) lower bound on mutual information, trained on one part of the pairs and
read on held-out pairs as in DEMINE (Lin et al. 2019), so that the number is not inflated by
over-fitting.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn


def _as_tensor(values: Tensor | np.ndarray) -> Tensor:
    return values if isinstance(values, Tensor) else torch.as_tensor(np.asarray(values))


def summed_mse(reconstructions: Tensor, images: Tensor) -> float:
    """Squared error summed over each image's pixels, averaged over images."""
    diff = _as_tensor(reconstructions).float() - _as_tensor(images).float()
    return float(diff.pow(2).flatten(1).sum(dim=1).mean())


def precision_at_k(latents: Tensor, labels: Tensor, *, k: int = 10) -> float:
    """Mean share of each point's k nearest neighbours (Euclidean, itself excluded) in its class."""
    z = _as_tensor(latents).float()
    y = _as_tensor(labels).long()
    if z.shape[0] <= k:
        raise ValueError(f"need more than k={k} points, got {z.shape[0]}")
    hits = 0.0
    for start in range(0, z.shape[0], 1024):
        chunk = z[start : start + 1024]
        distances = torch.cdist(chunk, z)
        rows = torch.arange(chunk.shape[0])
        distances[rows, rows + start] = float("inf")
        neighbours = distances.topk(k, dim=1, largest=False).indices
        hits += float((y[neighbours] == y[start : start + 1024, None]).float().sum())
    return hits / (z.shape[0] * k)


def accuracy(predicted: Tensor, labels: Tensor) -> float:
    """Share of predictions equal to the labels; ``predicted`` may be labels or logits [N, C]."""
    predicted = _as_tensor(predicted)
    if predicted.dim() == 2:
        predicted = predicted.argmax(dim=1)
    return float((predicted.long() == _as_tensor(labels).long()).float().mean())


@torch.no_grad()
def predict_labels(classifier: nn.Module, images: Tensor, *, batch_size: int = 512) -> Tensor:
    """Class predictions of a classifier for images, in batches, without gradients."""
    classifier.eval()
    chunks = [
        classifier(images[i : i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)
    ]
    return torch.cat(chunks)


@dataclass
class MIEstimate:
    """A mutual-information lower bound in nats, read on pairs the estimator never trained on."""

    nats: float
    fit_nats: float
    n_fit: int
    n_heldout: int
    steps: int


class StatisticsNetwork(nn.Module):
    """T(x, y) of MINE: an MLP on the concatenated pair."""

    def __init__(self, x_dim: int, y_dim: int, hidden: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(x_dim + y_dim, hidden),
            nn.ELU(),
            nn.Linear(hidden, hidden),
            nn.ELU(),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return self.net(torch.cat([x, y], dim=-1)).squeeze(-1)


def donsker_varadhan(t_joint: Tensor, t_marginal: Tensor) -> Tensor:
    """E_joint[T] - log E_marginal[exp T]."""
    log_mean_exp = torch.logsumexp(t_marginal, dim=0) - math.log(t_marginal.shape[0])
    return t_joint.mean() - log_mean_exp


def _heldout_bound(
    network: StatisticsNetwork, x: Tensor, y: Tensor, *, shuffles: int, generator: torch.Generator
) -> float:
    """DV bound on pairs (x_i, y_i) against many shuffled pairs (x_i, y_pi(i))."""
    with torch.no_grad():
        t_joint = network(x, y)
        marginals = []
        for _ in range(shuffles):
            perm = torch.randperm(x.shape[0], generator=generator)
            marginals.append(network(x, y[perm]))
        return float(donsker_varadhan(t_joint, torch.cat(marginals)))


def mine_lower_bound(
    x: Tensor,
    y: Tensor,
    *,
    steps: int = 2000,
    batch_size: int = 256,
    hidden: int = 256,
    learning_rate: float = 1e-3,
    fit_fraction: float = 0.5,
    select_fraction: float = 0.25,
    shuffles: int = 20,
    eval_every: int = 100,
    seed: int = 0,
) -> MIEstimate:
    """Lower bound on I(X; Y) from paired samples x [N, dx], y [N, dy].

    The pairs are split into fit / select / held-out parts. T is trained on the fit part by
    maximising the DV bound (y shuffled within a batch gives the product of marginals); the
    select part picks the best training step (early stopping); the bound is reported on the
    held-out part only. Independent variables give about 0; the estimate never exceeds what the
    held-out pairs support.
    """
    generator = torch.Generator().manual_seed(seed)
    x, y = _as_tensor(x).float(), _as_tensor(y).float()
    n = x.shape[0]
    order = torch.randperm(n, generator=generator)
    n_fit, n_select = int(n * fit_fraction), int(n * select_fraction)
    fit, select, heldout = order[:n_fit], order[n_fit : n_fit + n_select], order[n_fit + n_select :]
    if min(len(fit), len(select), len(heldout)) < 8:
        raise ValueError(f"too few pairs ({n}) for a held-out mutual information estimate")
    x, y = _standardize(x, x[fit]), _standardize(y, y[fit])
    torch.manual_seed(seed)
    network = StatisticsNetwork(x.shape[1], y.shape[1], hidden)
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)
    best_state, best_select = copy.deepcopy(network.state_dict()), -float("inf")
    for step in range(1, steps + 1):
        batch = fit[torch.randint(len(fit), (min(batch_size, len(fit)),), generator=generator)]
        shuffled = batch[torch.randperm(len(batch), generator=generator)]
        bound = donsker_varadhan(network(x[batch], y[batch]), network(x[batch], y[shuffled]))
        optimizer.zero_grad()
        (-bound).backward()
        optimizer.step()
        if step % eval_every == 0 or step == steps:
            value = _heldout_bound(
                network, x[select], y[select], shuffles=shuffles, generator=generator
            )
            if value > best_select:
                best_select, best_state = value, copy.deepcopy(network.state_dict())
    network.load_state_dict(best_state)
    heldout_nats = _heldout_bound(
        network, x[heldout], y[heldout], shuffles=shuffles, generator=generator
    )
    fit_nats = _heldout_bound(network, x[fit], y[fit], shuffles=shuffles, generator=generator)
    return MIEstimate(
        nats=heldout_nats, fit_nats=fit_nats, n_fit=len(fit), n_heldout=len(heldout), steps=steps
    )


def _standardize(values: Tensor, reference: Tensor) -> Tensor:
    return (values - reference.mean(0)) / reference.std(0).clamp_min(1e-6)


def cyclic_shift_scores(
    network: StatisticsNetwork, x: Tensor, y: Tensor, *, shifts: int
) -> tuple[Tensor, Tensor]:
    """Critic scores of the pairs (x_i, y_i) and of (x_i, y_(i+k) mod n) for k = 1..shifts.

    Cyclic shifts pair every x with ``shifts`` other y's of the same batch: the product of the
    marginals without resampling, and no pair is ever matched with itself.
    """
    shifts = max(1, min(shifts, x.shape[0] - 1))
    joint = network(x, y)
    marginal = torch.cat([network(x, torch.roll(y, k, dims=0)) for k in range(1, shifts + 1)])
    return joint, marginal


def nwj_bound(t_joint: Tensor, t_marginal: Tensor, *, clip: float = 15.0) -> Tensor:
    """NWJ (f-divergence) bound E_joint[T] - E_marginal[exp(T - 1)] with T = 1 + the critic's
    output, clipped above: a critic that outputs 0 gives exactly 0.

    Any critic gives a valid lower bound; clipping (on both terms) keeps exp finite.
    """
    t_joint, t_marginal = (1.0 + t_joint).clamp(max=clip), (1.0 + t_marginal).clamp(max=clip)
    return t_joint.mean() - torch.exp(t_marginal - 1.0).mean()


def nwj_lower_bound(
    x: Tensor,
    y: Tensor,
    *,
    steps: int = 2000,
    batch_size: int = 256,
    shifts: int = 16,
    hidden: int = 256,
    learning_rate: float = 1e-3,
    fit_fraction: float = 0.5,
    select_fraction: float = 0.25,
    eval_every: int = 50,
    seed: int = 0,
) -> MIEstimate:
    """NWJ lower bound on I(X; Y) in nats, marginals from cyclic shifts, read on held-out pairs.

    The estimator the SynVAE paper's MI column calls for (an NWJ-style bound with cyclically
    shifted pairs). Like :func:`mine_lower_bound` the pairs are split fit / select / held-out
    (training, early stopping, reporting), so over-fitting cannot inflate the number. Unlike the
    Donsker-Varadhan bound, NWJ has no log of a batch mean, so each batch's estimate is unbiased.
    The critic's last layer starts at zero (bound 0) and that start competes in the selection:
    on too few pairs the estimate stays near 0 instead of going far below it.
    """
    generator = torch.Generator().manual_seed(seed)
    x, y = _as_tensor(x).float(), _as_tensor(y).float()
    order = torch.randperm(x.shape[0], generator=generator)
    n_fit, n_select = int(len(order) * fit_fraction), int(len(order) * select_fraction)
    fit, select, heldout = order[:n_fit], order[n_fit : n_fit + n_select], order[n_fit + n_select :]
    if min(len(fit), len(select), len(heldout)) < 8:
        raise ValueError(f"too few pairs ({len(order)}) for a held-out mutual information estimate")
    x, y = _standardize(x, x[fit]), _standardize(y, y[fit])
    torch.manual_seed(seed)
    network = StatisticsNetwork(x.shape[1], y.shape[1], hidden)
    with torch.no_grad():
        network.net[-1].weight.zero_()
        network.net[-1].bias.zero_()
    optimizer = torch.optim.Adam(network.parameters(), lr=learning_rate)

    def read(rows: Tensor) -> float:
        with torch.no_grad():
            return float(nwj_bound(*cyclic_shift_scores(network, x[rows], y[rows], shifts=shifts)))

    best_state, best_select = copy.deepcopy(network.state_dict()), read(select)
    for step in range(1, steps + 1):
        batch = fit[torch.randperm(len(fit), generator=generator)[:batch_size]]
        bound = nwj_bound(*cyclic_shift_scores(network, x[batch], y[batch], shifts=shifts))
        optimizer.zero_grad()
        (-bound).backward()
        optimizer.step()
        if step % eval_every == 0 or step == steps:
            value = read(select)
            if value > best_select:
                best_select, best_state = value, copy.deepcopy(network.state_dict())
    network.load_state_dict(best_state)
    return MIEstimate(
        nats=read(heldout), fit_nats=read(fit), n_fit=len(fit), n_heldout=len(heldout), steps=steps
    )
