"""The command line and the inference API on a tiny network trained on generated data."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from modeling.chronology.cli import main
from modeling.chronology.generate import (
    ChronologyEmbedder,
    distractors_by_year,
    hard_distractors,
    nearest_by_embedding,
)

ROOT = Path(__file__).resolve().parents[3]
REQUIRED = {"precision_at_k", "ad_at_k", "shuffled_precision_at_k", "p_value"}


@pytest.mark.slow
def test_evaluate_json_prints_k_and_every_direction_the_data_allow(planted_run, capsys, tmp_path):
    argv = ["--threads", "1", "evaluate", "--checkpoint", planted_run["checkpoint"]]
    plot = tmp_path / "pca.png"
    main([*argv, "--k", "5", "--permutations", "99", "--json", "--plot", str(plot)])
    printed = json.loads(capsys.readouterr().out)  # --json: nothing but the object
    assert printed["k"] == 5
    assert set(printed["directions"]) == {"M->M", "A->A", "M->A", "A->M"}
    for scores in printed["directions"].values():
        assert set(scores) >= REQUIRED and 0 < scores["p_value"] <= 1
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(printed["plot"]["points"]) == {"music", "image"}


@pytest.mark.slow
def test_train_reads_a_saved_data_set_and_generated_writes_one(tmp_path, capsys):
    data = tmp_path / "unplanted.npz"
    main(["generated", "--out", str(data), "--no-signal", "--music-works", "20"])
    written = json.loads(capsys.readouterr().out)
    assert written["description"]["signal"].startswith("none")
    out = tmp_path / "music.pt"
    argv = ["--threads", "1", "train", "--preset", "tiny", "--data", str(data), "--out", str(out)]
    result = main([*argv, "--steps", "10", "--kinds", "music-music-music", "--no-evaluate"])
    assert result["steps"] == 10 and out.exists()


def test_features_prints_the_named_features_of_one_file(tmp_path, capsys):
    from PIL import Image

    picture = (np.random.default_rng(0).random((40, 60, 3)) * 255).astype(np.uint8)
    Image.fromarray(picture).save(tmp_path / "painting.png")
    result = main(["features", str(tmp_path / "painting.png")])
    assert len(result["names"]) == len(result["clips"][0]) == 49
    assert json.loads(capsys.readouterr().out)["names"][0] == "rgb_mean_r"


@pytest.mark.slow
def test_embedding_files_never_imports_training_code(planted_run, tmp_path):
    from PIL import Image

    picture = (np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)
    Image.fromarray(picture).save(tmp_path / "a.png")
    script = f"""
import json, sys
from modeling.chronology.generate import ChronologyEmbedder
embedder = ChronologyEmbedder.from_checkpoint({planted_run["checkpoint"]!r})
vectors = embedder.embed_image_files([{str(tmp_path / "a.png")!r}])
loaded = [m for m in ("modeling.loop", "modeling.chronology.train") if m in sys.modules]
print(json.dumps({{"shape": list(vectors.shape), "loaded": loaded}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"shape": [1, 16], "loaded": []}


@pytest.mark.slow
def test_hard_distractors_are_near_in_the_embedding_and_far_in_time(planted_run, planted_data):
    embedder = ChronologyEmbedder.from_checkpoint(planted_run["checkpoint"])
    music = planted_data.music
    embedded = embedder.embed_features("music", music.features)
    chosen = hard_distractors(0, embedded, music.years, count=3, min_year_gap=30)
    far = np.flatnonzero(np.abs(music.years - music.years[0]) >= 30)
    assert set(chosen) <= set(far)
    distances = ((embedded[far] - embedded[0]) ** 2).sum(1)
    assert sorted(((embedded[chosen] - embedded[0]) ** 2).sum(1)) == sorted(distances)[:3]
    by_year = distractors_by_year(0, music.years, count=3, min_year_gap=30, seed=1)
    assert set(by_year) <= set(far) and len(set(by_year)) == 3
    assert nearest_by_embedding(embedded[0], embedded, count=1, exclude=[0])[0] != 0
    with pytest.raises(ValueError, match="lie 500\\+ years from the target"):
        hard_distractors(0, embedded, music.years, count=1, min_year_gap=500)
