"""Affective matching, yes/no (after Verma et al., IMAC / ACP-Net): does this clip fit this
picture?

Each test trial plays one clip with one picture (trial type pair_judgement: the clip is the
prompt, the picture a reference shown with it) and offers two worded options, "Yes, it fits"
and "No". Half the trials hold a fitting pair, half a pair that does not fit, and every clip
appears once in each kind, so the clip alone never tells the answer.

Which pairs fit is decided by `selection`:

- `model` (default): ACP-Net scores every picture with every clip on a `gpu` worker
  (P(true correspondence)); a pair fits when the score is at least 0.5. For each clip the
  study takes its best-scored picture as the fitting pair and its worst as the other (the
  next best and next worst when a clip is used again), so the "correct" answer is what the
  model says;
- `labels`: a pair fits when picture and clip share a class; pictures drawn with the seed.

Analysed as accuracy against chance 1/2 and as signal detection (analysis.signal_detection:
hits are "yes" to fitting pairs, false alarms "yes" to pairs that do not fit; d' and the
criterion c per participant and pooled).
"""

import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_noop

from studies.designs import (
    DesignError,
    OptionPlan,
    PhasePlan,
    StudyPlan,
    TrialPlan,
    param,
    whole_number,
)
from studies.designs.affect_common import (
    AffectParams,
    PoolStore,
    affect_pool,
    by_class,
    checkpoint_problems,
    clip_vectors,
    example_trials,
    picture_arrays,
)
from studies.designs.checkpoints import model_checkpoint
from studies.models import ModelRun, Phase, Study, Trial

KIND = "affect_matching"
LABEL = "Affective matching, yes/no (does this clip fit this picture?)"
DEFAULT_CHECKPOINT = "modeling/weights/affect_cpu_demo.pt"
CONDITION = "fit (yes/no)"
YES = gettext_noop("Yes, it fits")
NO = gettext_noop("No")
FITS, DOES_NOT_FIT = "fits", "does not fit"  # trial classes: the kind of pair


@dataclass(frozen=True)
class Params(AffectParams):
    selection: str = param(
        "model",
        "Which pairs fit: model (ACP-Net's score is at least 0.5) or labels (the same class).",
    )
    n_pairs: int = param(
        6,
        "Fitting pairs, and as many pairs that do not fit (2 x n_pairs test trials), 1 to "
        "half of SYNLAB_MAX_TEST_TRIALS.",
    )
    checkpoint: str = param(
        DEFAULT_CHECKPOINT,
        "The ACP-Net checkpoint file (a path in the project), used when model_run is empty.",
    )
    model_run: int | None = param(
        None, "The id of a succeeded ACP-Net model run to use instead of the checkpoint."
    )

    def problems(self) -> list[str]:
        problems = super().problems()
        if self.selection not in ("model", "labels"):
            problems.append("selection must be 'model' or 'labels'")
        high = settings.SYNLAB_MAX_TEST_TRIALS // 2
        if not whole_number(self.n_pairs, 1, high):
            problems.append(f"n_pairs must be a whole number from 1 to {high}")
        return problems + checkpoint_problems(self)


def checkpoint_path(params: Params) -> Path:
    return model_checkpoint(
        checkpoint=params.checkpoint,
        model_run=params.model_run,
        kind=ModelRun.Kind.ACPNET,
        family="ACP-Net",
    )


def prepare(*, study: Study) -> dict:
    """The model stage, on the `gpu` queue: the pool, and the pairs (scored by ACP-Net, or by
    labels)."""
    params = Params.from_dict(study.design_params)
    pool = affect_pool(params, seed=study.seed)
    rng = random.Random(study.seed)
    clips = usable_clips(pool, rng=rng)
    if params.selection == "labels":
        return {**pool, "pairs": label_pairs(pool, clips, n_pairs=params.n_pairs, rng=rng)}
    scores = acpnet_scores(checkpoint_path(params), pool)
    pairs = model_pairs(pool, clips, scores, n_pairs=params.n_pairs)
    return {**pool, "pairs": pairs, "model": {"checkpoint": params.checkpoint or ""}}


def usable_clips(pool: dict, *, rng: random.Random) -> list[dict]:
    """The clips of classes that also have pictures, in a seeded order."""
    picture_classes = set(by_class(pool["pictures"]))
    clips = [clip for clip in pool["clips"] if clip["label"] in picture_classes]
    return rng.sample(clips, len(clips))


def label_pairs(pool: dict, clips: list[dict], *, n_pairs: int, rng: random.Random) -> list:
    """Clip k (cycling through the clips) with a picture of its class, and with one of another."""
    pictures = by_class(pool["pictures"])
    pairs = []
    for k in range(n_pairs):
        clip = clips[k % len(clips)]
        others = [p for label, group in pictures.items() if label != clip["label"] for p in group]
        for fits, candidates in ((True, pictures[clip["label"]]), (False, others)):
            pairs.append(pair(clip, rng.choice(candidates), fits=fits, score=None))
    return pairs


def pair(clip: dict, picture: dict, *, fits: bool, score: float | None) -> dict:
    return {"clip": clip, "picture": picture, "fits": fits, "score": score}


def acpnet_scores(checkpoint: Path, pool: dict) -> list[list[float]]:
    """scores[i][j]: ACP-Net's P(picture i and clip j share an emotion)."""
    import numpy as np

    from modeling.affect.inputs import clips_tensor, images_tensor
    from modeling.affect.score import AffectScorer, embed_images, embed_music, pair_probabilities
    from modeling.checkpoint_io import CheckpointError

    try:
        model = AffectScorer.from_checkpoint(checkpoint).model
    except (CheckpointError, ValueError) as error:
        raise DesignError([f"The ACP-Net checkpoint could not be loaded: {error}"]) from error
    pictures = images_tensor(picture_arrays(pool["pictures"]), size=model.config.image_size)
    clips = clips_tensor(clip_vectors(pool["clips"]))
    n_pictures, n_clips = len(pictures), len(clips)
    flat = pair_probabilities(  # each picture and each clip embedded once
        model,
        embed_images(model, pictures),
        embed_music(model, clips),
        np.repeat(np.arange(n_pictures), n_clips),
        np.tile(np.arange(n_clips), n_pictures),
    )
    return flat.reshape(n_pictures, n_clips).astype(float).tolist()


def model_pairs(pool: dict, clips: list[dict], scores, *, n_pairs: int) -> list:
    """For clip k (cycling), its r-th best picture as the fitting pair and its r-th worst as
    the other (r: the how-many-th time the clip is used); a pair fits when it scores >= 0.5."""
    column = {clip["id"]: j for j, clip in enumerate(pool["clips"])}
    pairs = []
    for k in range(n_pairs):
        clip, use = clips[k % len(clips)], k // len(clips)
        ranked = sorted(range(len(pool["pictures"])), key=lambda i: -scores[i][column[clip["id"]]])
        if use >= len(ranked) // 2:
            raise DesignError(
                [f"There are too few pictures for {n_pairs} pairs; lower n_pairs or add items."]
            )
        best, worst = ranked[use], ranked[-1 - use]
        best_score, worst_score = (scores[i][column[clip["id"]]] for i in (best, worst))
        if best_score < 0.5 or worst_score >= 0.5:
            raise DesignError(
                [
                    f"ACP-Net finds no {'fitting' if best_score < 0.5 else 'unfitting'} picture "
                    f"for clip {clip['id']} (scores {worst_score:.2f} to {best_score:.2f}); "
                    "use selection 'labels', fewer pairs or other items."
                ]
            )
        pairs.append(pair(clip, pool["pictures"][best], fits=True, score=best_score))
        pairs.append(pair(clip, pool["pictures"][worst], fits=False, score=worst_score))
    return pairs


def build(*, study: Study, prepared: dict, store) -> StudyPlan:
    """The build stage, on the `cpu` queue: store the pictures and clips the pairs use, plan the
    examples and one yes/no trial per pair (fitting and unfitting pairs alternate per clip)."""
    saved = PoolStore(store)
    examples = example_trials(prepared, saved)
    tests = [pair_trial(p, saved) for p in prepared["pairs"]]
    random.Random(study.seed).shuffle(tests)  # the order trials are numbered in
    phases = [
        PhasePlan(kind=Phase.Kind.PREVIEW, title="Examples", trials=examples),
        PhasePlan(kind=Phase.Kind.TEST, title="Does it fit?", trials=tests),
    ]
    return StudyPlan(phases=[phase for phase in phases if phase.trials])


def pair_trial(planned: dict, saved: PoolStore) -> TrialPlan:
    fits = planned["fits"]
    return TrialPlan(
        trial_type=Trial.Type.PAIR_JUDGEMENT,
        prompt=saved.clip(planned["clip"]),
        options=[
            OptionPlan(None, is_correct=fits, identity="yes", label=YES),
            OptionPlan(None, is_correct=not fits, identity="no", label=NO),
        ],
        class_label=FITS if fits else DOES_NOT_FIT,
        condition=CONDITION,
        references=[saved.picture(planned["picture"])],
    )
