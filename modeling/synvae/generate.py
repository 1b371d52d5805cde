"""Stimuli from a trained SynVAE: images -> melodies -> MIDI and audio (no Django here).

The selection follows the paper: in the visual latent space, the classes whose centroids lie
farthest apart, and in each the images nearest the centroid. Each chosen image is translated to
a melody by the SynVAE (argmax decoding of its mean latent, so the same image always gives the
same melody), rendered with the bundled soundfont and loudness-normalised.

Two stages, so each can run where it is cheap: `synvae_melodies` uses the model (the `gpu`
queue), `render_pairs` synthesises and encodes audio (the `cpu` queue). Inference only: nothing
here imports the training loop, training or evaluation code.
"""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GeneratedPair:
    class_label: str
    rank: int  # 0 = nearest its class centroid
    image_png: bytes
    audio_flac: bytes  # lossless: the platform encodes what participants hear
    midi: bytes
    tokens: list[int]


@dataclass
class GeneratedSet:
    classes: list[str]
    pairs: dict[str, list[GeneratedPair]]  # class -> pairs, nearest the centroid first
    description: dict = field(default_factory=dict)


def has_notes(tokens: list[int]) -> bool:
    from modeling.data.melody import NOTE_OFF

    return any(token > NOTE_OFF for token in tokens)


@dataclass
class MelodyPlan:
    """What the model decided (first stage, GPU): per class, the chosen test images and melodies.

    Plain JSON values only (`to_dict` / `from_dict`), so it can travel between workers.
    """

    dataset: str
    seed: int
    classes: dict[str, list[dict]]  # class name -> [{"index", "rank", "tokens"}], nearest first
    description: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "seed": self.seed,
            "classes": self.classes,
            "description": self.description,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "MelodyPlan":
        return cls(data["dataset"], data["seed"], data["classes"], data.get("description", {}))


def synvae_melodies(
    *,
    checkpoint: Path | str,
    dataset: str = "digits",
    seed: int = 0,
    n_classes: int = 3,
    per_class: int = 10,
    method: str = "centroids",
    device: str | None = None,
) -> MelodyPlan:
    """Select test images as the paper does and translate each to a melody (uses the model)."""
    import torch

    from modeling.checkpoint_io import file_sha256, load_model
    from modeling.data.images import load_image_set
    from modeling.device import default_device
    from modeling.synvae.selection import select_stimuli

    device = device or default_device()
    model, saved = load_model(checkpoint, expected_kind="synvae", device=device)
    images = load_image_set(dataset, seed=seed)
    pixels = torch.as_tensor(images.test_x, dtype=torch.float32).to(device)
    with torch.no_grad():
        latents = model.encode_visual(pixels)[0].cpu().numpy()
    selection = select_stimuli(
        latents, images.test_y, n_classes=n_classes, method=method, seed=seed
    )
    order = [index for label in selection.classes for index in selection.nearest[label]]
    with torch.no_grad():
        tokens = model.image_to_melody(pixels[order]).cpu().tolist()
    melodies = dict(zip(order, tokens, strict=True))
    classes, skipped = {}, 0
    for label in selection.classes:
        sounding, label_skipped = sounding_images(selection.nearest[label], melodies, per_class)
        skipped += label_skipped
        if len(sounding) < per_class:
            raise ValueError(
                f"only {len(sounding)} images of class {label} give a melody with notes; "
                f"{per_class} are needed"
            )
        name = images.classes[int(label)] if method == "centroids" else f"cluster {label}"
        classes[name] = [
            {"index": int(i), "rank": rank, "tokens": melodies[i]}
            for rank, i in enumerate(sounding[:per_class])
        ]
    description = {
        "checkpoint": str(checkpoint),
        "checkpoint_sha256": file_sha256(checkpoint),
        "model_config": saved.config,
        "dataset": dataset,
        "images": images.description,
        "selection": method,
        "centroid_distance_sum": selection.centroid_distance_sum,
        "seed": seed,
        "silent_melodies_skipped": skipped,
    }
    return MelodyPlan(dataset=dataset, seed=seed, classes=classes, description=description)


def sounding_images(nearest: list[int], melodies: dict, per_class: int) -> tuple[list[int], int]:
    """Images whose melody has notes, nearest first, and how many of the first `per_class` had
    none (an image whose melody has no notes cannot be a clip: the next nearest stands in)."""
    sounding = [i for i in nearest if has_notes(melodies[i])]
    silent_in_first = sum(1 for i in nearest[:per_class] if not has_notes(melodies[i]))
    return sounding, silent_in_first


def render_pairs(plan: MelodyPlan) -> GeneratedSet:
    """Second stage (CPU): each planned image as a PNG and its melody as audio and MIDI."""
    from modeling.data.images import load_image_set
    from modeling.render import image_png, melody_audio

    images = load_image_set(plan.dataset, seed=plan.seed)
    pairs = {
        name: [
            GeneratedPair(
                name,
                chosen["rank"],
                image_png(images.test_x[chosen["index"]]),
                *melody_audio(chosen["tokens"]),
                chosen["tokens"],
            )
            for chosen in planned
        ]
        for name, planned in plan.classes.items()
    }
    return GeneratedSet(classes=list(pairs), pairs=pairs, description=plan.description)


def write_pairs(generated: GeneratedSet, out_dir: Path | str) -> list[Path]:
    """Each pair as ``<class>_<rank>.png / .flac / .mid`` in ``out_dir``; the written paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for pairs in generated.pairs.values():
        for pair in pairs:
            stem = f"{pair.class_label.replace(' ', '_')}_{pair.rank:02d}"
            files = {".png": pair.image_png, ".flac": pair.audio_flac, ".mid": pair.midi}
            for suffix, data in files.items():
                path = out_dir / f"{stem}{suffix}"
                path.write_bytes(data)
                written.append(path)
    return written
