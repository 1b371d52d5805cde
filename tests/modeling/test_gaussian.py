"""The one Gaussian KL every loss and metric uses."""

import math

import pytest
import torch

from modeling.gaussian import gaussian_kl


def test_kl_of_the_prior_is_zero_and_of_a_shifted_mean_is_half_its_square():
    assert torch.equal(gaussian_kl(torch.zeros(5, 3), logvar=torch.zeros(5, 3)), torch.zeros(5))
    assert torch.allclose(
        gaussian_kl(torch.ones(5, 3), sigma=torch.ones(5, 3)), torch.full((5,), 1.5)
    )


def test_logvar_and_sigma_describe_the_same_spread():
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 6, generator=generator)
    sigma = torch.rand(4, 6, generator=generator) + 0.1
    from_sigma = gaussian_kl(mu, sigma=sigma)
    from_logvar = gaussian_kl(mu, logvar=2 * torch.log(sigma))
    assert torch.allclose(from_sigma, from_logvar, atol=1e-5)
    # a narrower posterior than the prior costs 0.5 * (s^2 - 1 - ln s^2) per dimension
    narrow = gaussian_kl(torch.zeros(1, 2), sigma=torch.full((1, 2), 0.5))
    assert float(narrow) == pytest.approx(2 * 0.5 * (0.25 - 1 - math.log(0.25)), rel=1e-6)


def test_exactly_one_spread_must_be_given():
    with pytest.raises(ValueError, match="exactly one"):
        gaussian_kl(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="exactly one"):
        gaussian_kl(torch.zeros(2, 2), logvar=torch.zeros(2, 2), sigma=torch.ones(2, 2))
