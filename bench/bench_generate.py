"""Stimulus generation for 60 images with the committed SynVAE: encode, decode, MIDI, audio.

Prints the total seconds and the ratio to the raw synthesis time of the same MIDI (target: the
whole generation under 10 s on 2 CPU cores). Run: .venv/bin/python bench/bench_generate.py
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHECKPOINT = ROOT / "modeling" / "checkpoints" / "synvae_digits_beta0.5.pt"


def main() -> None:
    import torch

    from modeling.data.melody import melody_to_midi
    from modeling.generate import synvae_pairs
    from modeling.render import synthesize

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    started = time.perf_counter()
    generated = synvae_pairs(checkpoint=CHECKPOINT, dataset="digits", per_class=20)
    total = time.perf_counter() - started
    pairs = [pair for pairs in generated.pairs.values() for pair in pairs]

    started = time.perf_counter()
    for pair in pairs:
        synthesize(melody_to_midi(pair.tokens), sample_rate=22050, tail_s=0.3)
    synthesis = time.perf_counter() - started

    classes = ", ".join(generated.classes)
    print(f"images: {len(pairs)} ({classes}), torch threads {torch.get_num_threads()}")
    print(f"generation (load, encode, select, decode, MIDI, render, Ogg): {total:.2f} s")
    ratio = total / synthesis
    print(f"raw synthesis of the same MIDI: {synthesis:.2f} s; total / synthesis {ratio:.1f}")
    print(f"target < 10 s: {'MET' if total < 10 else 'NOT MET'}")


if __name__ == "__main__":
    main()
