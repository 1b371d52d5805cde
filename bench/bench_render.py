"""Benchmark: render two-bar melodies to MIDI + MP3 (the stimulus path of a SynVAE study).

    .venv/bin/python bench/bench_render.py [--count 60] [--formats mp3] [--sample-rate 22050]

Prints seconds in total and per stage: MIDI building and writing, synthesis (tinysoundfont),
loudness normalisation, and encoding (soundfile/libsndfile), plus per-melody averages.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script

from modeling.data.melody import (  # noqa: E402
    STEPS,
    canonical_melody,
    melody_to_midi,
    pitch_to_token,
)
from modeling.render import (  # noqa: E402
    anonymous_midi,
    normalise_loudness,
    synthesis_backend,
    synthesize,
    write_audio,
)


def random_walk_melodies(count: int, *, seed: int) -> list[np.ndarray]:
    """Singable two-bar melodies: a seeded random walk around middle C on eighths and quarters."""
    rng = np.random.default_rng(seed)
    melodies = []
    for _ in range(count):
        tokens = np.zeros(STEPS, dtype=np.int64)
        pitch, step = 60 + int(rng.integers(-5, 8)), 0
        while step < STEPS:
            pitch = int(np.clip(pitch + rng.integers(-3, 4), 48, 84))
            tokens[step] = pitch_to_token(pitch)
            step += int(rng.choice([2, 4, 4, 8]))
        melodies.append(canonical_melody(tokens))
    return melodies


def run(*, count: int, formats: tuple[str, ...], sample_rate: int, seed: int) -> dict[str, float]:
    timings = {"midi": 0.0, "synthesis": 0.0, "normalise": 0.0, "encoding": 0.0}
    melodies = random_walk_melodies(count, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        started = time.perf_counter()
        for index, tokens in enumerate(melodies):
            t0 = time.perf_counter()
            pm = melody_to_midi(tokens, tempo_bpm=120.0)
            anonymous_midi(pm).write(str(out / f"{index}.mid"))
            t1 = time.perf_counter()
            audio = synthesize(pm, sample_rate=sample_rate)
            t2 = time.perf_counter()
            audio = normalise_loudness(audio)
            t3 = time.perf_counter()
            for audio_format in formats:
                path = out / f"{index}.{audio_format}"
                write_audio(audio, path, sample_rate=sample_rate, format=audio_format)
            t4 = time.perf_counter()
            timings["midi"] += t1 - t0
            timings["synthesis"] += t2 - t1
            timings["normalise"] += t3 - t2
            timings["encoding"] += t4 - t3
        timings["total"] = time.perf_counter() - started
        timings["bytes_per_file"] = float(
            np.mean([p.stat().st_size for p in out.iterdir() if p.suffix != ".mid"])
        )
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--formats", nargs="+", default=["mp3"])
    parser.add_argument("--sample-rate", type=int, default=22050)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    timings = run(
        count=args.count,
        formats=tuple(args.formats),
        sample_rate=args.sample_rate,
        seed=args.seed,
    )
    print(
        f"rendered {args.count} two-bar melodies (4.5 s audio each) to MIDI + "
        f"{'+'.join(args.formats)} at {args.sample_rate} Hz with {synthesis_backend()}"
    )
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    for stage in ("midi", "synthesis", "normalise", "encoding", "total"):
        seconds = timings[stage]
        print(f"{stage:>10}: {seconds:7.3f} s total, {1000 * seconds / args.count:7.1f} ms/melody")
    print(f"mean audio file size: {timings['bytes_per_file'] / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
