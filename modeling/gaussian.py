"""The KL divergence of a diagonal Gaussian from the standard normal, for every family's loss."""

import torch
from torch import Tensor


def gaussian_kl(mu: Tensor, *, logvar: Tensor | None = None, sigma: Tensor | None = None) -> Tensor:
    """KL(N(mu, var) || N(0, I)) summed over the last dimension: one value per example.

    Give the spread as exactly one of ``logvar`` (VisVAE) or ``sigma`` (MusicVAE's softplus head).
    """
    if (logvar is None) == (sigma is None):
        raise ValueError("give exactly one of logvar or sigma")
    if sigma is not None:
        variance = sigma.pow(2)
        logvar = torch.log(variance + 1e-12)
    else:
        variance = logvar.exp()
    return 0.5 * (variance + mu.pow(2) - 1.0 - logvar).sum(dim=-1)
