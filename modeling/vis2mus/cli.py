"""The command line of the Vis2Mus family:
``python -m modeling.vis2mus train|evaluate|generate|equivariance|style|anchors``.

    python -m modeling.vis2mus --threads 1 train --preset cpu_demo --out var/runs/vis2mus.pt \\
        --corpus-cache var/vis2mus/corpus.npz
    python -m modeling.vis2mus evaluate --checkpoint modeling/weights/vis2mus_cpu_demo.pt
    python -m modeling.vis2mus equivariance --checkpoint c.pt --anchors 50 --json
    python -m modeling.vis2mus generate --checkpoint c.pt --out-dir out --brightness 0.5
    python -m modeling.vis2mus style --content sketch.png --style painting.png --out fused.png
    python -m modeling.vis2mus anchors      # rebuild modeling/vis2mus/anchor_segments.npz

``--threads N`` (before the subcommand) sets torch's CPU threads. Each subcommand imports only
what it runs: ``generate`` never loads training code.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from modeling.vis2mus.presets import TRAINING

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKPOINT = ROOT / "modeling" / "weights" / "vis2mus_cpu_demo.pt"
# The segment cache records its settings and is rebuilt when they differ, so one path serves all.
DEFAULT_CORPUS_CACHE = ROOT / "var" / "vis2mus" / "segments.npz"


def _print_progress(record: dict) -> None:
    keys = ("step", "total_steps", "elapsed_s", "train_loss", "train_texture", "train_chord")
    keys += ("train_kl_chd", "train_kl_txt", "train_token_accuracy", "train_root_accuracy")
    keys += ("val_loss", "val_token_accuracy", "val_root_accuracy")
    print(json.dumps({k: record[k] for k in keys if k in record}), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modeling.vis2mus",
        description="Train, evaluate and run the chord/texture VAE behind Vis2Mus.",
    )
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a chord/texture VAE")
    train.add_argument("--preset", default="cpu_demo", choices=sorted(TRAINING))
    train.add_argument("--out", required=True, type=Path)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--steps", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--time-limit-s", type=float)
    train.add_argument("--max-works", type=int, help="music21 works to parse (default: preset)")
    train.add_argument(
        "--corpus-cache", type=Path, default=DEFAULT_CORPUS_CACHE, help="segments .npz to reuse"
    )
    train.add_argument("--resume", action="store_true")
    train.add_argument("--no-evaluate", dest="evaluate", action="store_false")
    for name, text in (
        ("evaluate", "held-out reconstruction, chord accuracy and the swap test"),
        ("equivariance", "brightness / contrast on the feature map vs. decoded music"),
        ("generate", "decode held-out segments, transformed or style-swapped, to MIDI"),
        ("anchors", "choose the studies' music anchors from the held-out segments"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
        sub.add_argument("--corpus-cache", type=Path, default=DEFAULT_CORPUS_CACHE)
        sub.add_argument("--max-works", type=int, help="default: the checkpoint's corpus")
        sub.add_argument("--seed", type=int, default=0)
    commands.choices["evaluate"].add_argument(
        "--write", action="store_true", help="store the metrics in the checkpoint"
    )
    equivariance = commands.choices["equivariance"]
    equivariance.add_argument("--anchors", type=int, default=50)
    equivariance.add_argument("--json", action="store_true", help="print only the JSON list")
    generate = commands.choices["generate"]
    generate.add_argument("--out-dir", required=True, type=Path)
    generate.add_argument("--count", type=int, default=4)
    generate.add_argument("--brightness", type=float, default=0.0)
    generate.add_argument("--contrast", type=float, default=0.0)
    commands.choices["anchors"].add_argument("--per-role", type=int, default=12)
    commands.choices["anchors"].add_argument("--out", type=Path, help="default: the committed file")
    style = commands.add_parser("style", help="a sketch in a style image's colours and textures")
    style.add_argument("--content", required=True, type=Path, help="the sketch (any image file)")
    style.add_argument("--style", required=True, type=Path, help="the style image")
    style.add_argument("--out", required=True, type=Path, help="the PNG to write")
    style.add_argument("--iterations", type=int, default=60)
    style.add_argument("--seed", type=int, default=0)
    return parser


def run_style(args: argparse.Namespace) -> dict:
    import numpy as np
    from PIL import Image

    from modeling.vis2mus.style import style_transfer_image

    content = np.asarray(Image.open(args.content))
    styled = style_transfer_image(
        content, np.asarray(Image.open(args.style)), iterations=args.iterations, seed=args.seed
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((styled * 255).round().astype(np.uint8)).save(args.out, format="PNG")
    return {"kind": "style", "out": str(args.out), "size": list(styled.shape[:2])}


def run_train(args: argparse.Namespace) -> dict:
    from modeling.vis2mus.train import train_vis2mus

    return train_vis2mus(
        out=args.out,
        preset=args.preset,
        seed=args.seed,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        time_limit_s=args.time_limit_s,
        max_works=args.max_works,
        corpus_cache=args.corpus_cache,
        resume=args.resume,
        evaluate=args.evaluate,
        on_progress=_print_progress,
    )


def held_out_segments(args: argparse.Namespace):
    """The validation split of the corpus the checkpoint was trained on (rebuilt or cached)."""
    from modeling.checkpoint_io import load_checkpoint
    from modeling.vis2mus.data import build_segment_corpus

    settings = load_checkpoint(args.checkpoint, expected_kind="vis2mus").data_description.get(
        "settings", {}
    )
    max_works = args.max_works if args.max_works is not None else settings.get("max_works", 150)
    corpus = build_segment_corpus(
        max_works=max_works,
        seed=settings.get("seed", args.seed),
        include_generated=settings.get("include_generated", True),
        cache_path=args.corpus_cache,
    )
    return corpus.val


def run_evaluate(args: argparse.Namespace) -> dict:
    from modeling.checkpoint_io import load_model, update_checkpoint_metrics
    from modeling.vis2mus.evaluate import evaluate_model, markdown_table

    model, checkpoint = load_model(args.checkpoint, expected_kind="vis2mus")
    metrics = evaluate_model(model, held_out_segments(args), seed=args.seed)
    print(markdown_table(metrics))
    if args.write:
        update_checkpoint_metrics(args.checkpoint, dict(checkpoint.metrics, held_out=metrics))
    return metrics


def run_equivariance(args: argparse.Namespace) -> list:
    from modeling.checkpoint_io import load_model
    from modeling.vis2mus.evaluate import equivariance_markdown, equivariance_table

    model, _ = load_model(args.checkpoint, expected_kind="vis2mus")
    table = equivariance_table(model, held_out_segments(args), anchors=args.anchors, seed=args.seed)
    if not args.json:
        print(equivariance_markdown(table))
    return table


def run_generate(args: argparse.Namespace) -> dict:
    from modeling.checkpoint_io import load_model
    from modeling.vis2mus.generate import write_examples

    model, _ = load_model(args.checkpoint, expected_kind="vis2mus")
    written = write_examples(
        model,
        held_out_segments(args),
        out_dir=args.out_dir,
        count=args.count,
        brightness=args.brightness,
        contrast=args.contrast,
        seed=args.seed,
    )
    return {"kind": "generation", "out_dir": str(args.out_dir), "files": len(written)}


def run_anchors(args: argparse.Namespace) -> dict:
    from modeling.vis2mus.anchors import ANCHOR_FILE, write_anchor_segments

    segments = held_out_segments(args)
    path = args.out or ANCHOR_FILE
    path = write_anchor_segments(segments, path=path, per_role=args.per_role, seed=args.seed)
    return {"kind": "anchors", "out": str(path), "per_role": args.per_role, "seed": args.seed}


def main(argv: Sequence[str] | None = None) -> dict | list:
    args = build_parser().parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    run = {
        "train": run_train,
        "evaluate": run_evaluate,
        "equivariance": run_equivariance,
        "generate": run_generate,
        "style": run_style,
        "anchors": run_anchors,
    }[args.command]
    result = run(args)
    print(json.dumps(result, indent=None if getattr(args, "json", False) else 2, default=str))
    return result
