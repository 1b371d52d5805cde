"""MusicVAE: shapes, decoding modes, schedules and one training step."""

import math

import torch
import torch.nn.functional as F

from modeling.data.melody import NUM_CLASSES, STEPS
from modeling.synvae.musicvae import (
    MusicVAE,
    MusicVAEConfig,
    beta_at,
    musicvae_loss,
    musicvae_step_loss,
    teacher_forcing_probability,
)


def tiny_model(seed: int = 0) -> MusicVAE:
    torch.manual_seed(seed)
    return MusicVAE(MusicVAEConfig.tiny())


def melodies(n: int = 12, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, NUM_CLASSES, (n, STEPS), generator=torch.Generator().manual_seed(seed))


def test_encoder_reads_tokens_and_one_hot_alike():
    model = tiny_model()
    tokens = melodies()
    mu, sigma = model.encode(tokens)
    mu_1h, sigma_1h = model.encode(F.one_hot(tokens, NUM_CLASSES).float())
    assert mu.shape == sigma.shape == (12, model.config.z_size)
    assert torch.allclose(mu, mu_1h) and torch.allclose(sigma, sigma_1h)
    assert (sigma > 0).all()


def test_decoder_shapes_teacher_forced_and_free_running():
    model = tiny_model()
    z = torch.randn(5, model.config.z_size)
    forced = model.decode(z, teacher=melodies(5))
    free = model.decode(z, sample=False, steps=20)
    assert forced.logits.shape == (5, STEPS, NUM_CLASSES)
    assert free.tokens.shape == (5, 20) and free.tokens.dtype == torch.int64
    assert int(free.tokens.min()) >= 0 and int(free.tokens.max()) < NUM_CLASSES


def test_scheduled_sampling_without_truth_is_free_running():
    model = tiny_model()
    z = torch.randn(4, model.config.z_size)
    never_truth = model.decode(z, teacher=melodies(4), teacher_probability=0.0, sample=False)
    free = model.decode(z, sample=False)
    assert torch.equal(never_truth.tokens, free.tokens)


def test_step_by_step_teacher_forcing_matches_the_whole_sequence_pass():
    model = tiny_model()
    z, truth = torch.randn(3, model.config.z_size), melodies(3)
    whole = model.decode_teacher_forced(z, truth)
    stepwise = model.decode(z, teacher=truth, teacher_probability=0.999999, sample=False)
    assert torch.allclose(whole, stepwise.logits, atol=1e-5)


def test_sampling_from_the_prior_is_reproducible_with_a_generator():
    model = tiny_model()
    first = model.sample(6, generator=torch.Generator().manual_seed(3))
    again = model.sample(6, generator=torch.Generator().manual_seed(3))
    other = model.sample(6, generator=torch.Generator().manual_seed(4))
    assert first.shape == (6, STEPS)
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_relaxed_decoding_plays_the_argmax_melody_and_passes_gradients():
    model = tiny_model()
    z = torch.randn(4, model.config.z_size, requires_grad=True)
    _, fed = model.decode_relaxed(z, relaxation="straight_through")
    hard = model.decode(z.detach(), sample=False).tokens
    assert torch.equal(fed.argmax(-1), hard)
    assert torch.allclose(fed.detach().sum(-1), torch.ones(4, STEPS))
    model.encode(fed)[0].sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0


def test_preset_sizes_follow_magenta():
    def count(config):
        return sum(p.numel() for p in MusicVAE(config).parameters())

    assert 1.8e6 < count(MusicVAEConfig.cpu_demo()) < 2.3e6
    assert 4.2e6 < count(MusicVAEConfig.small()) < 4.6e6


def test_schedules_anneal_beta_up_and_teacher_forcing_down():
    assert beta_at(step=0, max_beta=0.2, beta_rate=0.99) == 0.0
    assert math.isclose(beta_at(step=10_000, max_beta=0.2, beta_rate=0.99), 0.2, rel_tol=1e-6)
    probabilities = [
        teacher_forcing_probability(step=s, schedule="inverse_sigmoid", rate=100)
        for s in (0, 500, 2000)
    ]
    assert probabilities[0] > 0.99 and probabilities[0] > probabilities[1] > probabilities[2]
    assert teacher_forcing_probability(step=10**6, schedule="constant", rate=1) == 1.0


def test_free_bits_forgive_kl_below_the_threshold():
    logits = torch.zeros(2, STEPS, NUM_CLASSES)
    targets = torch.zeros(2, STEPS, dtype=torch.long)
    mu, sigma = torch.full((2, 8), 0.5), torch.ones(2, 8)  # KL = 8 * 0.125 = 1 nat
    free = musicvae_loss(
        logits=logits, targets=targets, mu=mu, sigma=sigma, beta=1.0, free_bits=2.0
    )
    paid = musicvae_loss(
        logits=logits, targets=targets, mu=mu, sigma=sigma, beta=1.0, free_bits=0.0
    )
    assert math.isclose(float(free.kl), 1.0, rel_tol=1e-5)
    assert float(free.kl_cost) == 0.0
    assert math.isclose(float(paid.loss - free.loss), 1.0, rel_tol=1e-4)
    assert math.isclose(float(free.reconstruction), STEPS * math.log(NUM_CLASSES), rel_tol=1e-5)


def test_one_optimiser_step_lowers_the_loss():
    model = tiny_model()
    batch = (melodies(16),)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def loss_now():
        torch.manual_seed(0)
        return musicvae_step_loss(model, batch, step=0)[0]

    before = loss_now()
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    assert float(loss_now().detach()) < float(before.detach())


def test_cutting_the_feedback_gradient_keeps_the_melody_and_a_gradient_to_z():
    model = tiny_model()
    z = torch.randn(4, model.config.z_size, requires_grad=True)
    _, with_feedback = model.decode_relaxed(z)
    _, without = model.decode_relaxed(z, feedback_gradient=False)
    assert torch.equal(with_feedback.argmax(-1), without.argmax(-1))
    model.encode(without)[0].sum().backward()
    assert z.grad.abs().sum() > 0
