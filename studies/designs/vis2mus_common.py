"""What the three Vis2Mus study kinds share (Zhang, Xia et al.: images as handles on music
through the chord/texture VAE): parameters, the checkpoint, storing, and the plans of the
brightness and contrast tests (two trials per anchor, chance 1/2) and of the style test (four
trials per set of two sketch/melody and two photo/accompaniment pairs, chance 1/4). Each kind
module (vis2mus_brightness.py, vis2mus_contrast.py, vis2mus_style.py) says what its test asks.

The music is decoded by the model on a `gpu` worker (`prepare`, modeling.vis2mus.stimuli);
clips and pictures are made on a `cpu` worker (`build`). The anchor music is the model's
reconstruction, so the reference and the options differ only by the transformation.
"""

import math
import random
from dataclasses import dataclass
from pathlib import Path

from studies.designs import (
    DesignError,
    DesignParams,
    OptionPlan,
    PhasePlan,
    StudyPlan,
    TrialPlan,
    param,
    whole_number,
)
from studies.designs.checkpoints import model_checkpoint
from studies.media import MediaError, probe_audio, probe_image
from studies.models import ModelRun, Phase, Study, Trial
from studies.stimuli import StimulusStore

DEFAULT_CHECKPOINT = "modeling/weights/vis2mus_cpu_demo.pt"
MAX_ID = 2**63 - 1
MAX_ANCHORS = 12  # the committed anchors hold 12 photos and 12 textures
DIRECTION_WORDS = {  # class labels and option identities
    "brightness": {"plus": "brighter", "minus": "darker"},
    "contrast": {"plus": "more contrast", "minus": "less contrast"},
}
CHANGE_WORDS = {  # the changed picture's alt text: "<title>, <words>"
    "brightness": {"plus": "made brighter", "minus": "made darker"},
    "contrast": {"plus": "with more contrast", "minus": "with less contrast"},
}


@dataclass(frozen=True)
class Vis2MusParams(DesignParams):
    checkpoint: str = param(
        DEFAULT_CHECKPOINT,
        "The Vis2Mus checkpoint file (a path in the project), used when model_run is empty.",
    )
    model_run: int | None = param(
        None, "The id of a succeeded Vis2Mus model run to use instead of the checkpoint."
    )
    tool_after_debrief: bool = param(
        False, "true: participants may open the Vis2Mus tool after the debrief."
    )

    def problems(self) -> list[str]:
        problems = []
        if not isinstance(self.checkpoint, str) or not self.checkpoint.strip():
            problems.append("checkpoint must be a path")
        if self.model_run is not None and not whole_number(self.model_run, 1, MAX_ID):
            problems.append("model_run must be the id of a model run")
        if not isinstance(self.tool_after_debrief, bool):
            problems.append("tool_after_debrief must be true or false")
        return problems


@dataclass(frozen=True)
class TransformationParams(Vis2MusParams):
    n_anchors: int = param(
        6, f"Anchor pairs (a photo and a 2-bar texture), 1 to {MAX_ANCHORS}; two trials each."
    )
    strength: float = param(
        0.5, "How far pictures and music are changed, greater than 0 and at most 1."
    )
    pictures: list[str] | None = param(
        None, 'Photo anchors, n_anchors of them, e.g. ["photo/coffee", ...]; empty: drawn.'
    )
    music: list[str] | None = param(
        None, 'Texture anchors, n_anchors of them, e.g. ["texture/3", ...]; empty: drawn.'
    )

    def problems(self) -> list[str]:
        from modeling.vis2mus.stimuli import anchor_key_problems

        problems = super().problems()
        if not whole_number(self.n_anchors, 1, MAX_ANCHORS):
            problems.append(f"n_anchors must be a whole number from 1 to {MAX_ANCHORS}")
            return problems
        if not is_strength(self.strength):
            problems.append("strength must be a number greater than 0 and at most 1")
        for name, role in (("pictures", "photo"), ("music", "texture")):
            keys = getattr(self, name)
            if keys is not None:
                problems += anchor_key_problems(
                    keys, role=role, parameter=name, count=self.n_anchors
                )
        return problems


def is_strength(value) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and 0 < value <= 1


def checkpoint_path(params: Vis2MusParams) -> Path:
    """The checkpoint file a study names, directly or through a succeeded Vis2Mus model run."""
    return model_checkpoint(
        checkpoint=params.checkpoint,
        model_run=params.model_run,
        kind=ModelRun.Kind.VIS2MUS,
        family="Vis2Mus",
    )


def loaded_model(params: Vis2MusParams):
    """(model, what the stimuli's provenance says about it); refusals as DesignError."""
    from modeling.checkpoint_io import file_sha256
    from modeling.device import default_device
    from modeling.vis2mus.stimuli import StimulusError, load_vis2mus

    path = checkpoint_path(params)
    try:
        model = load_vis2mus(path, device=default_device())
    except StimulusError as error:
        raise DesignError([str(error)]) from error
    return model, {"checkpoint": path.name, "checkpoint_sha256": file_sha256(path)}


# ----- brightness and contrast -----------------------------------------------------------------


def transformation_prepare(*, study: Study, params: TransformationParams, name: str) -> dict:
    """The model stage: choose the anchors, decode each anchor's music at 0, +a and -a."""
    from modeling.vis2mus.stimuli import StimulusError, choose_keys, transformation_pieces

    rng = random.Random(study.seed)
    model, model_facts = loaded_model(params)
    try:
        pictures = choose_keys(role="photo", count=params.n_anchors, given=params.pictures, rng=rng)
        music = choose_keys(role="texture", count=params.n_anchors, given=params.music, rng=rng)
        pieces = transformation_pieces(model, music, name=name, strength=params.strength)
    except StimulusError as error:
        raise DesignError([str(error)]) from error
    anchors = [
        {"picture": picture, **piece} for picture, piece in zip(pictures, pieces, strict=True)
    ]
    return {**model_facts, "transformation": name, "strength": params.strength, "anchors": anchors}


def transformation_build(*, prepared: dict, store: StimulusStore) -> StudyPlan:
    """The build stage: pictures and clips of every anchor, the preview pairs, and two test
    trials per anchor (photo made +a and -a)."""
    name = prepared["transformation"]
    previews, tests = [], []
    for number, anchor in enumerate(prepared["anchors"], start=1):
        stored = store_transformation_anchor(store, anchor, number=number, prepared=prepared)
        previews.append(pair_trial(stored.picture, stored.clip))
        tests += transformation_trials(stored, name=name)
    return StudyPlan(
        phases=[
            PhasePlan(kind=Phase.Kind.PREVIEW, title="Examples", trials=previews),
            PhasePlan(kind=Phase.Kind.TEST, title=f"{name.capitalize()} test", trials=tests),
        ]
    )


@dataclass(frozen=True)
class StoredAnchor:
    """Stimulus keys of one anchor: its pair, and its picture and music made +a and -a."""

    picture: str
    clip: str
    changed_pictures: dict[str, str]  # "plus" / "minus" -> key
    changed_clips: dict[str, str]


def store_transformation_anchor(
    store: StimulusStore, anchor: dict, *, number: int, prepared: dict
) -> StoredAnchor:
    from modeling.vis2mus.stimuli import picture_file, title_of, transformed_picture_file

    name, strength = prepared["transformation"], prepared["strength"]
    stem = f"anchor-{number}"
    provenance = {
        **model_provenance(prepared),
        "picture": anchor["picture"],
        "music": anchor["music"],
    }
    title = title_of(anchor["picture"])
    picture = store_picture(
        store, f"{stem}/picture.png", picture_file(anchor["picture"]), title, provenance
    )
    clip = store_clip(
        store, f"{stem}/music", anchor["reconstruction"], {**provenance, "strength": 0}
    )
    pictures, clips = {}, {}
    for direction, sign in (("plus", 1), ("minus", -1)):
        a = sign * strength
        changed = {**provenance, "transformation": name, "strength": a}
        pictures[direction] = store_picture(
            store,
            f"{stem}/picture-{name}{a:+g}.png",
            transformed_picture_file(anchor["picture"], name, a),
            f"{title}, {CHANGE_WORDS[name][direction]}",
            changed,
        )
        clips[direction] = store_clip(
            store, f"{stem}/music-{name}{a:+g}", anchor[direction], changed
        )
    return StoredAnchor(picture, clip, pictures, clips)


def transformation_trials(stored: StoredAnchor, *, name: str) -> list[TrialPlan]:
    """The anchor's photo made +a, then -a; the options in the canonical order +a, -a, so the
    answer comes first in half the trials."""
    words = DIRECTION_WORDS[name]
    return [
        TrialPlan(
            trial_type=Trial.Type.TRANSFORMATION,
            prompt=stored.changed_pictures[direction],
            options=[
                OptionPlan(stored.changed_clips[d], is_correct=d == direction, identity=words[d])
                for d in ("plus", "minus")
            ],
            class_label=words[direction],
            condition=name,
            references=[stored.picture, stored.clip],
        )
        for direction in ("plus", "minus")
    ]


# ----- storing ---------------------------------------------------------------------------------


def model_provenance(prepared: dict) -> dict:
    return {"model": "vis2mus", **{k: prepared[k] for k in ("checkpoint", "checkpoint_sha256")}}


def pair_trial(picture: str, clip: str) -> TrialPlan:
    """A preview example: a picture and the music that goes with it."""
    return TrialPlan(
        trial_type=Trial.Type.IMAGE_TO_AUDIO,
        prompt=picture,
        options=[OptionPlan(clip, is_correct=True, identity="pair")],
    )


def store_picture(
    store: StimulusStore, key: str, png: bytes, description: str, provenance: dict
) -> str:
    try:
        original = probe_image(png, name=key)
    except MediaError as error:
        raise DesignError([f"{key}: {error}"]) from error
    store.media(
        key=key, data=png, original=original, description=description, provenance=provenance
    )
    return key


def store_clip(store: StimulusStore, stem: str, notes: list, provenance: dict) -> str:
    """The piece as a clip for participants and as MIDI for researchers; the clip's key."""
    from modeling.vis2mus.stimuli import StimulusError, clip_files

    try:
        audio, midi = clip_files(notes)
        original = probe_audio(audio, name=f"{stem}.flac")
    except (StimulusError, MediaError) as error:
        raise DesignError([f"{stem}: {error}"]) from error
    store.media(key=f"{stem}.flac", data=audio, original=original, provenance=provenance)
    store.midi(key=f"{stem}.mid", data=midi, class_label="", provenance=provenance)
    return f"{stem}.flac"


# ----- style -----------------------------------------------------------------------------------

MAX_SETS = 3  # the committed anchors hold 6 sketches: two per set
STYLE_ROLES = {
    "sketches": "sketch",
    "melodies": "melody",
    "style_images": "photo",
    "accompaniments": "accompaniment",
}


@dataclass(frozen=True)
class StyleParams(Vis2MusParams):
    n_sets: int = param(
        2, f"Sets of two sketch/melody and two photo/accompaniment pairs, 1 to {MAX_SETS}."
    )
    style_iterations: int = param(
        60, "L-BFGS steps of each fused picture's style transfer, 1 to 300 (more: slower)."
    )
    sketches: list[str] | None = param(
        None, 'Sketch anchors, 2 per set, e.g. ["sketch/horse", ...]; empty: drawn.'
    )
    melodies: list[str] | None = param(
        None, 'Melody anchors, 2 per set, e.g. ["melody/0", ...]; empty: drawn.'
    )
    style_images: list[str] | None = param(
        None, 'Photo anchors giving the style, 2 per set, e.g. ["photo/cat", ...]; empty: drawn.'
    )
    accompaniments: list[str] | None = param(
        None, 'Accompaniment anchors, 2 per set, e.g. ["accompaniment/4", ...]; empty: drawn.'
    )

    def problems(self) -> list[str]:
        from modeling.vis2mus.stimuli import anchor_key_problems

        problems = super().problems()
        if not whole_number(self.style_iterations, 1, 300):
            problems.append("style_iterations must be a whole number from 1 to 300")
        if not whole_number(self.n_sets, 1, MAX_SETS):
            problems.append(f"n_sets must be a whole number from 1 to {MAX_SETS}")
            return problems
        for name, role in STYLE_ROLES.items():
            keys = getattr(self, name)
            if keys is not None:
                problems += anchor_key_problems(
                    keys, role=role, parameter=name, count=2 * self.n_sets
                )
        return problems


def style_prepare(*, study: Study, params: StyleParams) -> dict:
    """The model stage: choose the anchors of every set, fuse each melody with each
    accompaniment of its set."""
    from modeling.vis2mus.stimuli import StimulusError, choose_keys, fused_pieces

    rng = random.Random(study.seed)
    model, model_facts = loaded_model(params)
    count = 2 * params.n_sets
    try:
        chosen = {
            name: choose_keys(role=role, count=count, given=getattr(params, name), rng=rng)
            for name, role in STYLE_ROLES.items()
        }
        sets = []
        for first in range(0, count, 2):
            part = {name: keys[first : first + 2] for name, keys in chosen.items()}
            part["fused"] = fused_pieces(
                model, melodies=part["melodies"], accompaniments=part["accompaniments"]
            )
            sets.append(part)
    except StimulusError as error:
        raise DesignError([str(error)]) from error
    return {**model_facts, "style_iterations": params.style_iterations, "sets": sets}


def style_build(*, prepared: dict, store: StimulusStore, seed: int) -> StudyPlan:
    """The build stage: every set's anchor pairs (the preview), its four fused pieces and four
    fused pictures (the style transfer runs here), and one trial per fused picture."""
    previews, tests = [], []
    for number, part in enumerate(prepared["sets"], start=1):
        pairs = store_style_anchors(store, part, number=number, prepared=prepared)
        previews += [pair_trial(picture, clip) for picture, clip in pairs]
        references = [key for pair in pairs for key in pair]
        pieces = store_fused_pieces(store, part, number=number, prepared=prepared)
        for i in (0, 1):
            for j in (0, 1):
                picture = store_fused_picture(
                    store, part, i, j, number=number, prepared=prepared, seed=seed
                )
                tests.append(
                    TrialPlan(
                        trial_type=Trial.Type.STYLE_FUSION,
                        prompt=picture,
                        options=[
                            OptionPlan(
                                pieces[(k, m)],
                                is_correct=(k, m) == (i, j),
                                identity=f"melody {k + 1} + accompaniment {m + 1}",
                            )
                            for k in (0, 1)
                            for m in (0, 1)
                        ],
                        class_label=f"set {number}",
                        condition="style",
                        references=references,
                    )
                )
    return StudyPlan(
        phases=[
            PhasePlan(kind=Phase.Kind.PREVIEW, title="Examples", trials=previews),
            PhasePlan(kind=Phase.Kind.TEST, title="Style test", trials=tests),
        ]
    )


def store_style_anchors(
    store: StimulusStore, part: dict, *, number: int, prepared: dict
) -> list[tuple[str, str]]:
    """The set's four pairs: sketch i with melody i, then style picture j with accompaniment j."""
    from modeling.vis2mus.stimuli import anchor_notes, picture_file, title_of

    pairs = []
    for pictures, music, picture_name, music_name in (
        ("sketches", "melodies", "sketch", "melody"),
        ("style_images", "accompaniments", "style", "accompaniment"),
    ):
        for index, (picture_key, music_key) in enumerate(
            zip(part[pictures], part[music], strict=True), start=1
        ):
            provenance = {**model_provenance(prepared), "set": number}
            picture = store_picture(
                store,
                f"set-{number}/{picture_name}-{index}.png",
                picture_file(picture_key),
                title_of(picture_key),
                {**provenance, "picture": picture_key},
            )
            clip = store_clip(
                store,
                f"set-{number}/{music_name}-{index}",
                anchor_notes(music_key),
                {**provenance, "music": music_key},
            )
            pairs.append((picture, clip))
    return pairs


def store_fused_pieces(
    store: StimulusStore, part: dict, *, number: int, prepared: dict
) -> dict[tuple[int, int], str]:
    """Melody i with accompaniment j, for every i, j of the set: (i, j) -> clip key."""
    pieces = {}
    for i, melody in enumerate(part["melodies"]):
        for j, accompaniment in enumerate(part["accompaniments"]):
            provenance = {
                **model_provenance(prepared),
                "set": number,
                "melody": melody,
                "accompaniment": accompaniment,
            }
            pieces[(i, j)] = store_clip(
                store,
                f"set-{number}/melody-{i + 1}-with-accompaniment-{j + 1}",
                part["fused"][f"{i}-{j}"],
                provenance,
            )
    return pieces


def store_fused_picture(
    store: StimulusStore, part: dict, i: int, j: int, *, number: int, prepared: dict, seed: int
) -> str:
    """Sketch i in the style of picture j."""
    from modeling.vis2mus.stimuli import fused_picture_file, title_of

    sketch, style = part["sketches"][i], part["style_images"][j]
    png = fused_picture_file(sketch, style, iterations=prepared["style_iterations"], seed=seed)
    return store_picture(
        store,
        f"set-{number}/sketch-{i + 1}-in-style-{j + 1}.png",
        png,
        f"{title_of(sketch)} in the style of: {title_of(style)}",
        {**model_provenance(prepared), "set": number, "sketch": sketch, "style": style},
    )
