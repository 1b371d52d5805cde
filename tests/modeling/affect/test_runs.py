"""The acpnet run kind: what a researcher may ask for, and a tiny run through a RunRequest."""

import subprocess
import sys
from pathlib import Path

import pytest

from modeling.affect.runs import RUN_KINDS, check_affect_data
from modeling.runs import RunRequest

ROOT = Path(__file__).resolve().parents[3]


def test_the_run_kind_offers_three_sizes_and_checks_its_data_settings():
    (kind,) = RUN_KINDS
    assert kind.name == "acpnet" and kind.presets == ("tiny", "cpu_demo", "published")
    assert len(kind.name) <= 16, "ModelRun.kind holds 16 characters"
    params = {}
    assert check_affect_data(params) == []
    assert params == {"dataset": "generated", "shuffle_labels": False}
    assert check_affect_data({"per_class": 5}) == [
        "per_class must be a whole number from 6 to 2000."
    ]
    assert check_affect_data({"dataset": "imac"}) == [
        "dataset must be 'generated' (the generated affect set)."
    ]
    assert check_affect_data({"shuffle_labels": "yes"}) == ["shuffle_labels must be true or false."]


def test_the_declarations_import_no_torch():
    script = (
        "import sys, modeling.affect.runs, modeling.retrieval.runs; print('torch' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


@pytest.mark.slow  # generates 18 clips and trains
def test_a_tiny_run_trains_reports_progress_and_returns_its_checkpoint(tmp_path):
    (kind,) = RUN_KINDS
    progress = []
    params = {"preset": "tiny", "seed": 0, "per_class": 6}
    assert kind.check(params) == []
    request = RunRequest(
        params=params, folder=tmp_path, parent_checkpoint=None, on_progress=progress.append
    )
    result = kind.train(request)
    assert result["checkpoint"] == str(tmp_path / "acpnet.pt")
    assert progress and progress[-1]["step"] == 1500
    assert 0.0 <= result["metrics"]["held_out"]["accuracy"] <= 1.0
    assert (tmp_path / "affect_set.npz").exists()
