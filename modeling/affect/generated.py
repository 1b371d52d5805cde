"""The generated affect set: synthesised clips and drawn pictures with planted emotion labels.

**What it is.** No emotion-labelled music or art exists offline, so tests and the demo use
this set. It is *not* emotion data: each class is a recipe, and the "emotion" is only the name
of the recipe. A model that scores well on it has learned the planted cues, nothing about how
people feel. Real results come from imported data (IMAC-style lists, BAM labels).

**The planted labels** (``PLANTED``): each item is one clip and one picture made together from
its class's cues; everything not listed varies at random within every class (key, exact tempo,
instrument, melody; hues, saturation, shape count, size, place and rotation).

| class | music: mode, tempo, register | picture: palette, brightness, shapes |
|---|---|---|
| positive | major, fast, high | warm, bright, smooth |
| neutral | major, slow, high | cool, bright, smooth |
| negative | minor, slow, low | cool, dark, jagged |

Every pair of classes differs in at least one cue the 193-d vector shows clearly (tempo or
register) and one a picture shows clearly (palette or brightness). Mode is planted too but is
nearly invisible in frame-averaged features when the key is random (a linear probe on the
vector reads it at chance), so no class pair rests on mode alone.

Items are split per class 70 / 10 / 20 (train / val / test, as the ACP-Net paper), seeded; the
clip and the picture of one item share its split, so the set is *paired* (row i of the pictures
and row i of the clips belong together), which Cluster-CCA's pairwise term uses.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from modeling.affect.features import FEATURE_DIM, music_features
from modeling.affect.generated_images import ImageCues, draw_image
from modeling.affect.generated_music import MusicCues, clip_audio, decode_audio
from modeling.data.images import stratified_split

CLASSES = ("positive", "neutral", "negative")
PLANTED: dict[str, tuple[MusicCues, ImageCues]] = {
    "positive": (MusicCues("major", "fast", "high"), ImageCues("warm", "bright", "smooth")),
    "neutral": (MusicCues("major", "slow", "high"), ImageCues("cool", "bright", "smooth")),
    "negative": (MusicCues("minor", "slow", "low"), ImageCues("cool", "dark", "jagged")),
}
SPLITS = ("train", "val", "test")
SPLIT_FRACTIONS = (0.7, 0.1, 0.2)
MIN_PER_CLASS = 6  # the fewest items per class that give every split an item (70/10/20)
SHUFFLE_SEED_OFFSET = 7919  # the shuffled-label control of a run with seed s permutes with s + this
WHAT_IT_IS = (
    "Generated affect set: synthesised clips (major/minor, fast/slow, high/low register) and "
    "drawn pictures (warm/cool, bright/dark, smooth/jagged) with planted class recipes; not "
    "emotion data."
)


@dataclass
class AffectSet:
    """Pictures and clip vectors with emotion labels and a split, as the affect models read them.

    ``images`` uint8 [N, H, W, 3]; ``music`` float32 [M, 193] (the ``features`` vector);
    labels int64 indices into ``classes``; splits int8 indices into ``SPLITS``. ``paired``
    says row i of the pictures and row i of the clips were made together (same class).
    """

    images: np.ndarray
    image_labels: np.ndarray
    image_split: np.ndarray
    music: np.ndarray
    music_labels: np.ndarray
    music_split: np.ndarray
    classes: tuple[str, ...] = CLASSES
    paired: bool = False
    item_seeds: np.ndarray | None = None
    description: dict = field(default_factory=dict)

    def images_of(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        rows = self.image_split == SPLITS.index(split)
        return self.images[rows], self.image_labels[rows]

    def music_of(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        rows = self.music_split == SPLITS.index(split)
        return self.music[rows], self.music_labels[rows]

    def pairs_of(self, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(images, clip vectors, labels) of the split's items; only for a paired set."""
        if not self.paired:
            raise ValueError("This affect set has no picture-clip pairs (it is not paired).")
        rows = self.image_split == SPLITS.index(split)
        return self.images[rows], self.music[rows], self.image_labels[rows]

    def with_shuffled_labels(self, *, seed: int) -> AffectSet:
        """The same set with labels permuted at random (a control: labels no longer follow the
        content). A paired set keeps each item's two labels equal."""
        rng = np.random.default_rng(seed)
        image_labels = self.image_labels[rng.permutation(len(self.image_labels))]
        music_labels = (
            image_labels.copy()
            if self.paired
            else self.music_labels[rng.permutation(len(self.music_labels))]
        )
        description = dict(
            self.description, labels=f"shuffled at random (seed {seed})", label_shuffle_seed=seed
        )
        return replace(
            self, image_labels=image_labels, music_labels=music_labels, description=description
        )


def generate_affect_set(
    *,
    per_class: int = 60,
    seed: int = 0,
    image_size: int = 32,
    cache_path: Path | str | None = None,
    on_item=None,
) -> AffectSet:
    """``per_class`` items of each class (one clip, one picture), split 70/10/20 with the seed.

    Rendering and the 193-d vector cost about 0.4 s per clip on one CPU thread. With
    ``cache_path`` the set is read from there when it was made with the same settings, and
    written there otherwise. ``on_item(done, total)`` is called after each item.
    """
    if per_class < MIN_PER_CLASS:
        raise ValueError(
            f"per_class must be at least {MIN_PER_CLASS}, so that every class has training, "
            "validation and test items."
        )
    settings = {"per_class": per_class, "seed": seed, "image_size": image_size, "version": 1}
    if cache_path is not None and Path(cache_path).exists():
        cached = load_affect_set(cache_path)
        if cached.description.get("settings") == settings:
            return cached
    labels = np.repeat(np.arange(len(CLASSES)), per_class)
    item_seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(labels))
    images, music = [], []
    for index, (label, item_seed) in enumerate(zip(labels, item_seeds, strict=True)):
        music_cues, image_cues = PLANTED[CLASSES[label]]
        images.append(draw_image(image_cues, seed=int(item_seed), size=image_size))
        audio_file, _ = clip_audio(music_cues, seed=int(item_seed))
        music.append(music_features(decode_audio(audio_file)))
        if on_item is not None:
            on_item(index + 1, len(labels))
    split = np.zeros(len(labels), dtype=np.int8)
    for code, rows in enumerate(stratified_split(labels, fractions=SPLIT_FRACTIONS, seed=seed)):
        split[rows] = code
    affect = AffectSet(
        images=np.stack(images),
        image_labels=labels,
        image_split=split,
        music=np.stack(music).astype(np.float32),
        music_labels=labels.copy(),
        music_split=split.copy(),
        paired=True,
        item_seeds=item_seeds,
        description=generated_description(settings),
    )
    if cache_path is not None:
        save_affect_set(affect, cache_path)
    return affect


def shuffled_control(affect: AffectSet, *, seed: int) -> AffectSet:
    """The shuffled-label control of a run with this seed."""
    return affect.with_shuffled_labels(seed=seed + SHUFFLE_SEED_OFFSET)


def rebuild_generated_set(description: dict, *, cache_path: Path | str | None = None) -> AffectSet:
    """The generated set (labels shuffled again if they were) a checkpoint's data description
    names; made again from its settings, or read from ``cache_path`` when that matches."""
    settings = description.get("settings")
    if description.get("source") != "generated" or not settings:
        raise ValueError("This model was not trained on the generated affect set.")
    affect = generate_affect_set(
        per_class=settings["per_class"],
        seed=settings["seed"],
        image_size=settings["image_size"],
        cache_path=cache_path,
    )
    if "label_shuffle_seed" in description:
        affect = affect.with_shuffled_labels(seed=description["label_shuffle_seed"])
    return affect


def generated_set_name(*, per_class: int, seed: int, image_size: int) -> str:
    """A cache file name that says which settings it holds."""
    return f"generated_{per_class}pc_seed{seed}_{image_size}px.npz"


def generated_description(settings: dict) -> dict:
    from modeling.render import synthesis_backend

    return {
        "source": "generated",
        "what": WHAT_IT_IS,
        "planted": {
            name: {"music": music.to_dict(), "image": image.to_dict()}
            for name, (music, image) in PLANTED.items()
        },
        "split": "per class 70/10/20 train/val/test, seeded; clip and picture share the split",
        "synthesis": synthesis_backend(),
        "settings": settings,
    }


def item_media(affect: AffectSet, index: int, *, image_size: int = 256) -> dict:
    """Stimulus files of a generated item: a PNG of its picture (``image_size`` pixels) and its
    clip (FLAC) and MIDI, rendered again from the item's seed and class."""
    import io

    from PIL import Image

    if affect.item_seeds is None:
        raise ValueError("Only a generated affect set can render its items again.")
    music_cues, image_cues = PLANTED[affect.classes[int(affect.image_labels[index])]]
    seed = int(affect.item_seeds[index])
    png = io.BytesIO()
    Image.fromarray(draw_image(image_cues, seed=seed, size=image_size)).save(png, format="PNG")
    audio_file, midi_file = clip_audio(music_cues, seed=seed)
    return {"png": png.getvalue(), "flac": audio_file, "mid": midi_file}


def save_affect_set(affect: AffectSet, path: Path | str) -> Path:
    """Write the set as one .npz (written whole, then renamed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp.npz")
    arrays = {
        name: getattr(affect, name)
        for name in ("images", "image_labels", "image_split", "music", "music_labels")
    }
    np.savez_compressed(
        temporary,
        **arrays,
        music_split=affect.music_split,
        item_seeds=affect.item_seeds if affect.item_seeds is not None else np.zeros(0, np.int64),
        meta=np.array(
            json.dumps(
                {
                    "classes": list(affect.classes),
                    "paired": affect.paired,
                    "description": affect.description,
                }
            )
        ),
    )
    os.replace(temporary, path)
    return path


def load_affect_set(path: Path | str) -> AffectSet:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        seeds = data["item_seeds"]
        affect = AffectSet(
            images=data["images"],
            image_labels=data["image_labels"].astype(np.int64),
            image_split=data["image_split"],
            music=data["music"].astype(np.float32),
            music_labels=data["music_labels"].astype(np.int64),
            music_split=data["music_split"],
            classes=tuple(meta["classes"]),
            paired=bool(meta["paired"]),
            item_seeds=seeds if seeds.size else None,
            description=meta["description"],
        )
    if affect.music.shape[1:] != (FEATURE_DIM,):
        raise ValueError(f"{path} holds {affect.music.shape[1]}-d music vectors, not 193-d.")
    return affect
