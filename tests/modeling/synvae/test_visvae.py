"""VisVAE (beta-VAE): both architectures, the loss, one training step."""

import math

import pytest
import torch

from modeling.synvae.visvae import VisVAE, VisVAEConfig, visvae_loss, visvae_step_loss


@pytest.mark.parametrize(
    ("config", "shape"),
    [
        (VisVAEConfig.tiny(z_size=8), (1, 28, 28)),
        (VisVAEConfig(architecture="64x64x3", z_size=16, width=0.125), (3, 64, 64)),
    ],
)
def test_encode_decode_shapes(config, shape):
    torch.manual_seed(0)
    model = VisVAE(config)
    images = torch.rand(3, *shape)
    mu, logvar = model.encode(images)
    reconstruction = model.decode(mu).detach()
    assert mu.shape == logvar.shape == (3, config.z_size)
    assert reconstruction.shape == (3, *shape)
    assert float(reconstruction.min()) >= 0.0 and float(reconstruction.max()) <= 1.0


def test_mnist_network_has_the_papers_layers():
    model = VisVAE(VisVAEConfig.mnist(z_size=128))
    convs = [m for m in model.encoder_convs if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64]
    assert model.decoder_dense.out_features == 1568
    assert model.mu_head.in_features == 7 * 7 * 64


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="architecture"):
        VisVAE(VisVAEConfig(architecture="32x32x3"))


def test_loss_is_summed_squared_error_plus_beta_kl():
    target = torch.zeros(2, 1, 28, 28)
    reconstruction = torch.full_like(target, 0.5)
    mu, logvar = torch.ones(2, 4), torch.zeros(2, 4)
    loss, metrics = visvae_loss(
        reconstruction=reconstruction, target=target, mu=mu, logvar=logvar, beta=0.5
    )
    assert math.isclose(metrics["mse"], 784 * 0.25)
    assert math.isclose(metrics["kl"], 2.0)
    assert math.isclose(float(loss), 196.0 + 0.5 * 2.0)


def test_one_optimiser_step_lowers_the_loss():
    torch.manual_seed(0)
    model = VisVAE(VisVAEConfig.tiny())
    model.eval()  # use mu: the comparison is not blurred by sampling
    batch = (torch.rand(16, 1, 28, 28),)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before, _ = visvae_step_loss(model, batch, step=0)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after, _ = visvae_step_loss(model, batch, step=1)
    assert float(after.detach()) < float(before.detach())
