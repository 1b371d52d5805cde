"""The vis2mus command line on a tiny checkpoint: equivariance JSON, evaluation, generation."""

import json
import subprocess
import sys
from pathlib import Path

from modeling.vis2mus.cli import main

ROOT = Path(__file__).resolve().parents[3]
TRAINING_MODULES = {"modeling.loop", "modeling.vis2mus.train", "modeling.vis2mus.evaluate"}


def test_equivariance_prints_one_json_object_per_transform_and_property(
    tiny_checkpoint, generated_corpus_cache, capsys
):
    argv = ["--threads", "1", "equivariance", "--checkpoint", str(tiny_checkpoint)]
    main([*argv, "--corpus-cache", str(generated_corpus_cache), "--anchors", "4", "--json"])
    table = json.loads(capsys.readouterr().out)  # --json: nothing but the list
    assert [row["property"] for row in table] == 2 * [
        "note_density",
        "mean_pitch",
        "pitch_range",
        "velocity",
        "pitch_class_entropy",
    ]
    assert [row["transform"] for row in table] == 5 * ["brightness"] + 5 * ["contrast"]
    for row in table:
        assert {"property", "share_monotone", "mean_rho"} <= set(row) and row["anchors"] == 4
        if row["property"] == "velocity":
            assert row["share_monotone"] is None and "not modelled" in row["note"]
        else:
            assert 0.0 <= row["share_monotone"] <= 1.0
            assert row["mean_rho"] is None or -1.0 <= row["mean_rho"] <= 1.0


def test_evaluate_reports_reconstruction_chords_and_the_swap_test(
    tiny_checkpoint, generated_corpus_cache, capsys
):
    argv = ["evaluate", "--checkpoint", str(tiny_checkpoint)]
    metrics = main([*argv, "--corpus-cache", str(generated_corpus_cache)])
    assert "| onset_f1 |" in capsys.readouterr().out
    for name in (
        "onset_f1",
        "note_f1",
        "pitch_accuracy",
        "root_accuracy",
        "quality_accuracy",
        "swap_chords_match_a",
        "swap_rhythm_f1_b",
    ):
        assert 0.0 <= metrics[name] <= 1.0
    assert metrics["segments"] > 0


def test_generating_music_never_imports_training_code(tiny_checkpoint, tmp_path):
    script = f"""
import json, sys
import numpy as np
from modeling.checkpoint_io import load_model
from modeling.vis2mus.accompaniment import generated_segment
from modeling.vis2mus.generate import reconstruct, style_transfer, transformed, roll_midi
model, _ = load_model({str(tiny_checkpoint)!r}, expected_kind="vis2mus")
a = generated_segment("I-IV-V-I", pattern="block", register="middle", per_bar=2, dense=True, key=0)
b = generated_segment("i-iv-V-i", pattern="alberti", register="low", per_bar=1, dense=False, key=5)
rolls, chords = np.stack([a[0], b[0]]), np.stack([a[1], b[1]])
shapes = [list(reconstruct(model, rolls, chords).shape),
          list(transformed(model, rolls, chords, name="contrast", strengths=(-1, 0, 1)).shape),
          list(style_transfer(model, chords_from=chords, texture_from=rolls[::-1]).shape)]
roll_midi(a[0]).write({str(tmp_path / "a.mid")!r})
print(json.dumps({{"shapes": shapes,
                   "modules": sorted(n for n in sys.modules if n.startswith("modeling"))}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["shapes"] == [[2, 32, 128], [2, 3, 32, 128], [2, 32, 128]]
    assert "modeling.vis2mus.model" in report["modules"]
    assert TRAINING_MODULES.isdisjoint(report["modules"])
    assert (tmp_path / "a.mid").stat().st_size > 0


def test_generate_writes_midi_for_each_version_of_each_segment(
    tiny_checkpoint, generated_corpus_cache, tmp_path
):
    out = tmp_path / "examples"
    argv = [
        "generate",
        "--checkpoint",
        str(tiny_checkpoint),
        "--corpus-cache",
        str(generated_corpus_cache),
        "--out-dir",
        str(out),
        "--count",
        "2",
        "--brightness",
        "0.5",
    ]
    result = main(argv)
    manifest = json.loads((out / "examples.json").read_text())
    assert manifest["pieces"] == sorted(
        [
            "original",
            "reconstruction",
            "brightness_+0.5",
            "brightness_-0.5",
            "chords_with_next_texture",
        ]
    )
    assert len(list(out.glob("*.mid"))) == 2 * 5 and result["files"] == 11


def test_silent_or_chordless_anchors_and_other_families_checkpoints_are_refused(tmp_path):
    import numpy as np
    import pytest

    from modeling.checkpoint_io import CheckpointError
    from modeling.vis2mus.accompaniment import generated_segment
    from modeling.vis2mus.generate import anchor_problems

    roll, chords = generated_segment(
        "I-V-vi-IV", pattern="broken", register="high", per_bar=1, dense=True, key=2
    )
    assert anchor_problems(roll, chords) == []
    assert anchor_problems(np.zeros_like(roll), chords) == [
        "the segment is silent: it has no note to transform"
    ]
    assert anchor_problems(roll, np.zeros_like(chords)) == ["the segment has no chord on any beat"]
    assert "32 x 128" in anchor_problems(roll[:16], chords)[0]
    musicvae = ROOT / "modeling" / "weights" / "musicvae_cpu_demo.pt"
    with pytest.raises(CheckpointError, match="holds a 'musicvae' model, expected a 'vis2mus'"):
        main(["evaluate", "--checkpoint", str(musicvae), "--corpus-cache", str(tmp_path / "c")])


def test_a_melody_fused_with_an_accompaniment_keeps_the_melody_on_top(tiny_checkpoint):
    import numpy as np

    from modeling.checkpoint_io import load_model
    from modeling.vis2mus.accompaniment import generated_segment
    from modeling.vis2mus.data import Note, texture_roll
    from modeling.vis2mus.generate import below_melody, fuse_with_melody

    model, _ = load_model(tiny_checkpoint, expected_kind="vis2mus")
    melody = texture_roll([Note(4 * k, 64 + k % 3, 4) for k in range(8)])  # E4..F#4 quarters
    _, melody_chords = generated_segment(
        "I-IV-V-I", pattern="block", register="middle", per_bar=2, dense=False, key=0
    )
    accompaniment, _ = generated_segment(
        "i-iv-V-i", pattern="alberti", register="high", per_bar=1, dense=True, key=9
    )
    lowered = below_melody(accompaniment, melody)
    assert np.flatnonzero(lowered.any(0)).max() < 64  # below the melody's lowest note
    assert np.array_equal(
        np.flatnonzero(lowered.any(0)) % 12, np.flatnonzero(accompaniment.any(0)) % 12
    )  # by whole octaves
    fused = fuse_with_melody(
        model, melody=melody, melody_chords=melody_chords, accompaniment=accompaniment
    )
    assert fused.shape == (32, 128) and (fused[melody > 0] == melody[melody > 0]).all()
