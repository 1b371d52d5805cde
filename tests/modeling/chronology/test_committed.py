"""The committed cpu_demo checkpoint carries the numbers its model card reports."""

from pathlib import Path

from modeling.checkpoint_io import load_checkpoint
from modeling.chronology.cli import DEFAULT_CHECKPOINT

CARD = Path(__file__).resolve().parents[3] / "modeling" / "cards" / "chronology_cpu_demo.md"


def test_the_committed_music_model_beats_shuffled_years_on_held_out_music():
    checkpoint = load_checkpoint(DEFAULT_CHECKPOINT, expected_kind="chronology")
    held_out = checkpoint.metrics["held_out"]
    scores = held_out["directions"]["M->M"]
    assert held_out["k"] == 25 and held_out["split"] == "test"
    assert scores["p_value"] < 0.01 and scores["permutations"] == 999
    assert scores["precision_at_k"] > scores["shuffled_precision_at_k"]
    assert "no images offline" in checkpoint.data_description["source"]
    card = CARD.read_text()
    assert f"**{scores['precision_at_k']:.3f}**" in card
    assert f"{scores['shuffled_precision_at_k']:.3f}" in card
    assert f"**{scores['ad_at_k']:.1f}**" in card
