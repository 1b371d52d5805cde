"""Period matching trials: the answer from the same period, distractors far in time (at
random or nearest in the embedding), no work used twice, the same trials for the same seed."""

import numpy as np
import pytest

from modeling.chronology.matching import (
    Candidate,
    MatchingError,
    choose_matching_trials,
    clip_midi,
    clip_tempo_qpm,
)


def works(years: list[float], *, modality: str = "music") -> list[Candidate]:
    return [
        Candidate(f"{modality}-{i}", f"work-{modality}-{i}", y, modality)
        for i, y in enumerate(years)
    ]


YEARS = [1400, 1405, 1500, 1504, 1600, 1608, 1700, 1702, 1800, 1801, 1900, 1903, 1550, 1750]


def by_key(candidates):
    return {c.key: c for c in candidates}


@pytest.mark.parametrize("how", ["year", "embedding"])
def test_each_trial_has_one_work_of_the_same_period_and_distractors_at_least_the_gap_away(how):
    candidates = works(YEARS)
    rng = np.random.default_rng(0)
    embeddings = {c.key: rng.normal(size=4) for c in candidates}
    trials = choose_matching_trials(
        candidates,
        n_trials=5,
        n_options=3,
        window=10,
        min_gap=60,
        distractors=how,
        embeddings=embeddings,
        seed=4,
    )
    known = by_key(candidates)
    assert len(trials) == 5
    for trial in trials:
        prompt = known[trial.prompt]
        assert abs(known[trial.answer].year - prompt.year) <= 10
        gaps = [abs(known[key].year - prompt.year) for key in trial.distractors]
        assert len(gaps) == 2 and min(gaps) >= 60
        assert trial.gap == min(gaps)
    prompts_and_answers = [key for t in trials for key in (t.prompt, t.answer)]
    assert len(set(prompts_and_answers)) == 10, "no work is a prompt or an answer twice"
    distractors = {key for t in trials for key in t.distractors}
    assert not distractors & set(prompts_and_answers), "no prompt or answer is a distractor"


def test_the_same_seed_gives_the_same_trials_and_another_seed_others():
    candidates = works(YEARS)
    first = choose_matching_trials(
        candidates, n_trials=4, n_options=3, window=10, min_gap=60, seed=1
    )
    again = choose_matching_trials(
        candidates, n_trials=4, n_options=3, window=10, min_gap=60, seed=1
    )
    other = choose_matching_trials(
        candidates, n_trials=4, n_options=3, window=10, min_gap=60, seed=2
    )
    assert first == again
    assert first != other


def test_embedding_distractors_are_the_far_works_nearest_the_prompt_in_the_embedding():
    # Only 1500 and 1505 lie within 5 years of each other: they are prompt and answer.
    candidates = works([1500, 1505, 1800, 1810, 1900, 1950])
    points = [[0.0, 0.0], [0.0, 0.1], [9.0, 0.0], [8.0, 0.0], [3.0, 0.0], [0.5, 0.0]]
    embeddings = {c.key: np.array(p) for c, p in zip(candidates, points, strict=True)}
    (trial,) = choose_matching_trials(
        candidates,
        n_trials=1,
        n_options=3,
        window=5,
        min_gap=50,
        distractors="embedding",
        embeddings=embeddings,
        seed=0,
    )
    assert {trial.prompt, trial.answer} == {"music-0", "music-1"}
    assert sorted(trial.distractors) == ["music-4", "music-5"], "1900 and 1950 look alike"
    by_year = choose_matching_trials(
        candidates, n_trials=1, n_options=3, window=5, min_gap=50, seed=0
    )
    assert by_year[0].gap >= 50


def test_clips_of_one_piece_are_never_prompt_and_answer_of_one_trial():
    same_piece = [Candidate("a", "piece", 1700, "music"), Candidate("b", "piece", 1700, "music")]
    far = works([1900, 1950])
    with pytest.raises(MatchingError, match="Only 0 prompts have a work of another piece"):
        choose_matching_trials(same_piece + far, n_trials=1, n_options=2, window=10, min_gap=50)


def test_cross_media_trials_take_prompts_from_one_medium_and_options_from_the_other():
    candidates = works([1600, 1800, 1900], modality="image") + works([1605, 1801, 1700, 1500])
    trials = choose_matching_trials(
        candidates,
        n_trials=2,
        n_options=2,
        window=10,
        min_gap=100,
        prompt_modality="image",
        option_modality="music",
        seed=0,
    )
    known = by_key(candidates)
    for trial in trials:
        assert known[trial.prompt].modality == "image"
        assert all(known[k].modality == "music" for k in (trial.answer, *trial.distractors))


@pytest.mark.parametrize(
    ("asked", "sentence"),
    [
        (
            {"window": 20, "min_gap": 20},
            "The same-period window must be smaller than the distractors' gap.",
        ),
        ({"distractors": "colour"}, "Distractors are chosen by 'year' or by 'embedding'."),
        ({"n_trials": 9}, "Only 6 prompts have a work of another piece within 10 years"),
        ({"n_options": 6, "min_gap": 150}, "distractors are needed."),
        ({"distractors": "embedding"}, "Distractors by embedding need the works' embeddings."),
    ],
)
def test_impossible_requests_are_refused_in_one_sentence(asked, sentence):
    values = {"n_trials": 3, "n_options": 3, "window": 10, "min_gap": 60, **asked}
    with pytest.raises(MatchingError) as refused:
        choose_matching_trials(works(YEARS), **values)
    assert sentence in str(refused.value)
    assert str(refused.value).count(". ") == 0


def test_a_clip_in_long_note_values_plays_at_the_pace_of_one_in_short_ones():
    eighths = [[i * 0.5, 0.5, 60 + i % 5, 0] for i in range(32)]
    halves = [[i * 2.0, 2.0, 60 + i % 5, 0] for i in range(32)]
    assert clip_tempo_qpm(eighths) == pytest.approx(120.0)
    assert clip_tempo_qpm(halves) == pytest.approx(480.0)
    fast, slow = clip_midi(eighths, seconds=5), clip_midi(halves, seconds=5)
    spacing = [np.median(np.diff([n.start for n in m.instruments[0].notes])) for m in (fast, slow)]
    assert spacing[0] == pytest.approx(0.25) and spacing[1] == pytest.approx(0.25)
    assert max(n.end for n in fast.instruments[0].notes) <= 5.0
    assert len(fast.instruments[0].notes) == 20, "notes from 5 s on are cut"


def test_a_prompt_without_enough_works_far_from_it_is_passed_over():
    # 1800 and 1805 would pair, but only 1500 lies 250+ years from them: one distractor.
    candidates = works([1500, 1502, 1800, 1805, 1950, 1960])
    (trial,) = choose_matching_trials(
        candidates, n_trials=1, n_options=3, window=10, min_gap=250, seed=0
    )
    known = by_key(candidates)
    assert known[trial.prompt].year in (1500, 1502)
    assert all(abs(known[k].year - known[trial.prompt].year) >= 250 for k in trial.distractors)
