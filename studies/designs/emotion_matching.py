"""Emotion matching, 1 of 3: a clip and three pictures of three different emotion classes (or
a picture and three clips: `direction`); the option of the prompt's class is the answer.

No model stage: the pictures and clips come from the generated affect set (planted recipes,
not emotion data) or from an import with emotion labels (`import_batch`), and the classes are
their labels. The classes of the answers are balanced (each class in turn, in a seeded order);
the prompts of a class are used once each before any repeats; the two other options are one
item each of two other classes, drawn with the seed. Chance is 1/3.
"""

import random
from dataclasses import dataclass

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
from studies.designs.affect_common import AffectParams, PoolStore, affect_pool, by_class
from studies.designs.affect_common import example_trials as examples_of
from studies.models import Phase, Study, Trial

KIND = "emotion_matching"
LABEL = "Emotion matching, 1 of 3 (a clip and three pictures, or the reverse)"
N_OPTIONS = 3
CONDITION = "emotion (1 of 3)"
DIRECTIONS = {  # direction -> (trial type, prompt side, option side)
    "clip_to_pictures": (Trial.Type.AUDIO_TO_IMAGE, "clips", "pictures"),
    "picture_to_clips": (Trial.Type.IMAGE_TO_AUDIO, "pictures", "clips"),
}


@dataclass(frozen=True)
class Params(AffectParams):
    direction: str = param(
        "clip_to_pictures",
        "clip_to_pictures (a clip, three pictures) or picture_to_clips (a picture, three clips).",
    )
    n_test_trials: int = param(12, "Test trials, 1 to SYNLAB_MAX_TEST_TRIALS.")

    def problems(self) -> list[str]:
        problems = super().problems()
        if self.direction not in DIRECTIONS:
            problems.append("direction must be 'clip_to_pictures' or 'picture_to_clips'")
        high = settings.SYNLAB_MAX_TEST_TRIALS
        if not whole_number(self.n_test_trials, 1, high):
            problems.append(f"n_test_trials must be a whole number from 1 to {high}")
        return problems


def build(*, study: Study, store) -> StudyPlan:
    """The examples, then `n_test_trials` trials of one prompt and one option per class."""
    params = Params.from_dict(study.design_params)
    pool = affect_pool(params, seed=study.seed)
    trial_type, prompt_side, option_side = DIRECTIONS[params.direction]
    prompts, options = by_class(pool[prompt_side]), by_class(pool[option_side])
    classes = sorted(set(prompts) & set(options))
    if len(classes) < N_OPTIONS:
        raise DesignError(
            [f"The pictures and clips share {len(classes)} classes; emotion matching needs 3."]
        )
    rng = random.Random(study.seed)
    saved = PoolStore(store)
    save = {"pictures": saved.picture, "clips": saved.clip}
    unused: dict[str, list[dict]] = {label: [] for label in classes}
    order = rng.sample(classes, len(classes))
    tests = []
    for number in range(params.n_test_trials):
        answer = order[number % len(order)]
        if not unused[answer]:  # every prompt of a class is used once before any repeats
            unused[answer] = rng.sample(prompts[answer], len(prompts[answer]))
        prompt = unused[answer].pop()
        shown = sorted([answer, *rng.sample([c for c in classes if c != answer], N_OPTIONS - 1)])
        tests.append(
            TrialPlan(
                trial_type=trial_type,
                prompt=save[prompt_side](prompt),
                options=[
                    OptionPlan(
                        save[option_side](rng.choice(options[label])),
                        is_correct=label == answer,
                        identity=label,
                    )
                    for label in shown
                ],
                class_label=answer,
                condition=CONDITION,
            )
        )
    phases = [
        PhasePlan(kind=Phase.Kind.PREVIEW, title="Examples", trials=examples_of(pool, saved)),
        PhasePlan(kind=Phase.Kind.TEST, title="Which one fits?", trials=tests),
    ]
    return StudyPlan(phases=[phase for phase in phases if phase.trials])
