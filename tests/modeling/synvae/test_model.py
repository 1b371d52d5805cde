"""SynVAE: image -> frozen music -> image; only the visual side learns."""

import pytest
import torch

from modeling.data.melody import NUM_CLASSES, STEPS
from modeling.synvae.model import RELAXATIONS, SynVAE, SynVAEConfig, synvae_step_loss
from modeling.synvae.musicvae import MusicVAEConfig
from modeling.synvae.visvae import VisVAEConfig


def tiny_synvae(relaxation: str = "straight_through", seed: int = 0) -> SynVAE:
    torch.manual_seed(seed)
    config = SynVAEConfig(
        visual=VisVAEConfig.tiny(z_size=8), music=MusicVAEConfig.tiny(), relaxation=relaxation
    )
    return SynVAE(config)


def images(n: int = 8) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(2))


def test_latent_sizes_must_match():
    with pytest.raises(ValueError, match="z size"):
        SynVAEConfig(visual=VisVAEConfig.tiny(z_size=4), music=MusicVAEConfig.tiny())


def test_forward_shapes():
    out = tiny_synvae()(images())
    assert out["reconstruction"].shape == (8, 1, 28, 28)
    assert out["melody"].shape == (8, STEPS, NUM_CLASSES)
    assert out["z_v"].shape == out["z_a"].shape == (8, 8)


def test_image_to_melody_gives_reproducible_tokens():
    model = tiny_synvae()
    tokens = model.image_to_melody(images())
    assert tokens.shape == (8, STEPS) and tokens.dtype == torch.int64
    assert torch.equal(tokens, model.image_to_melody(images()))
    sampled = model.image_to_melody(
        images(), temperature=1.0, generator=torch.Generator().manual_seed(0)
    )
    assert sampled.shape == (8, STEPS)


def test_translation_re_encodes_exactly_the_melody_it_plays():
    model = tiny_synvae()
    out = model.translate(images())
    mu_a, _ = model.music.encode(out["tokens"])
    assert torch.allclose(out["mu_a"], mu_a)


@pytest.mark.parametrize("relaxation", RELAXATIONS)
def test_gradients_reach_the_visual_encoder_through_music(relaxation):
    model = tiny_synvae(relaxation)
    loss, _ = synvae_step_loss(model, (images(),), step=0)
    loss.backward()
    encoder_grad = model.visual.encoder_convs[0].weight.grad
    assert encoder_grad is not None and encoder_grad.abs().sum() > 0
    assert all(p.grad is None for p in model.music.parameters())


def test_a_training_step_lowers_the_loss_and_leaves_music_untouched():
    model = tiny_synvae()
    model.eval()  # deterministic path (mu_v, mu_a) for the before/after comparison
    music_before = {k: v.clone() for k, v in model.music.state_dict().items()}
    visual_before = model.visual.decoder_dense.weight.clone()
    optimizer = torch.optim.Adam(model.parameters_to_optimize(), lr=1e-3)
    batch = (images(16),)
    before, _ = synvae_step_loss(model, batch, step=0)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after, _ = synvae_step_loss(model, batch, step=1)
    assert float(after.detach()) < float(before.detach())
    assert not torch.equal(visual_before, model.visual.decoder_dense.weight)
    for name, value in model.music.state_dict().items():
        assert torch.equal(value, music_before[name]), name


def test_kl_warmup_ramps_beta_and_a_collapsed_batch_has_one_melody():
    from modeling.synvae.model import beta_with_warmup, distinct_rows

    config = SynVAEConfig(
        visual=VisVAEConfig.tiny(z_size=8),
        music=MusicVAEConfig.tiny(),
        beta=0.5,
        kl_warmup_steps=100,
    )
    assert [beta_with_warmup(config, step=s) for s in (0, 50, 100, 500)] == [0.0, 0.25, 0.5, 0.5]
    assert distinct_rows(torch.zeros(6, STEPS, dtype=torch.long)) == 1
    assert distinct_rows(torch.arange(3).repeat_interleave(STEPS).view(3, STEPS)) == 3


def test_without_latent_sampling_training_follows_the_listening_path():
    torch.manual_seed(0)
    config = SynVAEConfig(
        visual=VisVAEConfig.tiny(z_size=8),
        music=MusicVAEConfig.tiny(),
        sample_z_v=False,
        sample_z_a=False,
    )
    model = SynVAE(config).train()
    first, second = model(images()), model(images())
    assert torch.equal(first["reconstruction"], second["reconstruction"])
    assert torch.equal(first["melody"].argmax(-1), model.image_to_melody(images()))
    sampled = tiny_synvae().train()
    assert not torch.equal(sampled(images())["z_v"], sampled(images())["z_v"])


def test_new_synvaes_take_the_papers_stochastic_path_and_the_deterministic_one_is_labelled():
    from modeling.synvae.runs import check_synvae

    assert SynVAEConfig().path_label.startswith("stochastic")
    deterministic = SynVAEConfig(sample_z_v=False, sample_z_a=False)
    assert deterministic.path_label.startswith("deterministic") and "not the paper" in (
        deterministic.path_label
    )
    params = {"beta": 0.5}
    assert check_synvae(params) == [] and params["sample_latents"] is True
    assert check_synvae({"sample_latents": "yes"}) == [
        "sample_latents must be true (the paper's stochastic path) or false (deterministic)."
    ]
