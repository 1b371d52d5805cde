"""The command line of the SynVAE family: ``python -m modeling.synvae train|evaluate|generate``.

    python -m modeling.synvae train musicvae --preset cpu_demo --out var/runs/musicvae.pt
    python -m modeling.synvae train synvae --musicvae-ckpt m.pt --dataset digits --beta 0.5 \\
        --out s.pt
    python -m modeling.synvae train beta-grid --musicvae-ckpt m.pt --betas 0.1 0.5 1 2 --out-dir d
    python -m modeling.synvae evaluate --synvae-ckpt s.pt --visvae-ckpt s.visvae.pt --write
    python -m modeling.synvae generate --checkpoint s.pt --dataset digits --out-dir stimuli
    python -m modeling.synvae reconstruct --checkpoint s.pt --images in.npy --out out.npz

``--threads N`` (before the subcommand) sets torch's CPU threads. Each subcommand imports only
what it runs: ``generate`` never loads training code.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from modeling.data.images import NAMED_SETS
from modeling.synvae.presets import MUSICVAE_TRAINING, SYNVAE_TRAINING


def _print_progress(record: dict) -> None:
    keys = ("phase", "step", "total_steps", "elapsed_s", "train_loss", "train_mse", "train_kl")
    keys += ("train_accuracy", "train_distinct_melodies", "val_loss", "val_accuracy")
    keys += ("val_distinct_melodies",)
    print(json.dumps({k: record[k] for k in keys if k in record}), flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modeling.synvae", description="Train, evaluate and run the SynVAE family."
    )
    parser.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's)")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_train_parser(commands)
    _add_evaluate_parser(commands)
    _add_generate_parser(commands)
    _add_reconstruct_parser(commands)
    return parser


def _add_train_parser(commands) -> None:
    models = commands.add_parser("train", help="train a MusicVAE, a SynVAE or a beta grid")
    models = models.add_subparsers(dest="model", required=True)
    music = models.add_parser("musicvae", help="train a 2-bar melody MusicVAE")
    music.add_argument("--preset", default="cpu_demo", choices=sorted(MUSICVAE_TRAINING))
    music.add_argument("--out", required=True, type=Path)
    music.add_argument("--seed", type=int, default=0)
    music.add_argument("--steps", type=int)
    music.add_argument("--batch-size", type=int)
    music.add_argument("--time-limit-s", type=float)
    music.add_argument("--max-works", type=int)
    music.add_argument("--corpus-cache", type=Path)
    music.add_argument("--resume", action="store_true")
    for name in ("synvae", "beta-grid"):
        sub = models.add_parser(
            name, help=f"train {'a SynVAE' if name == 'synvae' else 'SynVAEs over betas'}"
        )
        sub.add_argument("--musicvae-ckpt", required=True, type=Path)
        sub.add_argument("--dataset", default="digits", choices=NAMED_SETS)
        sub.add_argument("--preset", default="cpu_demo", choices=sorted(SYNVAE_TRAINING))
        sub.add_argument("--seed", type=int, default=0)
        sub.add_argument("--mnist-limit", type=int)
        if name == "synvae":
            _add_synvae_options(sub)
        else:
            sub.add_argument("--betas", type=float, nargs="+", default=[0.1, 0.5, 1.0, 2.0])
            sub.add_argument("--out-dir", required=True, type=Path)


def _add_synvae_options(sub) -> None:
    sub.add_argument("--beta", type=float, default=0.5)
    sub.add_argument("--relaxation", default="straight_through")
    sub.add_argument("--kl-warmup-steps", type=int, default=0)
    sub.add_argument(
        "--no-sample-latents",
        dest="sample_latents",
        action="store_false",
        help="the deterministic variant (not the paper's): train on mu_v and mu_a instead of "
        "sampling z_v and z_a (the default, as in the paper)",
    )
    sub.add_argument("--visvae-ckpt", type=Path, help="reuse a trained VisVAE baseline")
    sub.add_argument("--learning-rate", type=float, help="SynVAE phase learning rate")
    sub.add_argument("--temperature", type=float, default=1.0, help="relaxation softmax")
    sub.add_argument("--synvae-epochs", type=int)
    sub.add_argument(
        "--no-feedback-gradient",
        dest="feedback_gradient",
        action="store_false",
        help="no gradient through the melody steps the decoder feeds back to itself",
    )
    sub.add_argument("--time-limit-s", type=float, help="SynVAE phase time limit")
    sub.add_argument("--out", required=True, type=Path)


def _add_evaluate_parser(commands) -> None:
    sub = commands.add_parser(
        "evaluate",
        help="measure trained SynVAE and VisVAE checkpoints again (new classifiers), or a "
        "MusicVAE on its held-out works",
    )
    sub.add_argument("--synvae-ckpt", type=Path)
    sub.add_argument("--visvae-ckpt", type=Path)
    sub.add_argument(
        "--musicvae-ckpt", type=Path, help="evaluate this MusicVAE instead (held-out works)"
    )
    sub.add_argument("--dataset", default="digits", choices=NAMED_SETS)
    sub.add_argument("--preset", default="cpu_demo", choices=sorted(SYNVAE_TRAINING))
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--mnist-limit", type=int)
    sub.add_argument("--classifier-epochs", type=int, help="default: the preset's")
    sub.add_argument(
        "--more-classifier-seeds",
        type=int,
        nargs="*",
        default=[],
        help="train one more classifier per seed: accuracy through music from each",
    )
    sub.add_argument(
        "--corpus-cache",
        type=Path,
        help="the melody corpus (.npz) to hold the melodies against (a MusicVAE's own corpus "
        "is rebuilt from its stored settings when the cache does not match)",
    )
    sub.add_argument(
        "--write", action="store_true", help="store the new metrics in the checkpoint files"
    )


def _add_generate_parser(commands) -> None:
    sub = commands.add_parser(
        "generate", help="select test images and write each with its melody (PNG, FLAC, MIDI)"
    )
    sub.add_argument("--checkpoint", required=True, type=Path, help="a SynVAE checkpoint")
    sub.add_argument("--dataset", default="digits", choices=NAMED_SETS)
    sub.add_argument("--seed", type=int, default=0)
    sub.add_argument("--n-classes", type=int, default=3)
    sub.add_argument("--per-class", type=int, default=10)
    sub.add_argument("--method", default="centroids", choices=("centroids", "kmeans"))
    sub.add_argument("--out-dir", required=True, type=Path)


def _add_reconstruct_parser(commands) -> None:
    sub = commands.add_parser(
        "reconstruct",
        help="images (.npy, N x 1 x 28 x 28 in [0, 1]) -> melodies and images through music (.npz)",
        description="Writes `recon` (the images decoded from their melodies) and `tokens` "
        "(N x 32: 0 hold, 1 note off, 2..89 MIDI pitch 21..108), melodies decoded by argmax.",
    )
    sub.add_argument("--checkpoint", required=True, type=Path, help="a SynVAE checkpoint")
    sub.add_argument("--images", required=True, type=Path, help="a .npy array of images")
    sub.add_argument("--out", required=True, type=Path, help="the .npz file to write")


def run_reconstruct(args: argparse.Namespace) -> dict:
    from modeling.synvae.reconstruct import reconstruct_file

    return reconstruct_file(checkpoint=args.checkpoint, images=args.images, out=args.out)


def run_train(args: argparse.Namespace) -> dict | list:
    from modeling.synvae import train
    from modeling.synvae.evaluate import markdown_table

    if args.model == "musicvae":
        return train.train_musicvae(
            out=args.out,
            preset=args.preset,
            seed=args.seed,
            steps=args.steps,
            batch_size=args.batch_size,
            time_limit_s=args.time_limit_s,
            max_works=args.max_works,
            corpus_cache=args.corpus_cache,
            resume=args.resume,
            on_progress=_print_progress,
        )
    if args.model == "synvae":
        return train.train_synvae(
            musicvae_ckpt=args.musicvae_ckpt,
            out=args.out,
            dataset=args.dataset,
            beta=args.beta,
            preset=args.preset,
            seed=args.seed,
            relaxation=args.relaxation,
            kl_warmup_steps=args.kl_warmup_steps,
            sample_latents=args.sample_latents,
            visvae_ckpt=args.visvae_ckpt,
            learning_rate=args.learning_rate,
            temperature=args.temperature,
            feedback_gradient=args.feedback_gradient,
            synvae_epochs=args.synvae_epochs,
            time_limit_s=args.time_limit_s,
            mnist_limit=args.mnist_limit,
            on_progress=_print_progress,
        )
    rows = train.beta_grid(
        musicvae_ckpt=args.musicvae_ckpt,
        out_dir=args.out_dir,
        betas=args.betas,
        dataset=args.dataset,
        preset=args.preset,
        seed=args.seed,
        on_progress=_print_progress,
    )
    print(markdown_table(rows))
    return rows


def run_evaluate(args: argparse.Namespace) -> dict:
    if args.musicvae_ckpt is not None:
        from modeling.synvae.evaluate_music import evaluate_musicvae_checkpoint

        return evaluate_musicvae_checkpoint(
            checkpoint=args.musicvae_ckpt, corpus_cache=args.corpus_cache, write=args.write
        )
    if args.synvae_ckpt is None or args.visvae_ckpt is None:
        raise EvaluateArgumentsError(
            "evaluate needs --synvae-ckpt and --visvae-ckpt, or --musicvae-ckpt"
        )
    from modeling.synvae import evaluate

    result = evaluate.evaluate_checkpoints(
        synvae_ckpt=args.synvae_ckpt,
        visvae_ckpt=args.visvae_ckpt,
        dataset=args.dataset,
        preset=args.preset,
        seed=args.seed,
        classifier_epochs=args.classifier_epochs,
        more_classifier_seeds=args.more_classifier_seeds,
        corpus_cache=args.corpus_cache,
        mnist_limit=args.mnist_limit,
        write=args.write,
        on_progress=_print_progress,
    )
    print(evaluate.markdown_table(evaluate.metric_rows(result["metrics"])))
    return result


class EvaluateArgumentsError(ValueError):
    """Neither a SynVAE pair nor a MusicVAE was named."""


def run_generate(args: argparse.Namespace) -> dict:
    from modeling.synvae.generate import render_pairs, synvae_melodies, write_pairs

    plan = synvae_melodies(
        checkpoint=args.checkpoint,
        dataset=args.dataset,
        seed=args.seed,
        n_classes=args.n_classes,
        per_class=args.per_class,
        method=args.method,
    )
    written = write_pairs(render_pairs(plan), args.out_dir)
    (args.out_dir / "plan.json").write_text(json.dumps(plan.to_dict(), indent=2))
    return {"kind": "generation", "out_dir": str(args.out_dir), "files": len(written) + 1}


def main(argv: Sequence[str] | None = None) -> dict | list:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    run = {
        "train": run_train,
        "evaluate": run_evaluate,
        "generate": run_generate,
        "reconstruct": run_reconstruct,
    }[args.command]
    from modeling.synvae.reconstruct import ReconstructInputError

    try:
        result = run(args)
    except (
        ReconstructInputError,
        EvaluateArgumentsError,
    ) as error:  # the user's files: one sentence, no traceback
        parser.exit(2, f"error: {error}\n")
    print(json.dumps(result, indent=2, default=str))
    return result
