"""MusicVAE training speed: steps per second, and how much of a step the data pipeline takes.

    .venv/bin/python bench/musicvae_speed.py --preset small --threads 1 --steps 5 \\
        --corpus-cache var/synvae/melody_corpus_3000.npz

Each step is what ``modeling.loop.train`` does: cut the batch (``batch_for_step``: the epoch's
seeded permutation, then indexing), move it to the device, forward, backward, Adam. The data part
is timed apart. Two cases: teacher forced (one LSTM call over the 32 steps) and scheduled sampling
with no teacher forcing left (32 decoder calls, the slowest). Without ``--corpus-cache`` random
tokens stand in (the same shapes, so the same speed).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script


def training_tokens(corpus_cache: Path | None) -> torch.Tensor:
    if corpus_cache is None:
        from modeling.data.melody import NUM_CLASSES, STEPS

        generator = torch.Generator().manual_seed(0)
        return torch.randint(0, NUM_CLASSES, (100_000, STEPS), generator=generator)
    from modeling.data.corpus import load_corpus

    return torch.as_tensor(load_corpus(corpus_cache).train, dtype=torch.long)


def time_case(model, data, *, batch_size: int, steps: int, step_number: int, device: str) -> dict:
    from modeling.loop import batch_for_step
    from modeling.synvae.musicvae import musicvae_step_loss

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data_s = network_s = 0.0
    for i in range(steps + 1):  # the first step warms up and is not counted
        started = time.perf_counter()
        (batch,) = batch_for_step(data, step=i, batch_size=batch_size, seed=0)
        batch = batch.to(device)
        cut = time.perf_counter()
        loss, _ = musicvae_step_loss(model, (batch,), step=step_number)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        done = time.perf_counter()
        if i > 0:
            data_s += cut - started
            network_s += done - cut
    total = data_s + network_s
    return {
        "steps_per_s": steps / total,
        "examples_per_s": steps * batch_size / total,
        "data_share": data_s / total,
        "data_ms_per_step": 1000 * data_s / steps,
    }


def main() -> None:
    from modeling.device import default_device
    from modeling.loop import TrainData
    from modeling.synvae.musicvae import MusicVAE, MusicVAEConfig
    from modeling.synvae.presets import musicvae_training_values

    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="small")
    parser.add_argument("--batch-size", type=int, help="default: the preset's")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--device")
    parser.add_argument("--corpus-cache", type=Path)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = args.device or default_device()
    batch_size = args.batch_size or musicvae_training_values(args.preset)["batch_size"]
    tokens = training_tokens(args.corpus_cache)
    data = TrainData(train=(tokens.to(device) if device != "cpu" else tokens,))
    torch.manual_seed(0)
    model = MusicVAE(MusicVAEConfig.preset(args.preset)).to(device).train()
    parameters = sum(p.numel() for p in model.parameters())
    print("command:", shlex.join([Path(sys.executable).name, *sys.argv]))
    print(
        f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
        f"preset {args.preset} ({parameters:,} parameters), batch {batch_size}, "
        f"{len(tokens):,} training windows"
    )
    for name, step_number in (("teacher forced", 0), ("scheduled sampling, no teacher", 10**6)):
        row = time_case(
            model,
            data,
            batch_size=batch_size,
            steps=args.steps,
            step_number=step_number,
            device=device,
        )
        print(
            f"{name:32s} {row['steps_per_s']:8.3f} steps/s {row['examples_per_s']:9.1f} "
            f"examples/s  data {row['data_ms_per_step']:.2f} ms/step ({row['data_share']:.1%})"
        )


if __name__ == "__main__":
    main()
