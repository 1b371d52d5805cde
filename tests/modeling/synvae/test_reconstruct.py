"""`python -m modeling.synvae reconstruct`: someone checks a SynVAE with their own classifier."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from modeling.checkpoint_io import Checkpoint, save_checkpoint
from modeling.data.melody import NO_EVENT, NOTE_OFF, STEPS, token_to_pitch
from modeling.synvae.cli import main
from modeling.synvae.model import SynVAE, SynVAEConfig
from modeling.synvae.musicvae import MusicVAE, MusicVAEConfig
from modeling.synvae.reconstruct import TOKEN_CONVENTION
from modeling.synvae.visvae import VisVAEConfig

ROOT = Path(__file__).resolve().parents[3]


def save_model(model, path: Path) -> Path:
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    checkpoint = Checkpoint(
        kind=model.kind, format_version=1, config=model.config.to_dict(), model_state=state
    )
    return save_checkpoint(checkpoint, path)


@pytest.fixture
def tiny_synvae_file(tmp_path) -> Path:
    torch.manual_seed(0)
    config = SynVAEConfig(visual=VisVAEConfig.tiny(z_size=8), music=MusicVAEConfig.tiny())
    return save_model(SynVAE(config), tmp_path / "syn.pt")


def digits(n: int = 5) -> np.ndarray:
    return np.random.default_rng(0).random((n, 1, 28, 28)).astype(np.float32)


def run_cli(*args: str) -> dict:
    return main(["reconstruct", *args])


def test_images_go_through_music_and_come_back_with_their_melodies(tiny_synvae_file, tmp_path):
    np.save(tmp_path / "in.npy", digits())
    out = tmp_path / "out.npz"
    summary = run_cli(
        "--checkpoint",
        str(tiny_synvae_file),
        "--images",
        str(tmp_path / "in.npy"),
        "--out",
        str(out),
    )
    assert summary["images"] == 5
    with np.load(out, allow_pickle=False) as result:
        recon, tokens = result["recon"], result["tokens"]
        assert str(result["token_convention"]) == TOKEN_CONVENTION
    assert recon.shape == (5, 1, 28, 28) and recon.dtype == np.float32
    assert recon.min() >= 0.0 and recon.max() <= 1.0
    assert tokens.shape == (5, STEPS) and tokens.dtype == np.int64
    assert tokens.min() >= 0 and tokens.max() <= 89

    again = tmp_path / "again.npz"
    run_cli(
        "--checkpoint",
        str(tiny_synvae_file),
        "--images",
        str(tmp_path / "in.npy"),
        "--out",
        str(again),
    )
    with np.load(out) as first, np.load(again) as second:
        assert np.array_equal(first["tokens"], second["tokens"])  # argmax: same image, same tune
        assert np.array_equal(first["recon"], second["recon"])


def test_the_token_convention_is_the_projects_melody_encoding():
    assert (NO_EVENT, NOTE_OFF) == (0, 1)
    assert token_to_pitch(2) == 21 and token_to_pitch(89) == 108
    assert TOKEN_CONVENTION.startswith("0 hold (no event), 1 note off, 2..89")


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.zeros((3, 28, 28), np.float32), r"shaped \(N, 1, 28, 28\).*\(3, 28, 28\)"),
        (np.zeros((2, 3, 28, 28), np.float32), r"shaped \(N, 1, 28, 28\)"),
        (np.zeros((0, 1, 28, 28), np.float32), r"N >= 1"),
        (np.full((2, 1, 28, 28), 255, np.uint8), r"in \[0, 1\].*divide 8-bit images by 255"),
        (np.full((2, 1, 28, 28), np.nan, np.float32), r"NaN"),
    ],
)
def test_wrong_images_get_one_clear_sentence(tiny_synvae_file, tmp_path, capsys, images, message):
    np.save(tmp_path / "bad.npy", images)
    with pytest.raises(SystemExit) as stopped:
        run_cli(
            "--checkpoint",
            str(tiny_synvae_file),
            "--images",
            str(tmp_path / "bad.npy"),
            "--out",
            str(tmp_path / "out.npz"),
        )
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "Traceback" not in error
    assert __import__("re").search(message, error), error
    assert not (tmp_path / "out.npz").exists()


def test_another_familys_checkpoint_is_refused_by_name(tmp_path, capsys):
    music = save_model(MusicVAE(MusicVAEConfig.tiny()), tmp_path / "music.pt")
    np.save(tmp_path / "in.npy", digits())
    with pytest.raises(SystemExit):
        run_cli(
            "--checkpoint",
            str(music),
            "--images",
            str(tmp_path / "in.npy"),
            "--out",
            str(tmp_path / "out.npz"),
        )
    error = capsys.readouterr().err
    assert "holds a 'musicvae' model" in error and "needs a SynVAE checkpoint" in error


def test_reconstruct_imports_no_training_code(tiny_synvae_file, tmp_path):
    np.save(tmp_path / "in.npy", digits(2))
    paths = {"checkpoint": tiny_synvae_file, "images": tmp_path / "in.npy", "out": tmp_path / "o"}
    call = ", ".join(f"{name}={str(path)!r}" for name, path in paths.items())
    watched = ("modeling.loop", "modeling.synvae.train", "modeling.synvae.evaluate")
    script = (
        "import sys\n"
        "from modeling.synvae.reconstruct import reconstruct_file\n"
        f"reconstruct_file({call})\n"
        f"print('training modules:', [m for m in {watched!r} if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "training modules: []" in done.stdout
