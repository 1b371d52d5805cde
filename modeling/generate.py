"""Stimuli from a trained SynVAE: images -> melodies -> MIDI and audio (no Django here).

The selection follows the paper: in the visual latent space, the classes whose centroids lie
farthest apart, and in each the images nearest the centroid. Each chosen image is translated to
a melody by the SynVAE (argmax decoding of its mean latent, so the same image always gives the
same melody), rendered with the bundled soundfont and loudness-normalised.

Two stages, so each can run where it is cheap: `synvae_melodies` uses the model (the `gpu`
queue), `render_pairs` synthesises and encodes audio (the `cpu` queue).
"""

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


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


def image_png(pixels: np.ndarray, *, scale: int = 4) -> bytes:
    """[C, H, W] in [0, 1] -> PNG (dark ink on white for one channel), enlarged `scale` times."""
    from PIL import Image

    array = np.clip(pixels, 0, 1)
    if array.shape[0] == 1:
        picture = Image.fromarray((255 - array[0] * 255).astype("uint8"), mode="L")
    else:
        picture = Image.fromarray(
            (np.transpose(array, (1, 2, 0)) * 255).astype("uint8"), mode="RGB"
        )
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def has_notes(tokens: list[int]) -> bool:
    from modeling.data.melody import NOTE_OFF

    return any(token > NOTE_OFF for token in tokens)


def melody_audio(tokens: list[int], *, sample_rate: int = 22050) -> tuple[bytes, bytes]:
    """(FLAC audio, MIDI file) of a 2-bar melody."""
    from modeling.data.melody import melody_to_midi
    from modeling.render import normalise_loudness, synthesize, write_audio

    tempo_bpm, tail_s = 120.0, 0.3
    midi = melody_to_midi(tokens, tempo_bpm=tempo_bpm)
    audio = synthesize(midi, sample_rate=sample_rate, tail_s=tail_s)
    # Every clip lasts the full two bars, however early its last note ends.
    two_bars = int((2 * 4 * 60 / tempo_bpm + tail_s) * sample_rate)
    audio = normalise_loudness(np.pad(audio, (0, max(0, two_bars - len(audio)))))
    with tempfile.TemporaryDirectory() as folder:
        flac, mid = Path(folder) / "clip.flac", Path(folder) / "clip.mid"
        write_audio(audio, flac, sample_rate=sample_rate, format="flac")
        midi.write(str(mid))
        return flac.read_bytes(), mid.read_bytes()


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

    from modeling.checkpoints import file_sha256, load_model
    from modeling.selection import select_stimuli
    from modeling.train import default_device, load_image_set

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
    from modeling.train import load_image_set

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


def synvae_pairs(**options) -> GeneratedSet:
    """Both stages in one call: the selected images, each with the melody the SynVAE makes."""
    return render_pairs(synvae_melodies(**options))
