"""The vis2mus run kind: what a researcher may ask for, and a tiny run through a RunRequest."""

from modeling.runs import FAMILY_RUN_MODULES, RunRequest
from modeling.vis2mus.runs import RUN_KINDS, check_vis2mus


def test_the_run_kind_offers_three_sizes_and_checks_the_corpus_size():
    (kind,) = RUN_KINDS
    assert kind.name == "vis2mus" and kind.presets == ("tiny", "cpu_demo", "published")
    assert check_vis2mus({}) == [] and check_vis2mus({"max_works": 40}) == []
    assert check_vis2mus({"max_works": 1}) == ["max_works must be a whole number from 2 to 500."]
    assert check_vis2mus({"max_works": "many"})
    assert "modeling.vis2mus.runs" in FAMILY_RUN_MODULES, "the workers can train it"


def test_a_tiny_run_trains_reports_progress_and_returns_its_checkpoint(tmp_path):
    (kind,) = RUN_KINDS
    progress = []
    request = RunRequest(
        params={"preset": "tiny", "seed": 0},
        folder=tmp_path,
        parent_checkpoint=None,
        on_progress=progress.append,
    )
    result = kind.train(request)
    assert result["checkpoint"] == str(tmp_path / "vis2mus.pt")
    assert progress and progress[-1]["step"] == 20
    assert 0.0 <= result["metrics"]["held_out"]["onset_f1"] <= 1.0
