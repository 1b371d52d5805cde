"""TNN-C-CCA on the generated set: it recovers the planted structure on held-out clips and
pictures, beats Cluster-CCA alone and a random projection, and does not with shuffled labels."""

import pytest

from modeling.checkpoint_io import load_checkpoint

pytestmark = pytest.mark.slow  # trains tiny TNN-C-CCAs on the session's generated set


def test_the_model_retrieves_the_right_class_both_ways(tiny_retrieval):
    held_out = tiny_retrieval["metrics"]["held_out"]
    assert held_out["clips"] == held_out["pictures"] == 15
    model, cca, random = (held_out[k] for k in ("tnn_c_cca", "cluster_cca", "random_projection"))
    assert model["music_to_image"] >= 0.9 and model["image_to_music"] >= 0.9, held_out
    assert model["mean"] > cca["mean"] and model["mean"] > random["mean"] + 0.3


def test_with_shuffled_labels_map_stays_near_the_random_projection(shuffled_retrieval):
    held_out = shuffled_retrieval["metrics"]["held_out"]
    model, random = held_out["tnn_c_cca"], held_out["random_projection"]
    assert model["music_to_image"] <= 0.65 and model["image_to_music"] <= 0.65, held_out
    assert abs(model["mean"] - random["mean"]) <= 0.15


def test_the_checkpoint_holds_the_cca_projection_and_the_metrics(tiny_retrieval):
    checkpoint = load_checkpoint(tiny_retrieval["checkpoint"], expected_kind="retrieval")
    assert checkpoint.model_state["music_cca"].shape == (193, 10)
    assert checkpoint.model_state["image_cca"].shape == (41, 10)
    assert len(checkpoint.metrics["cca_correlations"]) == 10
    assert checkpoint.metrics["held_out"] == tiny_retrieval["metrics"]["held_out"]
    assert checkpoint.data_description["source"] == "generated"
