"""Seconds per training step of each network (CPU unless CUDA is available).

    python bench/bench_train.py [--threads N] [--repeats R]

Prints one line per network and batch size: parameters, seconds per step, examples per second.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script


def time_steps(model, loss_fn, batch, *, repeats: int, step: int) -> float:
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    loss, _ = loss_fn(model, batch, step=step)
    loss.backward()  # warm-up
    started = time.perf_counter()
    for _ in range(repeats):
        loss, _ = loss_fn(model, batch, step=step)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - started) / repeats


def main() -> None:
    from modeling.synvae.model import SynVAE, SynVAEConfig, synvae_step_loss
    from modeling.synvae.musicvae import MusicVAE, MusicVAEConfig, musicvae_step_loss
    from modeling.synvae.visvae import VisVAE, VisVAEConfig, visvae_step_loss

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    music_config = MusicVAEConfig.cpu_demo()
    cases = [
        (
            "musicvae cpu_demo, teacher forced",
            MusicVAE(music_config),
            musicvae_step_loss,
            "tokens",
            0,
        ),
        (
            "musicvae cpu_demo, scheduled sampling",
            MusicVAE(music_config),
            musicvae_step_loss,
            "tokens",
            400,
        ),
        (
            "visvae 28x28x1 z128",
            VisVAE(VisVAEConfig.mnist(z_size=128)),
            visvae_step_loss,
            "images",
            0,
        ),
        (
            "synvae digits z128",
            SynVAE(SynVAEConfig(music=music_config)),
            synvae_step_loss,
            "images",
            0,
        ),
    ]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for name, model, loss_fn, kind, step in cases:
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        for batch_size in (64, 128):
            if kind == "tokens":
                batch = (
                    torch.randint(0, music_config.num_classes, (batch_size, music_config.steps)),
                )
            else:
                batch = (torch.rand(batch_size, 1, 28, 28),)
            seconds = time_steps(model, loss_fn, batch, repeats=args.repeats, step=step)
            print(
                f"{name:40s} trainable {params:>9,d}  batch {batch_size:3d}  "
                f"{seconds:7.3f} s/step  {batch_size / seconds:8.1f} examples/s",
                flush=True,
            )


if __name__ == "__main__":
    main()
