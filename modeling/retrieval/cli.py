"""The command line of the retrieval family: ``python -m modeling.retrieval train|evaluate|rank``.

    python -m modeling.retrieval --threads 1 train --preset cpu_demo --out var/retrieval/tnn.pt
    python -m modeling.retrieval evaluate --checkpoint modeling/weights/retrieval_cpu_demo.pt
    python -m modeling.retrieval rank --clip clip.flac --images a.png b.png c.png

Training uses the generated affect set (cached under ``$SYNLAB_VAR_DIR/affect``, shared with
``python -m modeling.affect``). ``evaluate`` prints held-out MAP in both directions for the
model, Cluster-CCA alone and a random projection.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from modeling.retrieval.presets import TRAINING

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKPOINT = ROOT / "modeling" / "weights" / "retrieval_cpu_demo.pt"


def _print_progress(record: dict) -> None:
    keys = ("step", "total_steps", "elapsed_s", "train_loss", "train_active_triplets", "val_loss")
    print(json.dumps({k: record[k] for k in keys if k in record}), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modeling.retrieval",
        description="Cluster-CCA + triplet network for clip <-> picture retrieval.",
    )
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="fit Cluster-CCA and train the triplet network")
    train.add_argument("--preset", default="cpu_demo", choices=sorted(TRAINING))
    train.add_argument("--out", required=True, type=Path)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--steps", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--per-class", type=int, help="generated items per class (default: preset)")
    train.add_argument("--shuffle-labels", action="store_true", help="the control run")
    train.add_argument("--resume", action="store_true")
    evaluate = commands.add_parser("evaluate", help="held-out MAP against the baselines")
    evaluate.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    evaluate.add_argument("--write", action="store_true", help="store the metrics in it")
    rank = commands.add_parser("rank", help="rank pictures for a clip")
    rank.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    rank.add_argument("--clip", required=True, type=Path)
    rank.add_argument("--images", required=True, type=Path, nargs="+")
    return parser


def run_train(args: argparse.Namespace) -> dict:
    from modeling.affect.cli import data_cache_dir
    from modeling.affect.generated import generated_set_name
    from modeling.retrieval.presets import training_values
    from modeling.retrieval.train import GENERATED_IMAGE_SIZE, train_retrieval

    per_class = training_values(args.preset, per_class=args.per_class)["per_class"]
    name = generated_set_name(per_class=per_class, seed=args.seed, image_size=GENERATED_IMAGE_SIZE)
    return train_retrieval(
        out=args.out,
        preset=args.preset,
        seed=args.seed,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        per_class=per_class,
        shuffle_labels=args.shuffle_labels,
        data_cache=data_cache_dir() / name,
        resume=args.resume,
        on_progress=_print_progress,
    )


def run_evaluate(args: argparse.Namespace) -> dict:
    from modeling.affect.cli import cache_for
    from modeling.affect.generated import rebuild_generated_set
    from modeling.checkpoint_io import load_model, update_checkpoint_metrics
    from modeling.retrieval.data import picture_features, retrieval_split
    from modeling.retrieval.evaluate import evaluate_retrieval, markdown_table

    model, checkpoint = load_model(args.checkpoint, expected_kind="retrieval")
    description = checkpoint.data_description
    affect = rebuild_generated_set(description, cache_path=cache_for(description))
    test = retrieval_split(affect, picture_features(affect), "test")
    metrics = evaluate_retrieval(model, test, seed=checkpoint.seed or 0)
    print(markdown_table(metrics))
    if args.write:
        update_checkpoint_metrics(args.checkpoint, dict(checkpoint.metrics, held_out=metrics))
    return metrics


def run_rank(args: argparse.Namespace) -> list[dict]:
    from modeling.retrieval.rank import RetrievalRanker

    ranked = RetrievalRanker.from_checkpoint(args.checkpoint).rank_images(args.clip, args.images)
    return [{"image": str(args.images[i]), "similarity": s} for i, s in ranked]


def main(argv: Sequence[str] | None = None) -> dict | list:
    args = build_parser().parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    run = {"train": run_train, "evaluate": run_evaluate, "rank": run_rank}[args.command]
    result = run(args)
    print(json.dumps(result, indent=2, default=str))
    return result
