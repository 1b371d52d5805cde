"""A tiny network learns a planted year signal (and finds none where none was planted)."""

import pytest

from modeling.checkpoint_io import load_checkpoint, load_model
from tests.modeling.chronology.conftest import train_tiny

DIRECTIONS = ("M->M", "A->A", "M->A", "A->M")


@pytest.mark.slow  # trains two tiny networks (about 20 s)
def test_with_a_planted_year_signal_every_direction_beats_the_shuffled_years(planted_run):
    held_out = planted_run["metrics"]["held_out"]
    assert held_out["k"] == 5 and set(held_out["directions"]) == set(DIRECTIONS)
    for name in DIRECTIONS:
        scores = held_out["directions"][name]
        assert scores["precision_at_k"] > scores["shuffled_precision_at_k"], name
        assert scores["ad_at_k"] < scores["shuffled_ad_at_k"], name
        assert scores["p_value"] < 0.01, name
    for modality in ("music", "image", "both"):
        regression = held_out["year_regression"][modality]
        assert regression["mae"] < regression["shuffled_mae"] and regression["p_value"] < 0.01


@pytest.mark.slow
def test_without_a_signal_no_direction_beats_the_shuffled_years(unplanted_run):
    held_out = unplanted_run["metrics"]["held_out"]
    assert set(held_out["directions"]) == set(DIRECTIONS)
    for name in DIRECTIONS:
        assert held_out["directions"][name]["p_value"] >= 0.01, name
    for modality in ("music", "image", "both"):
        assert held_out["year_regression"][modality]["p_value"] >= 0.01, modality


@pytest.mark.slow
def test_the_checkpoint_records_the_data_the_triplets_and_the_metrics(planted_run):
    checkpoint = load_checkpoint(planted_run["checkpoint"], expected_kind="chronology")
    triplets = checkpoint.data_description["triplets"]
    assert triplets["positive_within_years"] == 10 and triplets["negative_beyond_years"] == 20
    assert triplets["kinds"] == [
        "music-image-image",
        "image-music-music",
        "music-music-music",
        "image-image-image",
    ]
    assert "not real music or art" in checkpoint.data_description["source"]
    assert checkpoint.metrics["held_out"]["directions"]["M->M"]["precision_at_k"] > 0
    model, _ = load_model(planted_run["checkpoint"], expected_kind="chronology")
    assert model.config.unit_norm and model.config.margin == 0.8


@pytest.mark.slow
def test_single_modality_baselines_train_one_branch_each(tmp_path, planted_data):
    music = train_tiny(tmp_path / "music", planted_data, kinds=["music-music-music"])
    images = train_tiny(
        tmp_path / "images", planted_data, kinds=["image-image-image"], variant="free"
    )
    music_model, _ = load_model(music["checkpoint"], expected_kind="chronology")
    image_model, _ = load_model(images["checkpoint"], expected_kind="chronology")
    assert music_model.image is None and image_model.music is None
    assert not image_model.config.unit_norm and image_model.config.margin == 10.0
    assert set(music["metrics"]["held_out"]["directions"]) == {"M->M"}
    assert set(images["metrics"]["held_out"]["directions"]) == {"A->A"}
    assert music["metrics"]["held_out"]["directions"]["M->M"]["p_value"] < 0.01
