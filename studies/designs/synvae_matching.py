"""SynVAE matching (Müller-Eberstein & van Noord): which image did this music come from?

Stimuli are generated, not curated: in the SynVAE's visual latent space the classes whose
centroids are farthest apart are chosen, and in each the test images nearest the centroid
(modeling.synvae.generate). Preview: `n_preview_per_class` image/clip pairs per class. Test:
`n_test_trials` trials; each plays the clip of one image and offers one image per class, the
class of the right answer drawn at random with the study's seed.
"""

import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

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

KIND = "synvae_matching"
LABEL = "SynVAE matching (music generated from images)"
DEFAULT_CHECKPOINT = "modeling/weights/synvae_digits_beta0.5.pt"
MAX_PER_CLASS = 1000  # images drawn per class: previews, and candidates for the test
MAX_ID = 2**63 - 1
IMAGE_DESCRIPTIONS = {"digits": "A handwritten digit", "mnist": "A handwritten digit"}


@dataclass(frozen=True)
class Params(DesignParams):
    checkpoint: str = param(
        DEFAULT_CHECKPOINT,
        "The SynVAE checkpoint file (a path in the project), used when model_run is empty.",
    )
    model_run: int | None = param(
        None, "The id of a succeeded SynVAE model run to use instead of the checkpoint."
    )
    dataset: str = param(
        "digits", "Where the images come from: digits (8x8, scikit-learn) or mnist (28x28)."
    )
    n_classes: int = param(
        3, "Classes used (those farthest apart), 2 to 6; each trial offers one image per class."
    )
    n_test_trials: int = param(20, "Test trials, 1 to SYNLAB_MAX_TEST_TRIALS (10,000 by default).")
    n_preview_per_class: int = param(
        4, "Image and melody pairs per class shown as worked examples first, 0 to 1000."
    )
    candidates_per_class: int = param(10, "Images per class the trials draw from, 1 to 1000.")
    selection: str = param(
        "centroids",
        "How classes are formed in the latent space: centroids (the dataset's labels) or "
        "kmeans (k-means clusters); either way the images nearest each centre are used.",
    )

    def problems(self) -> list[str]:
        problems = []
        if self.dataset not in ("digits", "mnist"):
            problems.append("dataset must be 'digits' or 'mnist'")
        if self.selection not in ("centroids", "kmeans"):
            problems.append("selection must be 'centroids' or 'kmeans'")
        if not isinstance(self.checkpoint, str):
            problems.append("checkpoint must be a path")
        if self.model_run is not None and not whole_number(self.model_run, 1, MAX_ID):
            problems.append("model_run must be the id of a model run")
        ranges = {
            "n_classes": (2, 6),
            "n_test_trials": (1, settings.SYNLAB_MAX_TEST_TRIALS),
            "n_preview_per_class": (0, MAX_PER_CLASS),
            "candidates_per_class": (1, MAX_PER_CLASS),
        }
        for name, (low, high) in ranges.items():
            if not whole_number(getattr(self, name), low, high):
                problems.append(f"{name} must be a whole number from {low} to {high}")
        return problems


def checkpoint_path(params: Params) -> Path:
    return model_checkpoint(
        checkpoint=params.checkpoint,
        model_run=params.model_run,
        kind=ModelRun.Kind.SYNVAE,
        family="SynVAE",
    )


def prepare(*, study: Study) -> dict:
    """First stage, on the `gpu` queue: choose the images and make their melodies."""
    from modeling.checkpoint_io import CheckpointError
    from modeling.synvae.generate import synvae_melodies

    params = Params.from_dict(study.design_params)
    checkpoint = checkpoint_path(params)
    try:
        plan = synvae_melodies(
            checkpoint=checkpoint,
            dataset=params.dataset,
            seed=study.seed,
            n_classes=params.n_classes,
            per_class=params.n_preview_per_class + params.candidates_per_class,
            method=params.selection,
        )
    except (CheckpointError, ValueError) as error:
        raise DesignError([f"The stimuli could not be generated: {error}"]) from error
    return plan.to_dict()


def build(*, study: Study, prepared: dict, store: StimulusStore) -> StudyPlan:
    """Second stage, on the `cpu` queue: render the melodies, store the pairs, plan the trials."""
    from modeling.synvae.generate import MelodyPlan, render_pairs

    params = Params.from_dict(study.design_params)
    generated = render_pairs(MelodyPlan.from_dict(prepared))
    stored = store_pairs(store=store, generated=generated)
    rng = random.Random(study.seed)
    preview = {label: stored[label][: params.n_preview_per_class] for label in stored}
    pool = {label: stored[label][params.n_preview_per_class :] for label in stored}
    phases = [
        preview_phase(preview=preview),
        matching_phase(pool=pool, n_trials=params.n_test_trials, rng=rng),
    ]
    return StudyPlan(phases=[phase for phase in phases if phase.trials])


def store_pairs(*, store: StimulusStore, generated) -> dict[str, list[tuple[str, str]]]:
    """Image, clip and MIDI of every generated pair; class -> [(image key, clip key), ...]."""
    stored = {}
    for label, pairs in generated.pairs.items():
        stored[label] = []
        for pair in pairs:
            stem = f"class-{label}/{pair.rank:02d}"
            provenance = {
                **generated.description,
                "class": label,
                "rank": pair.rank,
                "tokens": pair.tokens,
            }
            try:
                image = store.media(
                    key=f"{stem}.png",
                    data=pair.image_png,
                    class_label=label,
                    original=probe_image(pair.image_png, name=f"{stem}.png"),
                    description=f"Image {pair.rank + 1} of its group",
                    provenance=provenance,
                )
                clip = store.media(
                    key=f"{stem}.flac",
                    data=pair.audio_flac,
                    class_label=label,
                    original=probe_audio(pair.audio_flac, name=f"{stem}.flac"),
                    provenance=provenance,
                )
            except MediaError as error:
                raise DesignError([f"{stem}: {error}"]) from error
            store.midi(
                key=f"{stem}.mid",
                data=pair.midi,
                class_label=label,
                provenance=provenance,
            )
            stored[label].append((image.key, clip.key))
    return stored


def preview_phase(*, preview: dict) -> PhasePlan:
    """Each example plays a clip and shows the image it was made from."""
    trials = [
        TrialPlan(
            trial_type=Trial.Type.AUDIO_TO_IMAGE,
            prompt=clip,
            options=[OptionPlan(stimulus=image, is_correct=True, identity=label)],
            class_label=label,
        )
        for label in preview
        for image, clip in preview[label]
    ]
    return PhasePlan(kind=Phase.Kind.PREVIEW, title="Examples", trials=trials)


def matching_phase(*, pool: dict, n_trials: int, rng: random.Random) -> PhasePlan:
    labels = sorted(pool)
    unused = {label: [] for label in labels}
    trials = []
    for _ in range(n_trials):
        answer = rng.choice(labels)
        if not unused[answer]:  # every clip of a class is used once before any repeats
            unused[answer] = rng.sample(pool[answer], len(pool[answer]))
        image, clip = unused[answer].pop()
        options = [
            OptionPlan(
                stimulus=image if label == answer else rng.choice(pool[label])[0],
                is_correct=label == answer,
                identity=label,
            )
            for label in labels
        ]
        trials.append(
            TrialPlan(
                trial_type=Trial.Type.AUDIO_TO_IMAGE,
                prompt=clip,
                options=options,
                class_label=answer,
            )
        )
    return PhasePlan(kind=Phase.Kind.TEST, title="Test", trials=trials)
