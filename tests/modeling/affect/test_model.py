"""ACP-Net's shape (the paper's layers, sized by a Config) and one step of its loss."""

import torch
from torch import nn

from modeling.affect.model import ACPNet, ACPNetConfig, correspondence_loss


def linear_widths(module: nn.Module) -> list[tuple[int, int]]:
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def test_the_published_shape_is_the_papers():
    model = ACPNet(ACPNetConfig.published())
    image = linear_widths(model.image_layers)
    music = linear_widths(model.music_layers)
    fusion = linear_widths(model.fusion)
    assert len(image) == 2 and image[-1][1] == 1024, "two FC layers after the image stem"
    assert len(music) == 4 and music[0][0] == 193 and music[-1][1] == 1024, "four music layers"
    assert len(fusion) == 4 and fusion[0][0] == 2048 and fusion[-1][1] == 2, "four fusion layers"
    assert linear_widths(model.music_probe) == [(1024, 512), (512, 32), (32, 3)]
    assert model.config.dropout == 0.4 and model.config.image_size == 224


def test_the_cpu_demo_keeps_1024_d_embeddings():
    config = ACPNetConfig.cpu_demo()
    assert config.embedding == 1024 and config.image_size == 32
    assert ACPNetConfig.from_dict(config.to_dict()) == config


def test_tiny_shapes_and_one_step_lowers_the_loss():
    torch.manual_seed(0)
    model = ACPNet(ACPNetConfig.tiny())
    images = torch.rand(8, 3, 16, 16)
    clips = torch.rand(8, 193) * 10
    model.set_music_scaling(clips)
    assert model.encode_image(images).shape == (8, 32)
    assert model.encode_music(clips).shape == (8, 32)
    assert model(images, clips).shape == (8, 2)
    assert model.image_emotion_logits(images).shape == (8, 3)
    targets = torch.tensor([1, 0] * 4)
    optimizer = torch.optim.Adam(model.correspondence_parameters(), lr=1e-2)
    model.eval()  # no dropout: compare like with like
    before, _ = correspondence_loss(model(images, clips), targets)
    model.train()
    loss, metrics = correspondence_loss(model(images, clips), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model.eval()
    after, _ = correspondence_loss(model(images, clips), targets)
    assert float(after) < float(before) and 0.0 <= metrics["accuracy"] <= 1.0


def test_the_probes_are_not_trained_with_the_correspondence():
    model = ACPNet(ACPNetConfig.tiny())
    trained = {id(p) for p in model.correspondence_parameters()}
    assert not any(id(p) in trained for p in model.image_probe.parameters())
    assert not any(id(p) in trained for p in model.music_probe.parameters())
    assert model.music_mean.shape == (193,), "the input scaling travels in the checkpoint"
