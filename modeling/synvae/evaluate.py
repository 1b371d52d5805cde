"""Table-1 evaluation of the SynVAE family: the VisVAE baseline and the SynVAE on the test split.

The reconstruction-classification accuracy needs a classifier trained on real images, so
evaluation trains one (``train_classifier``, with the shared loop). ``evaluate_checkpoints``
measures committed checkpoints again (``python -m modeling.synvae evaluate``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from modeling import metrics as m
from modeling.checkpoint_io import (
    Checkpoint,
    CheckpointError,
    load_model,
    update_checkpoint_metrics,
)
from modeling.data.images import load_image_set
from modeling.device import default_device
from modeling.gaussian import gaussian_kl
from modeling.loop import ProgressFn, TrainConfig, TrainData, TrainResult, train, with_phase
from modeling.synvae.classifier import ClassifierConfig, ImageClassifier, classifier_step_loss
from modeling.synvae.melody_stats import against_corpus, melody_statistics
from modeling.synvae.presets import SynVAETraining, synvae_plan

# Table 1 of Müller-Eberstein & van Noord (MNIST test set).
PAPER_MNIST = {
    "visvae": {"mse": 16.43, "kl": 24.38, "p_at_10": 0.31, "accuracy": 0.99},
    "synvae": {"mse": 36.66, "kl": 15.63, "p_at_10": 0.28, "accuracy": 0.96, "mi_nats": 5.03},
}
TABLE_METRICS = ("mse", "kl", "p_at_10", "accuracy", "mi_nats", "mi_nwj_sampled_nats")
MI_ESTIMATORS = {
    "mi_nats": "Donsker-Varadhan (MINE) bound on (mu_v, mu_a), critic MLP, shuffled marginals, "
    "fit/select/held-out 50/25/25, read on held-out pairs",
    "mi_nwj_sampled_nats": "NWJ bound on sampled (z_v, z_a) (z_v ~ q(z_v|x), argmax melody, "
    "z_a ~ q(z_a|melody)), marginals from 16 cyclic shifts, fit/select/held-out 50/25/25, "
    "read on held-out pairs",
}


def image_architecture(images) -> str:
    """The VisVAE / classifier architecture an ``ImageSet``'s images need."""
    return "28x28x1" if images.image_shape[-1] == 28 else "64x64x3"


def train_classifier(
    images,
    *,
    plan: SynVAETraining,
    seed: int = 0,
    device: str = "cpu",
    epochs: int | None = None,
    description: dict | None = None,
    on_progress: ProgressFn | None = None,
) -> tuple[nn.Module, TrainResult]:
    """The evaluator of the accuracy metric: trained on the real train images of an ``ImageSet``.

    Validation accuracy is read after every epoch and the classifier ends with the weights of
    the best one (the earliest on a tie); the test images are never seen.
    """
    epochs = epochs or plan.classifier_epochs
    train_xy = (torch.as_tensor(images.train_x), torch.as_tensor(images.train_y))
    val_xy = (torch.as_tensor(images.val_x), torch.as_tensor(images.val_y))
    per_epoch = math.ceil(len(train_xy[0]) / plan.batch_size)
    config = TrainConfig(
        epochs=epochs,
        batch_size=plan.batch_size,
        learning_rate=plan.learning_rate,
        seed=seed,
        device=device,
        log_every=per_epoch,
        eval_every=per_epoch,
        checkpoint_every=10**9,
        keep_best=True,
        best_metric="accuracy",
        best_maximize=True,
    )
    torch.manual_seed(seed)
    classifier = ImageClassifier(
        ClassifierConfig(
            architecture=image_architecture(images),
            num_classes=len(images.classes),
            width=plan.width,
        )
    )
    data = TrainData(train=train_xy, val=val_xy, description=dict(description or {}))
    result = train(classifier, classifier_step_loss, data, config=config, on_progress=on_progress)
    result.metrics["epochs"] = epochs
    result.metrics["best_epoch"] = result.metrics["best_step"] / per_epoch
    return classifier, result


@torch.no_grad()
def _in_batches(
    function: Callable[[Tensor], dict], images: Tensor, *, batch_size: int = 256
) -> dict:
    parts = [function(images[i : i + batch_size]) for i in range(0, len(images), batch_size)]
    return {name: torch.cat([part[name] for part in parts]) for name in parts[0]}


def _mean_kl(mu: Tensor, logvar: Tensor) -> float:
    return float(gaussian_kl(mu.float(), logvar=logvar.float()).mean())


def accuracy_by_seed(classifiers: Mapping[int, nn.Module], images: Tensor, labels: Tensor) -> dict:
    """Accuracy of each classifier (keyed by its training seed, as a string) on ``images``."""
    return {
        str(seed): m.accuracy(m.predict_labels(classifier.cpu(), images), labels)
        for seed, classifier in classifiers.items()
    }


@torch.no_grad()
def sampled_latent_pairs(model: nn.Module, images: Tensor, *, seed: int) -> tuple[Tensor, Tensor]:
    """(z_v, z_a) along the paper's stochastic path: z_v ~ q(z_v|x), its argmax melody,
    z_a ~ q(z_a|melody). The noise is seeded; batches of 256."""
    model.eval()
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    z_v_parts, z_a_parts = [], []
    for start in range(0, len(images), 256):
        mu_v, logvar_v = model.encode_visual(images[start : start + 256].to(device))
        noise_v = torch.randn(mu_v.shape, generator=generator).to(device)
        z_v = mu_v + torch.exp(0.5 * logvar_v) * noise_v
        tokens = model.music.decode(z_v, sample=False).tokens
        mu_a, sigma_a = model.music.encode(tokens)
        z_a = mu_a + sigma_a * torch.randn(mu_a.shape, generator=generator).to(device)
        z_v_parts.append(z_v.cpu())
        z_a_parts.append(z_a.cpu())
    return torch.cat(z_v_parts), torch.cat(z_a_parts)


def evaluate_visvae(
    model: nn.Module,
    images: Tensor,
    labels: Tensor,
    *,
    classifier: nn.Module,
    more_classifiers: Mapping[int, nn.Module] | None = None,
) -> dict:
    """MSE, KL, Precision@10 (on mu) and reconstruction-classification accuracy of a VisVAE
    (``accuracy`` by ``classifier``; by each of ``more_classifiers`` too, keyed by seed)."""
    model.eval()
    device = next(model.parameters()).device

    def run(batch: Tensor) -> dict:
        mu, logvar = model.encode(batch.to(device))
        return {"mu": mu.cpu(), "logvar": logvar.cpu(), "reconstruction": model.decode(mu).cpu()}

    out = _in_batches(run, images)
    predicted = m.predict_labels(classifier.cpu(), out["reconstruction"])
    return {
        "mse": m.summed_mse(out["reconstruction"], images),
        "kl": _mean_kl(out["mu"], out["logvar"]),
        "p_at_10": m.precision_at_k(out["mu"], labels, k=10),
        "accuracy": m.accuracy(predicted, labels),
        "accuracy_by_classifier_seed": accuracy_by_seed(
            more_classifiers or {}, out["reconstruction"], labels
        ),
    }


def evaluate_synvae(
    model: nn.Module,
    images: Tensor,
    labels: Tensor,
    *,
    classifier: nn.Module,
    mi_images: Tensor | None = None,
    mine_steps: int = 2000,
    seed: int = 0,
    more_classifiers: Mapping[int, nn.Module] | None = None,
) -> dict:
    """Table-1 metrics through the music a listener hears (argmax melodies, re-encoded).

    MSE and accuracy use images decoded from z_a; KL is the visual encoder's analytic KL, which
    is comparable with the paper's only when the posterior was sampled in training
    (``kl_comparable``); Precision@10 is reported on z_a (the music latent) and on z_v. Two MI
    estimators, both read on held-out pairs of ``mi_images`` (default: ``images``): ``mi_nats``,
    the Donsker-Varadhan (MINE) bound on the means (mu_v, mu_a), and ``mi_nwj_sampled_nats``, the
    paper's way: an NWJ bound with cyclic shifts on sampled (z_v, z_a). ``melodies`` describes
    the test melodies (``melody_stats``).
    """
    model.eval()
    device = next(model.parameters()).device

    def run(batch: Tensor) -> dict:
        out = model.translate(batch.to(device))
        return {name: value.cpu() for name, value in out.items()}

    out = _in_batches(run, images)
    predicted = m.predict_labels(classifier.cpu(), out["reconstruction"])
    mi_out = out if mi_images is None else _in_batches(run, mi_images)
    mi = m.mine_lower_bound(mi_out["mu_v"], mi_out["mu_a"], steps=mine_steps, seed=seed)
    z_v, z_a = sampled_latent_pairs(model, images if mi_images is None else mi_images, seed=seed)
    nwj = m.nwj_lower_bound(z_v, z_a, steps=mine_steps, seed=seed)
    return {
        "mse": m.summed_mse(out["reconstruction"], images),
        "kl": _mean_kl(out["mu_v"], out["logvar_v"]),
        "kl_comparable": bool(model.config.sample_z_v),
        "posterior_std_mean": float(torch.exp(0.5 * out["logvar_v"]).mean()),
        "p_at_10": m.precision_at_k(out["mu_a"], labels, k=10),
        "p_at_10_visual": m.precision_at_k(out["mu_v"], labels, k=10),
        "accuracy": m.accuracy(predicted, labels),
        "accuracy_by_classifier_seed": accuracy_by_seed(
            more_classifiers or {}, out["reconstruction"], labels
        ),
        "mi_nats": mi.nats,
        "mi_estimator": MI_ESTIMATORS["mi_nats"],
        "mi_pairs_heldout": mi.n_heldout,
        "mi_nwj_sampled_nats": nwj.nats,
        "mi_nwj_estimator": MI_ESTIMATORS["mi_nwj_sampled_nats"],
        "distinct_melodies": len({tuple(row.tolist()) for row in out["tokens"]}),
        "melody_decoding": "argmax from mu_v (image_to_melody; the stimuli's decoding)",
        "melodies": melody_statistics(out["tokens"]),
    }


def evaluate_test_split(
    visvae: nn.Module,
    synvae: nn.Module,
    images,
    *,
    classifier: nn.Module,
    classifier_result: TrainResult,
    plan: SynVAETraining,
    seed: int = 0,
    more_classifiers: Mapping[int, tuple[nn.Module, TrainResult]] | None = None,
    corpus_val=None,
) -> dict:
    """Both Table-1 rows on the test split (MI on val + test) and the classifier's own scores.

    ``more_classifiers`` (seed -> (classifier, result)) add a row each to
    ``accuracy_by_classifier``: real-test accuracy beside the accuracy through each model.
    With ``corpus_val`` (the music corpus's validation windows) the SynVAE's test melodies are
    held against the corpus's (``melodies_against_corpus``).
    """
    test_x, test_y = torch.as_tensor(images.test_x), torch.as_tensor(images.test_y)
    device = next(synvae.parameters()).device
    others = {s: c for s, (c, _) in (more_classifiers or {}).items()}
    visvae_row = evaluate_visvae(
        visvae.to(device), test_x, test_y, classifier=classifier, more_classifiers=others
    )
    synvae_row = evaluate_synvae(
        synvae,
        test_x,
        test_y,
        classifier=classifier,
        mi_images=torch.cat([torch.as_tensor(images.val_x), test_x]),
        mine_steps=plan.mine_steps,
        seed=seed,
        more_classifiers=others,
    )
    real_predictions = m.predict_labels(classifier.cpu(), test_x)
    rows = (visvae_row, synvae_row)
    metrics = {
        "visvae": visvae_row,
        "synvae": synvae_row,
        "classifier_real_accuracy": m.accuracy(real_predictions, test_y),
        "classifier_val": classifier_result.metrics,
        "accuracy_by_classifier": [
            classifier_row(
                seed,
                classifier,
                classifier_result,
                test_x,
                test_y,
                through=(visvae_row["accuracy"], synvae_row["accuracy"]),
            )
        ],
    }
    for other_seed, (other, result) in (more_classifiers or {}).items():
        through = tuple(row["accuracy_by_classifier_seed"][str(other_seed)] for row in rows)
        metrics["accuracy_by_classifier"].append(
            classifier_row(other_seed, other, result, test_x, test_y, through=through)
        )
    if corpus_val is not None:
        corpus = melody_statistics(corpus_val)
        metrics["corpus_val_melodies"] = corpus
        metrics["melodies_against_corpus"] = against_corpus(synvae_row["melodies"], corpus)
    return metrics


def classifier_row(seed, classifier, result, test_x, test_y, *, through: tuple) -> dict:
    """One classifier's real-test accuracy beside the accuracy it gives (VisVAE, SynVAE)."""
    return {
        "seed": seed,
        "best_epoch": result.metrics.get("best_epoch"),
        "val_accuracy": result.metrics.get("val_accuracy"),
        "real_test_accuracy": m.accuracy(m.predict_labels(classifier.cpu(), test_x), test_y),
        "visvae_accuracy": through[0],
        "synvae_accuracy": through[1],
    }


def train_classifiers(images, *, plan, seeds, device, epochs=None, on_progress=None) -> dict:
    """seed -> (classifier, result) for each seed (see ``train_classifier``)."""
    return {
        seed: train_classifier(
            images,
            plan=plan,
            seed=seed,
            device=device,
            epochs=epochs,
            on_progress=with_phase(on_progress, f"classifier seed {seed}"),
        )
        for seed in seeds
    }


def store_test_metrics(visvae_path: Path | str, synvae_path: Path | str, metrics: dict) -> None:
    """Write the metrics into the SynVAE checkpoint and the VisVAE row into the VisVAE's."""
    visvae_metrics = {
        "test": metrics["visvae"],
        "classifier_real_accuracy": metrics["classifier_real_accuracy"],
        "classifier_epochs": metrics["classifier_val"]["epochs"],
    }
    update_checkpoint_metrics(visvae_path, visvae_metrics)
    update_checkpoint_metrics(synvae_path, metrics, visvae_checkpoint=str(visvae_path))


def _check_same_images(checkpoint: Checkpoint, images) -> None:
    trained_on = checkpoint.data_description.get("images")
    if trained_on is not None and trained_on != dict(images.description):
        raise CheckpointError(
            f"{checkpoint.path} was trained on {trained_on}, not on {images.description}; "
            "pass the dataset and seed it was trained with"
        )


def evaluate_checkpoints(
    *,
    synvae_ckpt: Path | str,
    visvae_ckpt: Path | str,
    dataset: str = "digits",
    preset: str = "cpu_demo",
    seed: int = 0,
    classifier_epochs: int | None = None,
    more_classifier_seeds: Sequence[int] = (),
    corpus_cache: Path | str | None = None,
    mnist_limit: int | None = None,
    image_set=None,
    device: str | None = None,
    write: bool = False,
    on_progress: ProgressFn | None = None,
) -> dict:
    """Measure trained VisVAE and SynVAE checkpoints again, with a newly trained classifier.

    Rebuilds the data split, trains the classifier as ``train_synvae`` does (and one more per
    ``more_classifier_seeds``) and recomputes both metric rows; ``corpus_cache`` (a melody
    corpus ``.npz``) adds the corpus comparison of the melodies. With ``write=True`` the metrics
    replace those stored in both checkpoint files (the SynVAE's training metrics are kept).
    Returns a JSON-ready dict.
    """
    plan = synvae_plan(preset)
    device = device or default_device()
    images = (
        image_set
        if image_set is not None
        else load_image_set(dataset, seed=seed, limit=mnist_limit)
    )
    synvae, synvae_checkpoint = load_model(synvae_ckpt, expected_kind="synvae", device=device)
    visvae, visvae_checkpoint = load_model(visvae_ckpt, expected_kind="visvae", device=device)
    for checkpoint in (synvae_checkpoint, visvae_checkpoint):
        _check_same_images(checkpoint, images)
    classifier, clf = train_classifier(
        images,
        plan=plan,
        seed=seed,
        device=device,
        epochs=classifier_epochs,
        on_progress=with_phase(on_progress, "classifier"),
    )
    more = train_classifiers(
        images,
        plan=plan,
        seeds=[s for s in more_classifier_seeds if s != seed],
        device=device,
        epochs=classifier_epochs,
        on_progress=on_progress,
    )
    metrics = evaluate_test_split(
        visvae,
        synvae,
        images,
        classifier=classifier,
        classifier_result=clf,
        plan=plan,
        seed=seed,
        more_classifiers=more,
        corpus_val=_corpus_val(corpus_cache),
    )
    if "synvae_train" in synvae_checkpoint.metrics:
        metrics["synvae_train"] = synvae_checkpoint.metrics["synvae_train"]
    if write:
        store_test_metrics(visvae_ckpt, synvae_ckpt, metrics)
    return {
        "kind": "evaluation",
        "dataset": dataset,
        "preset": preset,
        "seed": seed,
        "synvae_checkpoint": str(synvae_ckpt),
        "visvae_checkpoint": str(visvae_ckpt),
        "written": write,
        "metrics": metrics,
        "paper_mnist": PAPER_MNIST,
    }


def _corpus_val(corpus_cache: Path | str | None):
    if corpus_cache is None:
        return None
    from modeling.data.corpus import load_corpus

    return load_corpus(Path(corpus_cache)).val


def metric_rows(metrics: dict) -> list[dict]:
    """One Table-1 row per model ("-" where a metric is not measured), for ``markdown_table``."""
    return [
        {"model": model, **{key: metrics[model].get(key, "-") for key in TABLE_METRICS}}
        for model in ("visvae", "synvae")
    ]


def markdown_table(rows: Sequence[dict]) -> str:
    """Rows of equal keys as a Markdown table (numbers to 3 significant decimals)."""
    if not rows:
        return ""
    header = list(rows[0])
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row.values()] for row in rows]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])
