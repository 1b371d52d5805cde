"""The triplet network's shape and its cosine triplet loss on hand-made embeddings."""

import pytest
import torch
from torch import nn

from modeling.retrieval.image_features import DESCRIPTOR_DIM, descriptor_slices, image_descriptor
from modeling.retrieval.model import (
    RetrievalConfig,
    TNNClusterCCA,
    batch_all_triplet_loss,
    retrieval_loss,
)


def test_each_branch_is_10_100_100_100_10_with_tanh_dropout_and_a_sigmoid():
    config = RetrievalConfig.published()
    assert (config.cca_dim, config.beta, config.regularisation) == (10, 0.2, 1e-4)
    assert (config.dropout, config.margin) == (0.1, 0.5)
    model = TNNClusterCCA(config)
    for branch in (model.music_branch, model.image_branch):
        linears = [(m.in_features, m.out_features) for m in branch if isinstance(m, nn.Linear)]
        assert linears == [(10, 100), (100, 100), (100, 100), (100, 10)]
        assert sum(isinstance(m, nn.Tanh) for m in branch) == 3
        assert all(m.p == 0.1 for m in branch if isinstance(m, nn.Dropout))
        assert isinstance(branch[-1], nn.Sigmoid)
    assert RetrievalConfig.from_dict(config.to_dict()) == config


def test_the_triplet_loss_uses_cosine_distance_and_the_margin():
    anchors = torch.tensor([[1.0, 0.0]])
    others = torch.tensor([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])  # same, orthogonal, opposite
    labels = torch.tensor([0])
    # positive at distance 0, negatives at 1 and 2: every triplet satisfied, loss 0
    loss, active = batch_all_triplet_loss(
        anchors, labels, others, torch.tensor([0, 1, 1]), margin=0.5
    )
    assert float(loss) == 0.0 and float(active) == 0.0
    # positive opposite (2), negatives at 0 and 1: losses 2 - 0 + 0.5 and 2 - 1 + 0.5
    loss, active = batch_all_triplet_loss(
        anchors, labels, others, torch.tensor([1, 1, 0]), margin=0.5
    )
    assert float(loss) == pytest.approx((2.5 + 1.5) / 2) and float(active) == 1.0
    # only the active triplets are averaged: positive orthogonal (1), negatives at 0 and 2
    loss, active = batch_all_triplet_loss(
        anchors, labels, others, torch.tensor([1, 0, 1]), margin=0.5
    )
    assert float(loss) == pytest.approx(1.5) and float(active) == 0.5


def test_one_step_lowers_the_loss_of_a_tiny_model():
    torch.manual_seed(0)
    model = TNNClusterCCA(RetrievalConfig.tiny())
    labels = torch.arange(3).repeat(10)
    music = torch.rand(30, 193) + labels[:, None] * 0.1
    images = torch.rand(30, DESCRIPTOR_DIM) + labels[:, None] * 0.1
    model.fit_cluster_cca(music, images, labels.numpy(), labels.numpy(), paired=True)
    model.eval()
    before, _ = retrieval_loss(*model(music, images), labels, margin=0.5)
    optimizer = torch.optim.Adam(model.parameters_to_optimize(), lr=1e-2)
    model.train()
    loss, metrics = retrieval_loss(*model(music, images), labels, margin=0.5)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model.eval()
    after, _ = retrieval_loss(*model(music, images), labels, margin=0.5)
    assert float(after) < float(before) and 0.0 <= metrics["active_triplets"] <= 1.0
    assert model.embed_music(music).shape == (30, 10) and model.cca_image(images).shape == (30, 10)


@pytest.mark.slow  # the session's generated set
def test_the_picture_descriptor_sees_warmth_brightness_and_corners(affect_set):
    descriptors = {
        name: image_descriptor(affect_set.images[affect_set.image_labels == label][0])
        for label, name in enumerate(affect_set.classes)
    }
    assert all(d.shape == (DESCRIPTOR_DIM,) for d in descriptors.values())
    blocks = descriptor_slices()
    value_mean = blocks["sat_val"].start + 2  # saturation mean, spread, value mean, spread
    hues, corners = blocks["hue"], blocks["corners"].start
    assert descriptors["positive"][value_mean] > 0.7 > 0.35 > descriptors["negative"][value_mean]
    assert descriptors["positive"][hues][:2].sum() > 0.5, "warm hues (0-60 degrees) dominate"
    assert descriptors["neutral"][hues][6:9].sum() > 0.5, "cool hues (180-270 degrees) dominate"
    assert descriptors["negative"][corners] > descriptors["neutral"][corners]
