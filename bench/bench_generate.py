"""Stimulus generation for 60 images with the committed SynVAE: encode, decode, MIDI, audio.

Prints the total seconds, split into the model stage (the `gpu` queue's part: load, encode,
select, decode) and the rendering stage (the `cpu` queue's part: MIDI, synthesis, FLAC, PNG,
then the MP3 participants receive: loudness-normalised, constant bitrate, no tags), and
the ratio to the raw synthesis time of the same MIDI (target: the whole generation under 10 s on
2 CPU cores). Run: .venv/bin/python bench/bench_generate.py
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHECKPOINT = ROOT / "modeling" / "weights" / "synvae_digits_beta0.5.pt"


def main() -> None:
    import torch

    from modeling.data.melody import melody_to_midi
    from modeling.render import synthesize
    from modeling.synvae.generate import render_pairs, synvae_melodies
    from studies.media import clean_audio

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    started = time.perf_counter()
    plan = synvae_melodies(checkpoint=CHECKPOINT, dataset="digits", per_class=20, device="cpu")
    model_stage = time.perf_counter() - started
    generated = render_pairs(plan)
    pairs = [pair for pairs in generated.pairs.values() for pair in pairs]
    mp3s = [clean_audio(pair.audio_flac) for pair in pairs]
    total = time.perf_counter() - started

    started = time.perf_counter()
    for pair in pairs:
        synthesize(melody_to_midi(pair.tokens), sample_rate=22050, tail_s=0.3)
    synthesis = time.perf_counter() - started

    classes = ", ".join(generated.classes)
    print(f"images: {len(pairs)} ({classes}), torch threads {torch.get_num_threads()}")
    print(f"generation (load, encode, select, decode, MIDI, render, MP3): {total:.2f} s")
    print(
        f"  model stage (gpu queue) {model_stage:.2f} s, rendering (cpu queue) "
        f"{total - model_stage:.2f} s"
    )
    print(f"  {len(mp3s)} MP3s, {sum(map(len, mp3s)) / len(mp3s) / 1024:.0f} KiB each on average")
    ratio = total / synthesis
    print(f"raw synthesis of the same MIDI: {synthesis:.2f} s; total / synthesis {ratio:.1f}")
    print(f"target < 10 s: {'MET' if total < 10 else 'NOT MET'}")


if __name__ == "__main__":
    main()
