"""The triplet network's shapes, its two embedding variants and one step of its loss (tiny)."""

import pytest
import torch

from modeling.checkpoint_io import build_model
from modeling.chronology.model import (
    TRIPLET_KINDS,
    ChronologyConfig,
    ChronologyNet,
    make_step_loss,
    triplet_loss,
)


def pools(n=12):
    torch.manual_seed(0)
    return {"music": torch.randn(n, 90), "image": torch.rand(n, 3, 32, 32)}


def batch(n=12, size=24):
    generator = torch.Generator().manual_seed(1)
    rows = torch.randint(0, n, (size, 3), generator=generator)
    kinds = torch.randint(0, len(TRIPLET_KINDS), (size,), generator=generator)
    return rows, kinds


def test_both_branches_embed_into_one_space_of_the_configured_size():
    model = ChronologyNet(ChronologyConfig.tiny(image_input="pixels", pixel_size=32))
    data = pools()
    music, image = model.encode_music(data["music"]), model.encode_image(data["image"])
    assert music.shape == image.shape == (12, 16)
    assert torch.allclose(music.norm(dim=1), torch.ones(12), atol=1e-5)  # unit-norm variant
    free = ChronologyNet(ChronologyConfig.tiny(unit_norm=False, margin=10.0))
    assert not torch.allclose(free.encode_music(data["music"]).norm(dim=1), torch.ones(12))
    assert ChronologyConfig.published().embedding_dim == 128  # the thesis' size


def test_a_music_only_network_has_no_image_branch():
    model = ChronologyNet(ChronologyConfig.tiny(with_image_branch=False))
    assert model.image is None
    with pytest.raises(ValueError, match="no 'image' branch"):
        model.encode_image(torch.zeros(1, 49))


def test_the_triplet_loss_is_zero_once_the_positive_is_a_margin_closer():
    anchor = torch.tensor([[0.0, 0.0]])
    near, far = torch.tensor([[0.1, 0.0]]), torch.tensor([[2.0, 0.0]])
    assert float(triplet_loss(anchor, near, far, margin=0.8)) == 0.0
    assert float(triplet_loss(anchor, far, near, margin=0.8)) == pytest.approx(4.0 - 0.01 + 0.8)


def test_one_optimiser_step_lowers_the_loss_on_a_batch_of_mixed_triplet_kinds():
    torch.manual_seed(0)
    model = ChronologyNet(ChronologyConfig.tiny(image_input="pixels", pixel_size=32, dropout=0.0))
    step_loss = make_step_loss(pools())
    rows, kinds = batch()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    before, metrics = step_loss(model, (rows, kinds), step=0)
    assert {f"loss_{k}" for k in TRIPLET_KINDS} <= set(metrics)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    after, _ = step_loss(model, (rows, kinds), step=1)
    assert float(after.detach()) < float(before.detach())


def test_the_config_round_trips_through_a_checkpoint_dict():
    config = ChronologyConfig.cpu_demo(music_dim=132, music_features="audio", unit_norm=False)
    model = build_model("chronology", config.to_dict())
    assert isinstance(model, ChronologyNet) and model.config == config
    with pytest.raises(ValueError, match="music_features must be 'score' or 'audio'"):
        ChronologyConfig(music_features="video")
    with pytest.raises(ValueError, match="unknown chronology preset 'huge'"):
        ChronologyConfig.preset("huge")
