"""Retrieval check (Zeng, TNN-C-CCA): do people pick the picture the retrieval model ranks
first for a clip?

For each test trial a clip is drawn (each clip once before any repeats) with `candidates`
pictures; on a `gpu` worker the retrieval model ranks the candidates by cosine similarity to
the clip, and the trial offers its first-ranked picture and one other candidate drawn at
random. The "correct" option is the model's pick, so the share of "correct" answers is the
model's agreement with people, not their accuracy: nothing says the model is right.
Chance is 1/2.
"""

import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

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
    checkpoint_problems,
    clip_vectors,
    example_trials,
    picture_arrays,
)
from studies.designs.checkpoints import model_checkpoint
from studies.models import ModelRun, Phase, Study, Trial

KIND = "retrieval_check"
LABEL = "Retrieval check (the model's best picture for a clip, or a random one?)"
DEFAULT_CHECKPOINT = "modeling/weights/retrieval_cpu_demo.pt"
CONDITION = "agreement with the retrieval model"
MAX_CANDIDATES = 200
MODEL_PICK, RANDOM_PICK = "model's pick", "random picture"


@dataclass(frozen=True)
class Params(AffectParams):
    n_test_trials: int = param(12, "Test trials (one clip each), 1 to SYNLAB_MAX_TEST_TRIALS.")
    candidates: int = param(
        6,
        f"Pictures the model ranks for each clip, 2 to {MAX_CANDIDATES} (at most the pictures "
        "there are); the best and one other of them are shown.",
    )
    checkpoint: str = param(
        DEFAULT_CHECKPOINT,
        "The retrieval checkpoint file (a path in the project), used when model_run is empty.",
    )
    model_run: int | None = param(
        None, "The id of a succeeded retrieval model run to use instead of the checkpoint."
    )

    def problems(self) -> list[str]:
        problems = super().problems()
        high = settings.SYNLAB_MAX_TEST_TRIALS
        if not whole_number(self.n_test_trials, 1, high):
            problems.append(f"n_test_trials must be a whole number from 1 to {high}")
        if not whole_number(self.candidates, 2, MAX_CANDIDATES):
            problems.append(f"candidates must be a whole number from 2 to {MAX_CANDIDATES}")
        return problems + checkpoint_problems(self)


def checkpoint_path(params: Params) -> Path:
    return model_checkpoint(
        checkpoint=params.checkpoint,
        model_run=params.model_run,
        kind=ModelRun.Kind.RETRIEVAL,
        family="retrieval",
    )


def prepare(*, study: Study) -> dict:
    """The model stage, on the `gpu` queue: each trial's clip, its candidates as the model
    ranks them, the model's pick and a random other."""
    from modeling.checkpoint_io import CheckpointError
    from modeling.retrieval.image_features import image_descriptors
    from modeling.retrieval.rank import RetrievalRanker

    params = Params.from_dict(study.design_params)
    pool = affect_pool(params, seed=study.seed)
    try:
        ranker = RetrievalRanker.from_checkpoint(checkpoint_path(params))
    except (CheckpointError, ValueError) as error:
        raise DesignError([f"The retrieval checkpoint could not be loaded: {error}"]) from error
    pictures = pool["pictures"]
    descriptors = image_descriptors(picture_arrays(pictures))
    rng = random.Random(study.seed)
    clips = drawn_clips(pool["clips"], params.n_test_trials, rng=rng)
    vectors = dict(zip((c["id"] for c in pool["clips"]), clip_vectors(pool["clips"]), strict=True))
    trials = []
    for clip in clips:
        shown = rng.sample(range(len(pictures)), min(params.candidates, len(pictures)))
        ranked = ranker.rank_picture_features(vectors[clip["id"]], descriptors[shown])
        (best, best_similarity), *others = ranked
        other, other_similarity = rng.choice(others)
        trials.append(
            {
                "clip": clip,
                "best": pictures[shown[best]],
                "other": pictures[shown[other]],
                "similarities": [best_similarity, other_similarity],
                "candidates": len(shown),
            }
        )
    return {**pool, "trials": trials, "model": {"checkpoint": params.checkpoint or ""}}


def drawn_clips(clips: list[dict], count: int, *, rng: random.Random) -> list[dict]:
    """`count` clips, each used once before any repeats."""
    drawn: list[dict] = []
    while len(drawn) < count:
        drawn += rng.sample(clips, len(clips))
    return drawn[:count]


def build(*, study: Study, prepared: dict, store) -> StudyPlan:
    """The build stage: store what the trials show; each trial plays its clip and offers the
    model's pick and the random picture (canonical order: the model's pick first)."""
    saved = PoolStore(store)
    tests = [
        TrialPlan(
            trial_type=Trial.Type.AUDIO_TO_IMAGE,
            prompt=saved.clip(planned["clip"]),
            options=[
                OptionPlan(saved.picture(planned["best"]), is_correct=True, identity=MODEL_PICK),
                OptionPlan(saved.picture(planned["other"]), is_correct=False, identity=RANDOM_PICK),
            ],
            class_label=planned["clip"]["label"],
            condition=CONDITION,
        )
        for planned in prepared["trials"]
    ]
    examples = example_trials(prepared, saved)
    phases = [
        PhasePlan(kind=Phase.Kind.PREVIEW, title="Examples", trials=examples),
        PhasePlan(kind=Phase.Kind.TEST, title="Which picture fits?", trials=tests),
    ]
    return StudyPlan(phases=[phase for phase in phases if phase.trials])
