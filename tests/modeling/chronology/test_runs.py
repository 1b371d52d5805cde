"""The chronology run kind: what a researcher may ask for, and a tiny run through a RunRequest."""

import pytest

from modeling.chronology.runs import RUN_KINDS, check_chronology
from modeling.runs import FAMILY_RUN_MODULES, RunRequest


def test_the_run_kind_offers_three_sizes_and_checks_its_parameters():
    (kind,) = RUN_KINDS
    assert kind.name == "chronology" and kind.presets == ("tiny", "cpu_demo", "published")
    params = {}
    assert check_chronology(params) == [] and params == {"variant": "unit"}
    assert check_chronology({"variant": "free", "max_works_per_source": 40}) == []
    assert check_chronology({"variant": "round"}) == [
        "variant must be 'unit' (unit-norm embedding) or 'free'."
    ]
    assert check_chronology({"max_works_per_source": 1}) == [
        "max_works_per_source must be a whole number from 3 to 2000."
    ]
    assert "modeling.chronology.runs" in FAMILY_RUN_MODULES, "the workers can train it"


@pytest.mark.slow  # parses 16 small music21 works and trains 60 steps
def test_a_tiny_run_trains_on_the_offline_corpus_and_returns_its_checkpoint(tmp_path):
    (kind,) = RUN_KINDS
    progress = []
    request = RunRequest(
        params={"preset": "tiny", "seed": 0, "variant": "unit"},
        folder=tmp_path,
        parent_checkpoint=None,
        on_progress=progress.append,
    )
    result = kind.train(request)
    assert result["checkpoint"] == str(tmp_path / "chronology.pt")
    assert progress and progress[-1]["step"] == 60
    assert (tmp_path / "music_corpus.npz").exists()
    assert "held_out" in result["metrics"]
