"""Ranking pictures for a clip as the retrieval-check study will, the run kind, and the
command line."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modeling.retrieval.cli import main
from modeling.retrieval.rank import RetrievalRanker
from modeling.retrieval.runs import RUN_KINDS
from modeling.runs import RunRequest

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow  # generates and trains (tens of seconds)


def test_a_clip_ranks_the_pictures_of_its_class_first(tiny_retrieval, affect_set):
    ranker = RetrievalRanker.from_checkpoint(tiny_retrieval["checkpoint"])
    pictures, clips, labels = affect_set.pairs_of("test")
    for clip, label in zip(clips, labels, strict=True):
        ranked = ranker.rank_images(clip, list(pictures))
        top = [i for i, _ in ranked[: int((labels == label).sum())]]
        assert np.mean(labels[top] == label) >= 0.8
    best_clip = ranker.rank_clips(pictures[0], list(clips))[0][0]
    assert labels[best_clip] == labels[0]


def test_ranking_never_imports_training_code(tiny_retrieval, affect_set, tmp_path):
    pictures, clips, _ = affect_set.pairs_of("test")
    np.save(tmp_path / "clip.npy", clips[0])
    Image.fromarray(pictures[0]).save(tmp_path / "picture.png")
    script = f"""
import sys, numpy as np
from modeling.retrieval.rank import RetrievalRanker
ranker = RetrievalRanker.from_checkpoint({str(tiny_retrieval["checkpoint"])!r})
ranker.rank_images(np.load({str(tmp_path / "clip.npy")!r}), [{str(tmp_path / "picture.png")!r}])
training = ("modeling.loop", "modeling.retrieval.train", "modeling.retrieval.evaluate")
print([m for m in training if m in sys.modules])
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_evaluate_reproduces_the_stored_held_out_map(
    tiny_retrieval, affect_var_dir, monkeypatch, capsys
):
    monkeypatch.setenv("SYNLAB_VAR_DIR", str(affect_var_dir))
    metrics = main(["evaluate", "--checkpoint", tiny_retrieval["checkpoint"]])
    assert "| tnn_c_cca |" in capsys.readouterr().out
    assert metrics == tiny_retrieval["metrics"]["held_out"]


def test_the_run_kind_and_a_tiny_run_through_a_run_request(tmp_path):
    (kind,) = RUN_KINDS
    assert kind.name == "retrieval" and kind.presets == ("tiny", "cpu_demo", "published")
    params = {"preset": "tiny", "seed": 0, "per_class": 6}
    assert kind.check(params) == [] and kind.check({"per_class": 1}) == [
        "per_class must be a whole number from 6 to 2000."
    ]
    progress = []
    request = RunRequest(
        params=params, folder=tmp_path, parent_checkpoint=None, on_progress=progress.append
    )
    result = kind.train(request)
    assert result["checkpoint"] == str(tmp_path / "retrieval.pt")
    assert progress[-1]["step"] == 600
    assert 0.0 <= result["metrics"]["held_out"]["tnn_c_cca"]["mean"] <= 1.0
