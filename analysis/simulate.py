"""Synthetic answers tables with a known truth, for tests, benchmarks and demos.

Each simulated participant answers every trial of every condition; a trial offers `n_options`
options (identities "<trial>-o0".."<trial>-o{k-1}", one correct), shown in a random screen order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit, logit

GENDERS = ("female", "male", "non-binary")
MUSICAL_LEVELS = ("amateur", "intermediate", "professional")


def simulate_answers(
    *,
    n_participants: int,
    n_trials: int,
    n_options: int = 3,
    accuracy: float | dict[str, float] = 0.7,
    participant_sd: float = 0.0,
    item_sd: float = 0.0,
    n_catch: int = 0,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per answer with every documented column.

    accuracy: the probability of a correct answer (for a typical participant and item when the
    sds are positive, on the logit scale); a dict gives one condition per key. Wrong answers
    pick a wrong option uniformly. Catch trials are answered correctly with probability 0.95.
    """
    rng = np.random.default_rng(seed)
    targets = accuracy if isinstance(accuracy, dict) else {"main": accuracy}
    people = _participants(rng, n_participants)
    frames = [
        _condition_answers(
            rng,
            people,
            condition=condition,
            target=target,
            n_trials=n_trials,
            n_options=n_options,
            participant_sd=participant_sd,
            item_sd=item_sd,
        )
        for condition, target in targets.items()
    ]
    if n_catch:
        frames.append(_catch_answers(rng, people, n_catch=n_catch, n_options=n_options))
    return pd.concat(frames, ignore_index=True)


def _participants(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant": [f"P{i:04d}" for i in range(n)],
            "gender": rng.choice(GENDERS, size=n),
            "musical_level": rng.choice(MUSICAL_LEVELS, size=n),
        }
    )


def _condition_answers(
    rng: np.random.Generator,
    people: pd.DataFrame,
    *,
    condition: str,
    target: float,
    n_trials: int,
    n_options: int,
    participant_sd: float,
    item_sd: float,
) -> pd.DataFrame:
    n_people = len(people)
    person = np.repeat(np.arange(n_people), n_trials)
    trial = np.tile(np.arange(n_trials), n_people)
    eta = (
        logit(target)
        + rng.normal(0, participant_sd, n_people)[person]
        + rng.normal(0, item_sd, n_trials)[trial]
    )
    correct_option = rng.integers(0, n_options, n_trials)
    trial_class = correct_option  # option i of every trial belongs to class i
    is_correct = rng.random(len(person)) < expit(eta)
    wrong_shift = rng.integers(1, n_options, len(person)) if n_options > 1 else 0
    chosen_option = np.where(
        is_correct, correct_option[trial], (correct_option[trial] + wrong_shift) % n_options
    )
    screen = rng.random((len(person), n_options)).argsort(axis=1)
    position = np.argmax(screen == chosen_option[:, None], axis=1)
    correct_position = np.argmax(screen == correct_option[trial][:, None], axis=1)
    names = np.array([f"{condition}-t{t:03d}" for t in range(n_trials)])
    return pd.DataFrame(
        {
            "participant": people["participant"].to_numpy()[person],
            "trial": names[trial],
            "item": names[trial],
            "condition": condition,
            "class": [f"class{c}" for c in trial_class[trial]],
            "chosen_class": [f"class{c}" for c in chosen_option],
            "n_options": n_options,
            "chosen": [f"{n}-o{o}" for n, o in zip(names[trial], chosen_option, strict=True)],
            "correct": [
                f"{n}-o{o}" for n, o in zip(names[trial], correct_option[trial], strict=True)
            ],
            "position": position,
            "correct_position": correct_position,
            "rt_ms": rng.lognormal(np.log(4000), 0.4, len(person)).round(),
            "plays": rng.integers(1, 4, len(person)),
            "gender": people["gender"].to_numpy()[person],
            "musical_level": people["musical_level"].to_numpy()[person],
            "is_catch": False,
        }
    )


def _catch_answers(
    rng: np.random.Generator, people: pd.DataFrame, *, n_catch: int, n_options: int
) -> pd.DataFrame:
    n_people = len(people)
    person = np.repeat(np.arange(n_people), n_catch)
    trial = np.tile(np.arange(n_catch), n_people)
    passed = rng.random(len(person)) < 0.95
    names = np.array([f"catch-t{t:03d}" for t in range(n_catch)])
    return pd.DataFrame(
        {
            "participant": people["participant"].to_numpy()[person],
            "trial": names[trial],
            "condition": "catch",
            "n_options": n_options,
            "chosen": np.where(passed, "catch-right", "catch-wrong"),
            "correct": "catch-right",
            "rt_ms": rng.lognormal(np.log(3000), 0.4, len(person)).round(),
            "gender": people["gender"].to_numpy()[person],
            "musical_level": people["musical_level"].to_numpy()[person],
            "is_catch": True,
        }
    )
