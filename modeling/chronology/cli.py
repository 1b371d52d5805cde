"""The command line of the chronology family:
``python -m modeling.chronology train|evaluate|corpus|generated|features``.

    python -m modeling.chronology --threads 1 train --preset cpu_demo --out var/runs/chron.pt
    python -m modeling.chronology evaluate --json          # the committed checkpoint, test split
    python -m modeling.chronology evaluate --plot var/chronology/pca.png
    python -m modeling.chronology corpus                   # parse and cache the offline corpus
    python -m modeling.chronology generated --out var/chronology/planted.npz [--no-signal]
    python -m modeling.chronology features piece.mid       # or .wav / .png: one file's features

``train --data FILE.npz`` trains on a saved ``ChronologyData`` (``generated`` writes one; the
importers will too) instead of the offline corpus. ``evaluate`` rebuilds the data the
checkpoint was trained on from its recorded settings (the corpus from
``var/chronology/music_corpus.npz`` when cached, else parsed again: minutes) unless ``--data``
is given. ``--threads N`` (before the subcommand) sets torch's CPU threads.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from modeling.chronology.presets import TRAINING

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHECKPOINT = ROOT / "modeling" / "weights" / "chronology_cpu_demo.pt"
# The cache records its settings and is rebuilt when they differ, so one path serves all.
DEFAULT_CORPUS_CACHE = ROOT / "var" / "chronology" / "music_corpus.npz"


def _print_progress(record: dict) -> None:
    keys = ("step", "total_steps", "elapsed_s", "train_loss", "train_ordered", "val_loss")
    print(json.dumps({k: record[k] for k in keys + ("val_ordered",) if k in record}), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modeling.chronology",
        description="Train and evaluate the chronological triplet network (music and images).",
    )
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a chronological triplet network")
    train.add_argument("--preset", default="cpu_demo", choices=sorted(TRAINING))
    train.add_argument("--out", required=True, type=Path)
    train.add_argument("--data", type=Path, help="a ChronologyData .npz (default: the corpus)")
    train.add_argument("--variant", default="unit", choices=("unit", "free"))
    train.add_argument(
        "--kinds", help="comma-separated triplet kinds (default: all the data allow)"
    )
    train.add_argument("--positive-within", type=float, default=10.0, help="years")
    train.add_argument("--negative-beyond", type=float, default=20.0, help="years")
    train.add_argument("--seed", type=int, default=0)
    for name, kind in (("--steps", int), ("--batch-size", int), ("--per-anchor", int)):
        train.add_argument(name, type=kind)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--time-limit-s", type=float)
    train.add_argument("--max-works-per-source", type=int)
    train.add_argument("--corpus-seed", type=int, default=0, help="the corpus' works and split")
    train.add_argument("--corpus-cache", type=Path, default=DEFAULT_CORPUS_CACHE)
    train.add_argument("--resume", action="store_true")
    train.add_argument("--no-evaluate", dest="evaluate", action="store_false")
    train.add_argument("--k", type=int, default=25)
    evaluate = commands.add_parser("evaluate", help="P@K, AD@K and year MAE vs shuffled years")
    evaluate.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    evaluate.add_argument("--data", type=Path, help="a ChronologyData .npz to evaluate on")
    evaluate.add_argument("--corpus-cache", type=Path, default=DEFAULT_CORPUS_CACHE)
    evaluate.add_argument("--processes", type=int, default=1, help="to parse the corpus")
    evaluate.add_argument("--split", default="test", choices=("train", "val", "test"))
    evaluate.add_argument("--k", type=int, default=25)
    evaluate.add_argument("--permutations", type=int, default=999)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--json", action="store_true", help="print only the JSON result")
    evaluate.add_argument("--plot", type=Path, help="write the PCA plot (PNG) here")
    evaluate.add_argument("--write", action="store_true", help="store the result in the checkpoint")
    corpus = commands.add_parser("corpus", help="parse and cache the offline music corpus")
    corpus.add_argument("--max-works-per-source", type=int, default=100)
    corpus.add_argument("--seed", type=int, default=0)
    corpus.add_argument("--processes", type=int, default=1)
    corpus.add_argument("--cache", type=Path, default=DEFAULT_CORPUS_CACHE)
    generated = commands.add_parser("generated", help="write a generated planted-year data set")
    generated.add_argument("--out", required=True, type=Path)
    generated.add_argument("--no-signal", dest="signal", action="store_false")
    generated.add_argument("--music-works", type=int, default=120)
    generated.add_argument("--image-works", type=int, default=120)
    generated.add_argument("--seed", type=int, default=0)
    features = commands.add_parser("features", help="the features of one MIDI, audio or image file")
    features.add_argument("path", type=Path)
    return parser


def run_train(args: argparse.Namespace) -> dict:
    from modeling.chronology.data import load_data
    from modeling.chronology.train import train_chronology
    from modeling.chronology.triplets import TripletWindows

    return train_chronology(
        out=args.out,
        preset=args.preset,
        data=load_data(args.data) if args.data else None,
        variant=args.variant,
        kinds=[k.strip() for k in args.kinds.split(",")] if args.kinds else None,
        windows=TripletWindows(args.positive_within, args.negative_beyond),
        seed=args.seed,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        per_anchor=args.per_anchor,
        time_limit_s=args.time_limit_s,
        max_works_per_source=args.max_works_per_source,
        corpus_seed=args.corpus_seed,
        corpus_cache=args.corpus_cache,
        resume=args.resume,
        evaluate=args.evaluate,
        k=args.k,
        on_progress=_print_progress,
    )


def data_of_checkpoint(description: dict, *, corpus_cache: Path | None, processes: int = 1):
    """Rebuild the data a checkpoint was trained on from the settings it recorded."""
    settings = dict(description.get("settings", {}))
    if str(description.get("source", "")).startswith("generated"):
        from modeling.chronology.synthetic import planted_year_set

        return planted_year_set(**settings)
    if "sources" in settings:
        from modeling.chronology.corpus import build_music_corpus

        settings.pop("cache_format", None)
        return build_music_corpus(**settings, cache_path=corpus_cache, processes=processes)
    raise ValueError("this checkpoint was trained on imported data: pass it with --data.")


def run_evaluate(args: argparse.Namespace) -> dict:
    from modeling.checkpoint_io import load_model, update_checkpoint_metrics
    from modeling.chronology.data import load_data
    from modeling.chronology.evaluate import evaluate_model, markdown_table, model_embeddings

    model, checkpoint = load_model(args.checkpoint, expected_kind="chronology")
    data = (
        load_data(args.data)
        if args.data
        else data_of_checkpoint(
            checkpoint.data_description, corpus_cache=args.corpus_cache, processes=args.processes
        )
    )
    result = evaluate_model(
        model, data, split=args.split, k=args.k, permutations=args.permutations, seed=args.seed
    )
    if args.plot:
        from modeling.chronology.plot import pca_plot

        embeddings = model_embeddings(model, data)
        items = data.modalities()
        chosen = {m: items[m].in_split(args.split) for m in embeddings}
        result["plot"] = pca_plot(
            {m: embeddings[m][chosen[m]] for m in embeddings},
            {m: items[m].years[chosen[m]] for m in embeddings},
            args.plot,
            title=f"Chronological embedding, {args.split} split (PCA)",
        )
    if not args.json:
        print(markdown_table(result))
    if args.write:
        update_checkpoint_metrics(args.checkpoint, dict(checkpoint.metrics, held_out=result))
    return result


def run_corpus(args: argparse.Namespace) -> dict:
    from modeling.chronology.corpus import build_music_corpus

    data = build_music_corpus(
        max_works_per_source=args.max_works_per_source,
        seed=args.seed,
        cache_path=args.cache,
        processes=args.processes,
        progress=lambda done, total: (
            print(f"{done}/{total}", flush=True) if done % 50 == 0 else None
        ),
    )
    return {k: v for k, v in data.description.items() if k != "test_groups"}


def run_generated(args: argparse.Namespace) -> dict:
    from modeling.chronology.data import save_data
    from modeling.chronology.synthetic import planted_year_set

    data = planted_year_set(
        music_works=args.music_works,
        image_works=args.image_works,
        signal=args.signal,
        seed=args.seed,
    )
    save_data(data, args.out)
    counts = {m: items.counts() for m, items in data.modalities().items()}
    return {"out": str(args.out), "description": data.description, "counts": counts}


def run_features(args: argparse.Namespace) -> dict:
    from modeling.chronology import image_features, music_features

    suffix = args.path.suffix.lower()
    if suffix in (".mid", ".midi"):
        values, names = (
            music_features.midi_file_features(args.path),
            music_features.SCORE_FEATURE_NAMES,
        )
    elif suffix in (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif"):
        values, names = (
            music_features.audio_file_features(args.path),
            music_features.AUDIO_FEATURE_NAMES,
        )
    else:
        values = image_features.image_file_features(args.path)[None, :]
        names = image_features.IMAGE_FEATURE_NAMES
    return {
        "path": str(args.path),
        "names": list(names),
        "clips": [[round(float(v), 6) for v in row] for row in values],
    }


def main(argv: Sequence[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    run = {
        "train": run_train,
        "evaluate": run_evaluate,
        "corpus": run_corpus,
        "generated": run_generated,
        "features": run_features,
    }[args.command]
    result = run(args)
    print(json.dumps(result, indent=None if getattr(args, "json", False) else 2, default=str))
    return result
