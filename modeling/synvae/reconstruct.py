"""The black-box check of a SynVAE: images in, images through music and the melodies out.

    python -m modeling.synvae reconstruct --checkpoint C --images in.npy --out out.npz

``in.npy`` holds N images shaped (N, C, H, W) as the checkpoint's VisVAE reads them ((N, 1, 28,
28) for MNIST) with values in [0, 1]. ``out.npz`` holds ``recon`` (float32, same shape: each image
decoded from the music encoder's mean of its melody) and ``tokens`` (int64, (N, 32)): the melody,
one token per sixteenth note, 0 = hold (no event), 1 = note off, 2..89 = a note of MIDI pitch
21..108 starting there. Each melody is decoded by argmax from the mean visual latent, so the same
image always gives the same melody and the same reconstruction. Anyone can then score ``recon``
with their own classifier. Inference only: nothing here imports training code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TOKEN_CONVENTION = "0 hold (no event), 1 note off, 2..89 note on at MIDI pitch 21..108"
MELODY_DECODING = "argmax of the music decoder, fed its own choice, from the mean visual latent"


class ReconstructInputError(ValueError):
    """The images or the checkpoint cannot be used; the message says what is wrong, in one line."""


def read_images(path: Path | str, *, image_shape: tuple[int, int, int]) -> np.ndarray:
    """The images of a ``.npy`` file as float32 (N, C, H, W), checked against ``image_shape``."""
    path = Path(path)
    if not path.is_file():
        raise ReconstructInputError(f"There is no image file at {path}.")
    try:
        images = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ReconstructInputError(f"{path} is not a numpy .npy array file ({error}).") from error
    expected = "(N, " + ", ".join(str(d) for d in image_shape) + ")"
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(image_shape) or len(images) == 0:
        raise ReconstructInputError(
            f"The images must be shaped {expected} with N >= 1 for this checkpoint; "
            f"{path} holds an array shaped {tuple(images.shape)}."
        )
    if images.dtype.kind not in "fiub":
        raise ReconstructInputError(f"The images must be numbers, not {images.dtype}.")
    images = images.astype(np.float32)
    if not np.all(np.isfinite(images)):
        raise ReconstructInputError("The images hold NaN or infinite values.")
    low, high = float(images.min()), float(images.max())
    if low < 0.0 or high > 1.0:
        raise ReconstructInputError(
            f"Pixel values must lie in [0, 1]; these lie in [{low:g}, {high:g}] "
            "(divide 8-bit images by 255)."
        )
    return images


def load_synvae(checkpoint: Path | str, *, device: str = "cpu"):
    """The SynVAE of a checkpoint, or a one-line error naming what the file holds instead."""
    from modeling.checkpoint_io import CheckpointError, load_model

    try:
        model, _ = load_model(checkpoint, expected_kind="synvae", device=device)
    except CheckpointError as error:
        raise ReconstructInputError(f"{error}; reconstruct needs a SynVAE checkpoint.") from error
    return model


def reconstruct_through_music(
    model, images: np.ndarray, *, batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """(recon float32 like ``images``, tokens int64 (N, 32)) for images in [0, 1]."""
    import torch

    device = next(model.parameters()).device
    recon, tokens = [], []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = torch.as_tensor(images[start : start + batch_size], device=device)
            out = model.translate(batch)
            recon.append(out["reconstruction"].float().cpu().numpy())
            tokens.append(out["tokens"].long().cpu().numpy())
    return np.concatenate(recon).astype(np.float32), np.concatenate(tokens).astype(np.int64)


def reconstruct_file(
    *, checkpoint: Path | str, images: Path | str, out: Path | str, device: str = "cpu"
) -> dict:
    """Read ``images``, translate them through music, write ``out``; a summary of what was done."""
    model = load_synvae(checkpoint, device=device)
    pixels = read_images(images, image_shape=model.config.visual.image_shape)
    recon, tokens = reconstruct_through_music(model, pixels)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as handle:  # np.savez would add ".npz" to any other suffix
        np.savez_compressed(
            handle,
            recon=recon,
            tokens=tokens,
            token_convention=np.array(TOKEN_CONVENTION),
            melody_decoding=np.array(MELODY_DECODING),
        )
    return {
        "kind": "reconstruction",
        "checkpoint": str(checkpoint),
        "images": len(pixels),
        "out": str(out),
        "distinct_melodies": len({row.tobytes() for row in tokens}),
        "token_convention": TOKEN_CONVENTION,
        "melody_decoding": MELODY_DECODING,
    }
