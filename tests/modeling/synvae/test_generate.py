"""Stimulus generation from the committed SynVAE: images -> melodies -> files, inference only."""

import json
import subprocess
import sys
from pathlib import Path

from modeling.synvae.cli import main

ROOT = Path(__file__).resolve().parents[3]
CHECKPOINT = ROOT / "modeling" / "weights" / "synvae_digits_beta0.5.pt"
TRAINING_MODULES = {"modeling.loop", "modeling.synvae.train", "modeling.synvae.evaluate"}


def test_generating_stimuli_never_imports_training_code():
    script = f"""
import json, sys
from modeling.synvae.generate import render_pairs, synvae_melodies
plan = synvae_melodies(checkpoint={str(CHECKPOINT)!r}, per_class=2, device="cpu")
generated = render_pairs(plan)
print(json.dumps({{
    "pairs": sum(len(pairs) for pairs in generated.pairs.values()),
    "modules": sorted(name for name in sys.modules if name.startswith("modeling")),
}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["pairs"] == 6  # three classes, two pairs each: the model really ran
    assert "modeling.synvae.model" in report["modules"]
    assert TRAINING_MODULES.isdisjoint(report["modules"])


def test_generate_command_writes_each_image_with_its_melody(tmp_path, capsys):
    out = tmp_path / "stimuli"
    argv = ["generate", "--checkpoint", str(CHECKPOINT), "--per-class", "2", "--out-dir", str(out)]
    result = main(["--threads", "1", *argv])
    plan = json.loads((out / "plan.json").read_text())
    stems = [f"{name}_{rank:02d}" for name in plan["classes"] for rank in range(2)]
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["plan.json"]
        + [f"{stem}{suffix}" for stem in stems for suffix in (".flac", ".mid", ".png")]
    )
    assert result["files"] == 19 and '"kind": "generation"' in capsys.readouterr().out
