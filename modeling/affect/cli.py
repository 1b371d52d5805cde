"""The command line of the affect family:
``python -m modeling.affect features|generate-set|train|evaluate|score|rank``.

    python -m modeling.affect features clip.flac --json        # the 193 numbers, a JSON list
    python -m modeling.affect generate-set --per-class 20 --media-dir out/affect_set
    python -m modeling.affect --threads 1 train --preset cpu_demo --out var/affect/acpnet.pt
    python -m modeling.affect evaluate --checkpoint modeling/weights/affect_cpu_demo.pt
    python -m modeling.affect score --image picture.png --clip clip.flac
    python -m modeling.affect rank --clip clip.flac --images a.png b.png c.png

``--threads N`` (before the subcommand) sets torch's CPU threads. The generated set is cached
under ``$SYNLAB_VAR_DIR/affect`` (``var/affect`` by default), one file per setting.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from modeling.affect.presets import TRAINING

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKPOINT = ROOT / "modeling" / "weights" / "affect_cpu_demo.pt"


def var_dir() -> Path:
    return Path(os.environ.get("SYNLAB_VAR_DIR", ROOT / "var"))


def data_cache_dir() -> Path:
    return var_dir() / "affect"


def _print_progress(record: dict) -> None:
    keys = ("step", "total_steps", "elapsed_s", "train_loss", "train_accuracy", "val_accuracy")
    print(json.dumps({k: record[k] for k in keys if k in record}), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modeling.affect",
        description="The 193-d music vector, the generated affect set and ACP-Net.",
    )
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    commands = parser.add_subparsers(dest="command", required=True)
    features = commands.add_parser("features", help="the 193-d vector of an audio file")
    features.add_argument("file", type=Path)
    features.add_argument("--json", action="store_true", help="print only the JSON list")
    generate = commands.add_parser("generate-set", help="make (and cache) the generated set")
    generate.add_argument("--per-class", type=int, default=20)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--image-size", type=int, default=32)
    generate.add_argument("--media-dir", type=Path, help="also write PNG / FLAC / MIDI files")
    train = commands.add_parser("train", help="train ACP-Net")
    train.add_argument("--preset", default="cpu_demo", choices=sorted(TRAINING))
    train.add_argument("--out", required=True, type=Path)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--steps", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--time-limit-s", type=float)
    train.add_argument("--per-class", type=int, help="generated items per class (default: preset)")
    train.add_argument("--shuffle-labels", action="store_true", help="the control run")
    train.add_argument("--resume", action="store_true")
    evaluate = commands.add_parser("evaluate", help="held-out correspondence and probes")
    evaluate.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    evaluate.add_argument("--write", action="store_true", help="store the metrics in it")
    score = commands.add_parser("score", help="P(a picture and a clip share an emotion)")
    score.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    score.add_argument("--image", required=True, type=Path)
    score.add_argument("--clip", required=True, type=Path)
    rank = commands.add_parser("rank", help="rank pictures for a clip")
    rank.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    rank.add_argument("--clip", required=True, type=Path)
    rank.add_argument("--images", required=True, type=Path, nargs="+")
    return parser


def run_features(args: argparse.Namespace) -> list[float]:
    from modeling.affect.features import FEATURE_BLOCKS, feature_slices, music_features_file

    vector = music_features_file(args.file)
    if not args.json:
        for name, _ in FEATURE_BLOCKS:
            values = " ".join(f"{v:.4g}" for v in vector[feature_slices()[name]])
            print(f"{name}: {values}")
    return [float(v) for v in vector]


def run_generate_set(args: argparse.Namespace) -> dict:
    from modeling.affect.generated import generate_affect_set, generated_set_name

    name = generated_set_name(per_class=args.per_class, seed=args.seed, image_size=args.image_size)
    affect = generate_affect_set(
        per_class=args.per_class,
        seed=args.seed,
        image_size=args.image_size,
        cache_path=data_cache_dir() / name,
    )
    result = {"cache": str(data_cache_dir() / name), "items": int(len(affect.images))}
    if args.media_dir:
        result["manifest"] = str(write_media(affect, args.media_dir))
    return result


def write_media(affect, folder: Path) -> Path:
    """Each item's picture, clip and MIDI, and a manifest CSV (file names say nothing of the
    class: the manifest does)."""
    from modeling.affect.generated import SPLITS, item_media

    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    with open(manifest, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item", "image", "clip", "midi", "label", "split"])
        for index in range(len(affect.images)):
            stem = f"item{index:04d}"
            for extension, data in item_media(affect, index).items():
                (folder / f"{stem}.{extension}").write_bytes(data)
            label = affect.classes[int(affect.image_labels[index])]
            split = SPLITS[int(affect.image_split[index])]
            writer.writerow([stem, f"{stem}.png", f"{stem}.flac", f"{stem}.mid", label, split])
    return manifest


def run_train(args: argparse.Namespace) -> dict:
    from modeling.affect.presets import training_values
    from modeling.affect.train import train_acpnet

    per_class = training_values(args.preset, per_class=args.per_class)["per_class"]
    name = generated_set_name_for(args.preset, per_class=per_class, seed=args.seed)
    return train_acpnet(
        out=args.out,
        preset=args.preset,
        seed=args.seed,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        time_limit_s=args.time_limit_s,
        per_class=per_class,
        shuffle_labels=args.shuffle_labels,
        data_cache=data_cache_dir() / name,
        resume=args.resume,
        on_progress=_print_progress,
    )


def generated_set_name_for(preset: str, *, per_class: int, seed: int) -> str:
    from modeling.affect.generated import generated_set_name
    from modeling.affect.model import ACPNetConfig
    from modeling.affect.train import generation_size

    size = generation_size(ACPNetConfig.preset(preset))
    return generated_set_name(per_class=per_class, seed=seed, image_size=size)


def cache_for(description: dict) -> Path | None:
    """The cache file of the generated set a checkpoint's description names (None if none)."""
    from modeling.affect.generated import generated_set_name

    settings = description.get("settings")
    if not settings:
        return None
    return data_cache_dir() / generated_set_name(
        per_class=settings["per_class"], seed=settings["seed"], image_size=settings["image_size"]
    )


def run_evaluate(args: argparse.Namespace) -> dict:
    from modeling.affect.evaluate import evaluate_acpnet, markdown_table
    from modeling.affect.generated import rebuild_generated_set
    from modeling.checkpoint_io import load_model, update_checkpoint_metrics

    model, checkpoint = load_model(args.checkpoint, expected_kind="acpnet")
    affect = rebuild_generated_set(
        checkpoint.data_description, cache_path=cache_for(checkpoint.data_description)
    )
    metrics = evaluate_acpnet(model, affect, seed=checkpoint.seed or 0)
    print(markdown_table(metrics))
    if args.write:
        update_checkpoint_metrics(args.checkpoint, dict(checkpoint.metrics, held_out=metrics))
    return metrics


def run_score(args: argparse.Namespace) -> dict:
    from modeling.affect.score import AffectScorer

    scorer = AffectScorer.from_checkpoint(args.checkpoint)
    return {
        "image": str(args.image),
        "clip": str(args.clip),
        "probability": scorer.score_pair(args.image, args.clip),
    }


def run_rank(args: argparse.Namespace) -> list[dict]:
    from modeling.affect.score import AffectScorer

    ranked = AffectScorer.from_checkpoint(args.checkpoint).rank_images(args.clip, args.images)
    return [{"image": str(args.images[i]), "probability": p} for i, p in ranked]


def main(argv: Sequence[str] | None = None) -> dict | list:
    args = build_parser().parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    run = {
        "features": run_features,
        "generate-set": run_generate_set,
        "train": run_train,
        "evaluate": run_evaluate,
        "score": run_score,
        "rank": run_rank,
    }[args.command]
    from modeling.affect.features import AudioFeatureError

    try:
        result = run(args)
    except AudioFeatureError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    if args.command == "features" and not args.json:
        return result
    print(json.dumps(result, indent=None if getattr(args, "json", False) else 2, default=str))
    return result
