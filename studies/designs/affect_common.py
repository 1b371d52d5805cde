"""What the three affect study kinds share (affect_matching, emotion_matching, retrieval_check):
where their pictures and clips come from, and how they are stored.

Two sources, chosen by the `import_batch` parameter:

- empty (the default): the **generated affect set** (modeling.affect.generated), synthesised
  clips and drawn pictures whose positive / neutral / negative classes are planted recipes
  (major/minor, fast/slow, high/low register; warm/cool, bright/dark, smooth/jagged). It is
  not emotion data: a study built from it tests whether people pick up the recipes, nothing
  about how music or pictures make them feel. `items_per_class` items are drawn per class
  with the study's seed, each one picture and one clip made together;
- the id of an import (an IMAC-, BAM-style or generic import with emotion labels): its
  labelled images and audio clips, the label (ImportedItem.label) as the class. When the
  music is an import of its own (IMAC's image CSV and music list are two imports), its id
  goes in `music_batch`: pictures from `import_batch`, clips from `music_batch`.

A pool is plain JSON (it travels from the `gpu` stage to the `cpu` build): pictures and clips,
each {"id", "label", "seed"} (generated) or {"id", "label", "item"} (imported), and example
pairs for the preview.
"""

import io
import random
from dataclasses import dataclass

from studies.designs import DesignError, DesignParams, TrialPlan, param, whole_number
from studies.media import MediaError, probe_audio, probe_image
from studies.models import Trial
from studies.stimuli import StimulusStore

MAX_ID = 2**63 - 1
MAX_ITEMS_PER_CLASS = 50  # generated items per class (each clip takes about 0.4 s to make)
MAX_PREVIEW_PER_CLASS = 10
PICTURE_SIZE = 256  # pixels of a generated picture as participants see it
MODEL_PICTURE_SIZE = 32  # the generated set's pictures as the committed models were trained
GENERATED_SOURCE = (
    "the generated affect set (synthesised clips and drawn pictures with planted "
    "positive / neutral / negative recipes; not emotion data)"
)


@dataclass(frozen=True)
class AffectParams(DesignParams):
    import_batch: int | None = param(
        None,
        "The id of an import with emotion labels (IMAC, BAM or generic) to draw pictures and "
        "clips from; empty: the generated affect set (planted recipes, not emotion data).",
    )
    music_batch: int | None = param(
        None,
        "The id of a separate import to take the clips from (an IMAC music list), the pictures "
        "then coming from import_batch; empty: clips from import_batch too.",
    )
    items_per_class: int = param(
        4,
        f"Generated pictures and clips per class, 2 to {MAX_ITEMS_PER_CLASS} (only without "
        "import_batch).",
    )
    n_preview_per_class: int = param(
        1,
        f"Picture and clip pairs of one class per class shown as examples first, 0 to "
        f"{MAX_PREVIEW_PER_CLASS}.",
    )

    def problems(self) -> list[str]:
        problems = []
        if not whole_number(self.items_per_class, 2, MAX_ITEMS_PER_CLASS):
            problems.append(
                f"items_per_class must be a whole number from 2 to {MAX_ITEMS_PER_CLASS}"
            )
        if not whole_number(self.n_preview_per_class, 0, MAX_PREVIEW_PER_CLASS):
            problems.append(
                f"n_preview_per_class must be a whole number from 0 to {MAX_PREVIEW_PER_CLASS}"
            )
        if self.music_batch is not None and self.import_batch is None:
            problems.append("music_batch needs import_batch, the import the pictures come from")
        elif self.import_batch is not None:
            problems += import_problems(self.import_batch, self.music_batch)
        return problems


def import_problems(batch_id, music_batch_id=None) -> list[str]:
    """Imports the affect kinds can use: labelled images, and labelled audio clips (in the same
    import, or in `music_batch_id`)."""
    from studies.importing.selectors import batch_problems

    problems = batch_problems(batch_id, kind="image", labelled=True, name="import_batch")
    if problems:
        return problems
    if music_batch_id is None:
        return batch_problems(batch_id, kind="audio", labelled=True, name="import_batch")
    return batch_problems(music_batch_id, kind="audio", labelled=True, name="music_batch")


def checkpoint_problems(params) -> list[str]:
    problems = []
    if not isinstance(params.checkpoint, str) or not params.checkpoint.strip():
        problems.append("checkpoint must be a path")
    if params.model_run is not None and not whole_number(params.model_run, 1, MAX_ID):
        problems.append("model_run must be the id of a model run")
    return problems


# ----- the pool ---------------------------------------------------------------------------------


def affect_pool(params: AffectParams, *, seed: int) -> dict:
    """Pictures, clips and example pairs, from the generated set or from the import."""
    if params.import_batch is None:
        pool = generated_pool(params.items_per_class, params.n_preview_per_class, seed=seed)
    else:
        pool = imported_pool(
            params.import_batch,
            params.n_preview_per_class,
            seed=seed,
            music_batch_id=params.music_batch,
        )
    classes = sorted(set(labels_of(pool["pictures"])) & set(labels_of(pool["clips"])))
    if len(classes) < 2:
        raise DesignError(
            ["The pictures and clips share fewer than two classes; at least two are needed."]
        )
    return pool


def labels_of(items: list[dict]) -> list[str]:
    return [item["label"] for item in items]


def by_class(items: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for item in items:
        grouped.setdefault(item["label"], []).append(item)
    return grouped


def generated_pool(per_class: int, n_examples: int, *, seed: int) -> dict:
    """`per_class` items of every class for the test and `n_examples` more for the examples;
    each item's picture and clip are made together from its class's recipe and its seed."""
    from modeling.affect.generated import CLASSES

    rng = random.Random(seed)
    pictures, clips, examples = [], [], []
    for label in CLASSES:
        for number in range(1, per_class + n_examples + 1):
            item_seed = rng.randrange(2**31 - 1)
            item_id = f"{label}-{number}"
            if number <= per_class:
                pictures.append({"id": item_id, "label": label, "seed": item_seed})
                clips.append({"id": item_id, "label": label, "seed": item_seed})
            else:
                example = {"id": item_id, "label": label, "seed": item_seed}
                examples.append({"picture": example, "clip": example})
    return {"source": "generated", "pictures": pictures, "clips": clips, "examples": examples}


def imported_pool(
    batch_id: int, n_examples: int, *, seed: int, music_batch_id: int | None = None
) -> dict:
    """The import's labelled pictures and clips (the clips from `music_batch_id` when given);
    the examples pair the first pictures and clips of each class (they may also appear in the
    test)."""
    from studies.importing.selectors import imported_items

    def listed(batch: int, kind: str) -> list[dict]:
        return [
            {"id": f"import-{item.pk}", "label": item.label, "item": item.pk}
            for item in imported_items(batch, kind=kind, labelled=True)
        ]

    pictures = listed(batch_id, "image")
    clips = listed(batch_id if music_batch_id is None else music_batch_id, "audio")
    rng = random.Random(seed)
    clip_classes = by_class(clips)
    examples = []
    for label, members in sorted(by_class(pictures).items()):
        partners = rng.sample(clip_classes.get(label, []), len(clip_classes.get(label, [])))
        count = min(n_examples, len(members), len(partners))
        examples += [{"picture": members[n], "clip": partners[n]} for n in range(count)]
    return {
        "source": "import",
        "batch": batch_id,
        "pictures": pictures,
        "clips": clips,
        "examples": examples,
    }


# ----- what the models read ---------------------------------------------------------------------


def picture_arrays(pictures: list[dict]) -> list:
    """Each picture as an array, at the size the committed models were trained on (generated),
    or as imported (the models resize it)."""
    from modeling.affect.generated import PLANTED
    from modeling.affect.generated_images import draw_image

    arrays = []
    for picture in pictures:
        if "seed" in picture:
            cues = PLANTED[picture["label"]][1]
            arrays.append(draw_image(cues, seed=picture["seed"], size=MODEL_PICTURE_SIZE))
        else:
            arrays.append(imported_path(picture["item"]))
    return arrays


def clip_vectors(clips: list[dict]) -> list:
    """Each clip's 193-d vector (modeling.affect.features)."""
    from modeling.affect.features import AudioFeatureError, music_features, music_features_file
    from modeling.affect.generated import PLANTED
    from modeling.affect.generated_music import clip_audio, decode_audio

    vectors = []
    for clip in clips:
        try:
            if "seed" in clip:
                audio, _ = clip_audio(PLANTED[clip["label"]][0], seed=clip["seed"])
                vectors.append(music_features(decode_audio(audio)))
            else:
                vectors.append(music_features_file(imported_path(clip["item"])))
        except AudioFeatureError as error:
            raise DesignError([f"Clip {clip['id']}: {error}"]) from error
    return vectors


def imported_path(item_id: int) -> str:
    from studies.import_models import ImportedItem

    return ImportedItem.objects.get(pk=item_id).file.path


# ----- storing ----------------------------------------------------------------------------------


class PoolStore:
    """Stores each picture and clip of the pool once, the first time a plan uses it; returns
    its stimulus key."""

    def __init__(self, store: StimulusStore):
        self.store = store
        self.keys: dict[str, str] = {}

    def picture(self, picture: dict) -> str:
        key = f"pictures/{picture['id']}.png"
        if key not in self.keys:
            self.keys[key] = store_picture(self.store, key, picture)
        return key

    def clip(self, clip: dict) -> str:
        key = f"clips/{clip['id']}"
        if key not in self.keys:
            self.keys[key] = store_clip(self.store, key, clip)
        return self.keys[key]


def store_picture(store: StimulusStore, key: str, picture: dict) -> str:
    if "seed" in picture:
        from PIL import Image

        from modeling.affect.generated import PLANTED
        from modeling.affect.generated_images import draw_image

        png = io.BytesIO()
        cues = PLANTED[picture["label"]][1]
        Image.fromarray(draw_image(cues, seed=picture["seed"], size=PICTURE_SIZE)).save(
            png, format="PNG"
        )
        data, description = png.getvalue(), "A drawn picture of coloured shapes"
        provenance = generated_provenance(picture)
    else:
        data, _, item = imported_media(picture["item"])
        description, provenance = item.title or "A picture", imported_provenance(item)
    try:
        original = probe_image(data, name=key)
        store.media(
            key=key,
            data=data,
            original=original,
            class_label=picture["label"],
            description=description,
            provenance=provenance,
        )
    except MediaError as error:
        raise DesignError([f"{key}: {error}"]) from error
    return key


def store_clip(store: StimulusStore, stem: str, clip: dict) -> str:
    """The clip for participants (and, when generated, its MIDI for researchers)."""
    if "seed" in clip:
        from modeling.affect.generated import PLANTED
        from modeling.affect.generated_music import clip_audio

        data, midi = clip_audio(PLANTED[clip["label"]][0], seed=clip["seed"])
        extension, provenance = ".flac", generated_provenance(clip)
    else:
        data, _, item = imported_media(clip["item"])
        midi, extension, provenance = None, item.extension, imported_provenance(item)
    key = f"{stem}{extension}"
    try:
        original = probe_audio(data, name=key)
        store.media(
            key=key, data=data, original=original, class_label=clip["label"], provenance=provenance
        )
    except MediaError as error:
        raise DesignError([f"{key}: {error}"]) from error
    if midi is not None:
        store.midi(key=f"{stem}.mid", data=midi, class_label=clip["label"], provenance=provenance)
    return key


def imported_media(item_id: int):
    from studies.import_models import ImportedItem
    from studies.importing.selectors import item_media

    item = ImportedItem.objects.get(pk=item_id)
    data, info = item_media(item)
    return data, info, item


def generated_provenance(item: dict) -> dict:
    return {
        "source": GENERATED_SOURCE,
        "class": item["label"],
        "item_seed": item["seed"],
    }


def imported_provenance(item) -> dict:
    return {
        "import_batch": item.batch_id,
        "imported_item": item.pk,
        "source_file": item.source_file,
        "source_line": item.source_line,
        "class": item.label,
    }


def example_trials(pool: dict, saved: PoolStore) -> list[TrialPlan]:
    """The preview: each example pair, its clip played and its picture shown as the answer."""
    from studies.designs import OptionPlan

    return [
        TrialPlan(
            trial_type=Trial.Type.AUDIO_TO_IMAGE,
            prompt=saved.clip(example["clip"]),
            options=[
                OptionPlan(
                    saved.picture(example["picture"]),
                    is_correct=True,
                    identity=example["picture"]["label"],
                )
            ],
            class_label=example["picture"]["label"],
        )
        for example in pool["examples"]
    ]
