"""Fleiss' and Randolph's kappa: the textbook example, extremes, unequal raters, bootstrap."""

import numpy as np
import pandas as pd
import pytest

from analysis.agreement import (
    bootstrap_kappas,
    code_ratings,
    condition_agreement,
    count_table,
    equalise_raters,
    kappa_from_counts,
    weighted_kappas,
)
from analysis.notes import Notes
from analysis.table import normalise_answers

# Fleiss (1971) as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa 0.210.
FLEISS_TABLE = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def answers_from_counts(counts: np.ndarray, *, labels: list[str] | None = None) -> pd.DataFrame:
    """Answers whose raters x trials x category counts equal `counts` (raters = participants)."""
    labels = labels or [f"cat{j}" for j in range(counts.shape[1])]
    rows = []
    for trial, row in enumerate(counts):
        ratings = [labels[j] for j, n in enumerate(row) for _ in range(n)]
        for rater, label in enumerate(ratings):
            rows.append(
                {
                    "participant": f"r{rater:02d}",
                    "trial": f"s{trial}",
                    "condition": "fleiss",
                    "n_options": counts.shape[1],
                    "chosen": label,
                    "correct": labels[0],
                }
            )
    return normalise_answers(pd.DataFrame(rows), notes=Notes())


def test_fleiss_textbook_table_gives_0_210():
    assert kappa_from_counts(FLEISS_TABLE) == pytest.approx(0.2099, abs=5e-4)


def test_fleiss_example_through_answers_table_gives_0_210():
    answers = answers_from_counts(FLEISS_TABLE)
    codes = code_ratings(answers, n_options=5)
    assert codes.description.startswith("option identity (shared")
    np.testing.assert_array_equal(count_table(codes), FLEISS_TABLE)
    result = condition_agreement(
        answers,
        condition="fleiss",
        n_options=5,
        level=0.95,
        n_bootstrap=200,
        policy="subsample",
        seed=1,
        notes=Notes(),
    )
    assert result.fleiss_kappa == pytest.approx(0.210, abs=5e-4)
    assert result.fleiss_ci.low < 0.210 < result.fleiss_ci.high
    assert result.raters_per_trial == 14 and result.n_trials == 10


def test_randolph_kappa_uses_uniform_chance_agreement():
    observed = np.mean([(np.sum(r**2) - 14) / (14 * 13) for r in FLEISS_TABLE])
    expected = (observed - 1 / 5) / (1 - 1 / 5)
    assert kappa_from_counts(FLEISS_TABLE, method="randolph") == pytest.approx(expected)


def test_perfect_agreement_gives_kappa_one():
    # 8 raters agree on every trial; trials differ in the option chosen
    counts = np.zeros((9, 3), dtype=int)
    counts[np.arange(9), np.arange(9) % 3] = 8
    answers = answers_from_counts(counts, labels=["a", "b", "c"])
    result = condition_agreement(
        answers,
        condition="fleiss",
        n_options=3,
        level=0.95,
        n_bootstrap=100,
        policy="subsample",
        seed=0,
        notes=Notes(),
    )
    assert result.fleiss_kappa == pytest.approx(1.0)
    assert result.randolph_kappa == pytest.approx(1.0)


def test_random_answers_give_kappa_near_zero():
    rng = np.random.default_rng(3)
    rows = [
        {
            "participant": f"p{p}",
            "trial": f"t{t}",
            "condition": "c",
            "n_options": 3,
            "chosen": f"t{t}-{rng.integers(3)}",
            "correct": f"t{t}-0",
        }
        for p in range(40)
        for t in range(30)
    ]
    answers = normalise_answers(pd.DataFrame(rows), notes=Notes())
    result = condition_agreement(
        answers,
        condition="c",
        n_options=3,
        level=0.95,
        n_bootstrap=200,
        policy="subsample",
        seed=0,
        notes=Notes(),
    )
    assert abs(result.fleiss_kappa) < 0.03
    assert abs(result.randolph_kappa) < 0.03
    assert result.fleiss_ci.low < 0 < result.fleiss_ci.high


def test_agreement_on_one_category_leaves_fleiss_undefined_and_says_so():
    counts = np.tile([5, 0, 0], (4, 1))
    answers = answers_from_counts(counts, labels=["a", "b", "c"])
    notes = Notes()
    result = condition_agreement(
        answers,
        condition="same",
        n_options=3,
        level=0.95,
        n_bootstrap=50,
        policy="subsample",
        seed=0,
        notes=notes,
    )
    assert np.isnan(result.fleiss_kappa) and result.fleiss_ci is None
    assert result.randolph_kappa == pytest.approx(1.0)
    assert any("undefined" in n.message for n in notes)


def test_unit_weights_reproduce_the_point_estimate():
    answers = answers_from_counts(FLEISS_TABLE)
    codes = code_ratings(answers, n_options=5)
    n_k = codes.n_categories
    chosen = np.zeros((codes.n_participants, codes.n_trials * n_k))
    chosen[codes.participant, codes.trial * n_k + codes.category] = 1
    rated = np.zeros((codes.n_participants, codes.n_trials))
    rated[codes.participant, codes.trial] = 1
    fleiss, randolph = weighted_kappas(
        np.ones((1, codes.n_participants)), chosen=chosen, rated=rated, n_categories=n_k
    )
    assert fleiss[0] == pytest.approx(kappa_from_counts(FLEISS_TABLE))
    assert randolph[0] == pytest.approx(kappa_from_counts(FLEISS_TABLE, method="randolph"))


def test_bootstrap_is_seeded_and_centred_on_the_estimate():
    codes = code_ratings(answers_from_counts(FLEISS_TABLE), n_options=5)
    first, _ = bootstrap_kappas(codes, n_bootstrap=300, seed=7)
    again, _ = bootstrap_kappas(codes, n_bootstrap=300, seed=7)
    np.testing.assert_array_equal(first, again)
    assert len(first) == 300
    assert abs(np.median(first) - 0.21) < 0.08


def unequal_answers() -> pd.DataFrame:
    rows = []
    for t, raters in enumerate([6, 6, 4, 1]):
        rows += [
            {
                "participant": f"p{p}",
                "trial": f"t{t}",
                "condition": "c",
                "n_options": 2,
                "chosen": "x" if p % 2 else "y",
                "correct": "x",
            }
            for p in range(raters)
        ]
    return normalise_answers(pd.DataFrame(rows), notes=Notes())


def test_unequal_raters_are_subsampled_to_the_smallest_count_and_reported():
    kept, how = equalise_raters(unequal_answers(), policy="subsample", seed=0)
    assert kept.groupby("key").size().tolist() == [4, 4, 4]
    assert "ranged from 1 to 6" in how and "subsampled" in how and "1 trial(s)" in how


def test_unequal_raters_can_be_restricted_to_complete_trials():
    kept, how = equalise_raters(unequal_answers(), policy="complete_trials", seed=0)
    assert sorted(kept["trial"].unique()) == ["t0", "t1"]
    assert "rated by all 6 raters" in how


def test_condition_agreement_notes_what_it_did_with_unequal_raters():
    notes = Notes()
    result = condition_agreement(
        unequal_answers(),
        condition="c",
        n_options=2,
        level=0.95,
        n_bootstrap=50,
        policy="subsample",
        seed=0,
        notes=notes,
    )
    assert result.raters_per_trial == 4
    assert result.rater_handling is not None
    assert any(n.level == "warning" and "raters per trial" in n.message for n in notes)


def test_trials_with_their_own_options_are_ranked_within_trial():
    answers = normalise_answers(
        pd.DataFrame(
            {
                "participant": ["a", "b", "a", "b"],
                "trial": ["t1", "t1", "t2", "t2"],
                "condition": "c",
                "n_options": 2,
                "chosen": ["t1-y", "t1-y", "t2-x", "t2-y"],
                "correct": ["t1-x", "t1-x", "t2-x", "t2-x"],
            }
        ),
        notes=Notes(),
    )
    codes = code_ratings(answers, n_options=2)
    assert "ranked within each trial" in codes.description
    np.testing.assert_array_equal(count_table(codes), [[0, 2], [1, 1]])
