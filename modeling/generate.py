"""Stimuli from a trained SynVAE: images -> melodies -> MIDI and audio (no Django here).

The selection follows the paper: in the visual latent space, the classes whose centroids lie
farthest apart, and in each the images nearest the centroid. Each chosen image is translated to
a melody by the SynVAE (argmax decoding of its mean latent, so the same image always gives the
same melody), rendered with the bundled soundfont and loudness-normalised.
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
    audio_ogg: bytes
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
    """(Ogg Vorbis audio, MIDI file) of a 2-bar melody."""
    from modeling.data.melody import melody_to_midi
    from modeling.render import normalise_loudness, synthesize, write_audio

    tempo_bpm, tail_s = 120.0, 0.3
    midi = melody_to_midi(tokens, tempo_bpm=tempo_bpm)
    audio = synthesize(midi, sample_rate=sample_rate, tail_s=tail_s)
    # Every clip lasts the full two bars, however early its last note ends.
    two_bars = int((2 * 4 * 60 / tempo_bpm + tail_s) * sample_rate)
    audio = normalise_loudness(np.pad(audio, (0, max(0, two_bars - len(audio)))))
    with tempfile.TemporaryDirectory() as folder:
        ogg, mid = Path(folder) / "clip.ogg", Path(folder) / "clip.mid"
        write_audio(audio, ogg, sample_rate=sample_rate, format="ogg")
        midi.write(str(mid))
        return ogg.read_bytes(), mid.read_bytes()


def synvae_pairs(
    *,
    checkpoint: Path | str,
    dataset: str = "digits",
    seed: int = 0,
    n_classes: int = 3,
    per_class: int = 10,
    method: str = "centroids",
) -> GeneratedSet:
    """The selected images of the dataset's test split, each with the melody the SynVAE makes."""
    import torch

    from modeling.checkpoints import file_sha256, load_model
    from modeling.selection import select_stimuli
    from modeling.train import load_image_set

    model, saved = load_model(checkpoint, expected_kind="synvae")
    images = load_image_set(dataset, seed=seed)
    pixels = torch.as_tensor(images.test_x, dtype=torch.float32)
    with torch.no_grad():
        latents = model.encode_visual(pixels)[0].numpy()
    selection = select_stimuli(
        latents, images.test_y, n_classes=n_classes, method=method, seed=seed
    )
    order = [index for label in selection.classes for index in selection.nearest[label]]
    with torch.no_grad():
        tokens = model.image_to_melody(pixels[order]).tolist()
    melodies = dict(zip(order, tokens, strict=True))
    chosen, skipped = {}, 0
    for label in selection.classes:
        # An image whose melody has no notes cannot be a clip: the next nearest one stands in.
        sounding = [i for i in selection.nearest[label] if has_notes(melodies[i])]
        skipped += len(selection.nearest[label][:per_class]) - len(
            [i for i in selection.nearest[label][:per_class] if has_notes(melodies[i])]
        )
        if len(sounding) < per_class:
            raise ValueError(
                f"only {len(sounding)} images of class {label} give a melody with notes; "
                f"{per_class} are needed"
            )
        chosen[label] = sounding[:per_class]
    pairs = {}
    for label in selection.classes:
        name = images.classes[int(label)] if method == "centroids" else f"cluster {label}"
        pairs[name] = [
            GeneratedPair(
                name, rank, image_png(images.test_x[i]), *melody_audio(melodies[i]), melodies[i]
            )
            for rank, i in enumerate(chosen[label])
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
    return GeneratedSet(classes=list(pairs), pairs=pairs, description=description)
