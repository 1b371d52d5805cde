"""The affect command line on a tiny checkpoint: evaluate reproduces the stored numbers, score
and rank answer with files."""

import json

import numpy as np
import pytest
import soundfile
from PIL import Image

from modeling.affect.cli import main
from modeling.affect.generated import item_media

pytestmark = pytest.mark.slow  # needs the session's generated set and a tiny ACP-Net


def test_evaluate_reproduces_the_held_out_numbers_stored_at_training(
    tiny_acpnet, affect_var_dir, monkeypatch, capsys
):
    monkeypatch.setenv("SYNLAB_VAR_DIR", str(affect_var_dir))
    metrics = main(["--threads", "1", "evaluate", "--checkpoint", tiny_acpnet["checkpoint"]])
    assert "| accuracy |" in capsys.readouterr().out
    assert metrics == tiny_acpnet["metrics"]["held_out"]


def test_score_and_rank_read_pictures_and_clips_from_files(
    tiny_acpnet, affect_set, tmp_path, capsys
):
    test_rows = np.flatnonzero(affect_set.image_split == 2)
    positive = next(i for i in test_rows if affect_set.image_labels[i] == 0)
    negative = next(i for i in test_rows if affect_set.image_labels[i] == 2)
    files = item_media(affect_set, int(positive), image_size=64)
    clip = tmp_path / "clip.flac"
    clip.write_bytes(files["flac"])
    assert soundfile.info(str(clip)).duration > 3.0
    pictures = []
    for name, row in (("dark.png", negative), ("warm.png", positive)):
        Image.fromarray(affect_set.images[row]).save(tmp_path / name)
        pictures.append(str(tmp_path / name))
    checkpoint = tiny_acpnet["checkpoint"]
    scored = main(
        ["score", "--checkpoint", checkpoint, "--image", pictures[1], "--clip", str(clip)]
    )
    assert scored["probability"] > 0.5
    ranked = main(["rank", "--checkpoint", checkpoint, "--clip", str(clip), "--images", *pictures])
    assert [r["image"] for r in ranked] == [pictures[1], pictures[0]]
    printed = json.loads(capsys.readouterr().out.split("\n}\n", 1)[1])
    assert printed == ranked
