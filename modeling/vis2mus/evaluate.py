"""Held-out measurements of a chord/texture VAE, and the measured equivariance.

``evaluate_model`` decodes held-out segments from their mean latents (greedy) and reports:

- texture reconstruction: ``onset_f1`` (F1 of the steps that hold at least one onset: the
  rhythm), ``note_f1`` (F1 of (step, pitch) onsets), ``pitch_accuracy`` (of the original notes
  on steps where the decoded music also has onsets, the share whose pitch is there) and
  ``duration_accuracy`` (of the notes found, the share with the right duration);
- chords (chord decoder from z_chd): root, quality and bass accuracy per beat with a chord;
- the swap test: segment A's z_chd with segment B's z_txt (B another held-out segment). The
  decoded chords (read from the notes by template matching, ``data.label_chords``) are compared
  with those read the same way from A and from B, and the decoded onset steps with A's and
  B's. Disentangled means: chords agree with A more than with B, rhythm with B more than A.

``equivariance_table`` steps a from -1 to 1 (9 values) on the feature map of each anchor and
measures note density, mean pitch, pitch range and pitch-class entropy of the decoded music;
per property, the share of anchors whose values follow a monotonically (|Spearman rho| >= 0.8,
with the increasing and decreasing shares apart) and the mean rho. Velocity is not modelled.
"""

from __future__ import annotations

import numpy as np

from modeling.vis2mus.data import SegmentSet, label_chords, quality_name
from modeling.vis2mus.generate import latents, reconstruct, transformed

MONOTONE_RHO = 0.8
EQUIVARIANCE_STRENGTHS = tuple(np.linspace(-1.0, 1.0, 9).round(3))
PROPERTIES = ("note_density", "mean_pitch", "pitch_range", "velocity", "pitch_class_entropy")


def _f1(hits: int, predicted: int, actual: int) -> float:
    return 2 * hits / (predicted + actual) if predicted + actual else 1.0


def texture_scores(decoded: np.ndarray, original: np.ndarray) -> dict[str, float]:
    """Onset F1, note F1, pitch and duration accuracy of decoded vs original rolls [N, 32, 128]."""
    dec_steps, ref_steps = decoded.any(-1), original.any(-1)
    step_hits = int((dec_steps & ref_steps).sum())
    dec_notes, ref_notes = decoded > 0, original > 0
    note_hits = dec_notes & ref_notes
    on_found_steps = ref_notes & dec_steps[..., None]
    return {
        "onset_f1": _f1(step_hits, int(dec_steps.sum()), int(ref_steps.sum())),
        "note_f1": _f1(int(note_hits.sum()), int(dec_notes.sum()), int(ref_notes.sum())),
        "pitch_accuracy": float(note_hits.sum() / max(int(on_found_steps.sum()), 1)),
        "duration_accuracy": float(
            (note_hits & (decoded == original)).sum() / max(int(note_hits.sum()), 1)
        ),
    }


def chord_scores(predicted_logits: np.ndarray, chords: np.ndarray) -> dict[str, float]:
    """Root, quality and bass accuracy of chord-decoder logits [N, 8, 36] on beats with a chord."""
    has_chord = chords[..., :12].any(-1)
    root = predicted_logits[..., :12].argmax(-1)
    bass = predicted_logits[..., 24:].argmax(-1)
    chroma = predicted_logits[..., 12:24] > 0
    true_root = chords[..., :12].argmax(-1)
    quality_hits = [
        quality_name(int(root[i, b]), chroma[i, b])
        == quality_name(int(true_root[i, b]), chords[i, b, 12:24])
        for i, b in zip(*np.nonzero(has_chord), strict=True)
    ]
    beats = max(int(has_chord.sum()), 1)
    return {
        "root_accuracy": float(((root == true_root) & has_chord).sum() / beats),
        "quality_accuracy": float(np.mean(quality_hits)) if quality_hits else 0.0,
        "bass_accuracy": float(((bass == chords[..., 24:].argmax(-1)) & has_chord).sum() / beats),
    }


def root_agreement(first: np.ndarray, second: np.ndarray) -> float:
    """Share of beats, sounding in both, where the template-read roots of two rolls agree."""
    a = np.stack([label_chords(r) for r in first])
    b = np.stack([label_chords(r) for r in second])
    both = a[..., :12].any(-1) & b[..., :12].any(-1)
    same = (a[..., :12].argmax(-1) == b[..., :12].argmax(-1)) & both
    return float(same.sum() / max(int(both.sum()), 1))


def rhythm_f1(first: np.ndarray, second: np.ndarray) -> float:
    """F1 of the onset steps of two sets of rolls."""
    a, b = first.any(-1), second.any(-1)
    return _f1(int((a & b).sum()), int(a.sum()), int(b.sum()))


def swap_scores(model, segments: SegmentSet, *, seed: int) -> dict[str, float]:
    """Decode z_chd of A with z_txt of B (B: a held-out segment of another work)."""
    rolls, chords = segments.rolls, segments.chords
    partner = _partners(segments.works or list(range(len(rolls))), seed=seed)
    z_chd, z_txt = latents(model, rolls, chords)
    swapped = model.decode(z_chd, z_txt[partner]).cpu().numpy()
    recon = model.decode(z_chd, z_txt).cpu().numpy()
    other = rolls[partner]
    return {
        "swap_chords_match_a": root_agreement(swapped, rolls),
        "swap_chords_match_b": root_agreement(swapped, other),
        "swap_rhythm_f1_b": rhythm_f1(swapped, other),
        "swap_rhythm_f1_a": rhythm_f1(swapped, rolls),
        "reconstruction_chords_match_a": root_agreement(recon, rolls),
        "a_b_chords_match": root_agreement(rolls, other),
        "a_b_rhythm_f1": rhythm_f1(rolls, other),
    }


def _partners(works: list, *, seed: int) -> np.ndarray:
    """For each segment, another segment of a different work (drawn with the seed)."""
    rng = np.random.default_rng(seed)
    works = np.asarray([str(w) for w in works])
    partner = rng.permutation(len(works))
    for i in np.flatnonzero(works[partner] == works):
        candidates = np.flatnonzero(works != works[i])
        if len(candidates):
            partner[i] = rng.choice(candidates)
    return partner


def evaluate_model(model, segments: SegmentSet, *, seed: int = 0) -> dict[str, float]:
    """Every held-out number of the model card (see the module docstring)."""
    import torch

    model.eval()
    rolls, chords = segments.rolls, segments.chords
    metrics = texture_scores(reconstruct(model, rolls, chords), rolls)
    with torch.no_grad():
        z_chd, _ = latents(model, rolls, chords)
        logits = model.decode_chords(z_chd).cpu().numpy()
    metrics.update(chord_scores(logits, chords))
    metrics.update(swap_scores(model, segments, seed=seed))
    metrics["segments"] = len(rolls)
    return metrics


# ----- equivariance ----------------------------------------------------------------------------
def music_properties(roll: np.ndarray) -> dict[str, float]:
    """Note density (onsets per segment), mean pitch, pitch range and pitch-class entropy
    (bits, of the onsets' pitch classes) of one roll; NaN where there are no notes."""
    steps, pitches = np.nonzero(roll)
    if len(pitches) == 0:
        return {
            "note_density": 0.0,
            "mean_pitch": np.nan,
            "pitch_range": np.nan,
            "pitch_class_entropy": np.nan,
        }
    counts = np.bincount(pitches % 12, minlength=12) / len(pitches)
    nonzero = counts[counts > 0]
    return {
        "note_density": float(len(pitches)),
        "mean_pitch": float(pitches.mean()),
        "pitch_range": float(pitches.max() - pitches.min()),
        "pitch_class_entropy": float(-(nonzero * np.log2(nonzero)).sum()),
    }


def spearman_rho(values: np.ndarray) -> float:
    """Spearman rho of values against their position (NaN if undefined, e.g. all equal)."""
    from scipy.stats import spearmanr

    values = np.asarray(values, dtype=float)
    if np.isnan(values).any() or np.all(values == values[0]):
        return float("nan")
    return float(spearmanr(np.arange(len(values)), values).statistic)


def equivariance_table(
    model, segments: SegmentSet, *, anchors: int = 50, seed: int = 0
) -> list[dict]:
    """One row per (transformation, property): share of anchors monotone in a, mean rho."""
    rows = np.random.default_rng(seed).choice(
        len(segments), size=min(anchors, len(segments)), replace=False
    )
    table = []
    for name in ("brightness", "contrast"):
        decoded = transformed(
            model,
            segments.rolls[rows],
            segments.chords[rows],
            name=name,
            strengths=EQUIVARIANCE_STRENGTHS,
        )
        series = [[music_properties(roll) for roll in anchor] for anchor in decoded]
        for prop in PROPERTIES:
            table.append(_equivariance_row(name, prop, series, anchors=len(rows)))
    return table


def _equivariance_row(name: str, prop: str, series: list, *, anchors: int) -> dict:
    row = {"transform": name, "property": prop, "anchors": anchors}
    if prop == "velocity":
        return dict(
            row,
            share_monotone=None,
            mean_rho=None,
            note="not modelled: the texture roll holds no velocity",
        )
    rhos = np.array([spearman_rho([step[prop] for step in anchor]) for anchor in series])
    defined = rhos[~np.isnan(rhos)]
    return dict(
        row,
        share_monotone=float((np.abs(defined) >= MONOTONE_RHO).sum() / anchors),
        share_increasing=float((defined >= MONOTONE_RHO).sum() / anchors),
        share_decreasing=float((defined <= -MONOTONE_RHO).sum() / anchors),
        mean_rho=float(defined.mean()) if len(defined) else None,
        undefined=int(np.isnan(rhos).sum()),
    )


def markdown_table(metrics: dict) -> str:
    lines = ["| metric | value |", "|---|---|"]
    lines += [
        f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |"
        for k, v in metrics.items()
    ]
    return "\n".join(lines)


def equivariance_markdown(table: list[dict]) -> str:
    lines = [
        "| transform | property | share monotone (up / down) | mean rho |",
        "|---|---|---|---|",
    ]
    for row in table:
        if row["share_monotone"] is None:
            lines.append(f"| {row['transform']} | {row['property']} | {row['note']} | - |")
            continue
        rho = "-" if row["mean_rho"] is None else f"{row['mean_rho']:+.2f}"
        lines.append(
            f"| {row['transform']} | {row['property']} | {row['share_monotone']:.2f} "
            f"({row['share_increasing']:.2f} / {row['share_decreasing']:.2f}) | {rho} |"
        )
    return "\n".join(lines)
