"""The adjusted Rand index and the grouping permutation tests, on partitions with known answers."""

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.grouping import (
    Answer,
    adjusted_rand_index,
    grouping_result,
    grouping_results,
    grouping_tables,
    permutation_p_value,
)

TRUTH = ["ren", "ren", "ren", "bar", "bar", "bar", "rom", "rom", "rom"]


def test_a_grouping_identical_to_the_truth_scores_one_whatever_the_groups_are_called():
    assert adjusted_rand_index(TRUTH, TRUTH) == 1.0
    renamed = [{"ren": 3, "bar": 1, "rom": 2}[label] for label in TRUTH]
    assert adjusted_rand_index(TRUTH, renamed) == 1.0


def test_the_index_does_not_change_when_the_items_are_listed_in_another_order():
    placed = [1, 1, 2, 2, 2, 3, 3, 1, 3]
    order = np.random.default_rng(3).permutation(len(TRUTH))
    assert adjusted_rand_index(TRUTH, placed) == pytest.approx(
        adjusted_rand_index([TRUTH[i] for i in order], [placed[i] for i in order])
    )
    assert adjusted_rand_index(TRUTH, placed) == pytest.approx(adjusted_rand_index(placed, TRUTH))


def test_a_hand_computed_case():
    # truth {a,b,c}{d,e,f}; placed {a,b}{c,d}{e,f}. Contingency [[2,1,0],[0,1,2]]:
    # sum C(n_ij,2) = 1 + 1 = 2; rows: 2 * C(3,2) = 6; columns: 3 * C(2,2) = 3; C(6,2) = 15.
    # expected = 6 * 3 / 15 = 1.2; max = (6 + 3) / 2 = 4.5; ARI = (2 - 1.2) / (4.5 - 1.2).
    truth = ["x", "x", "x", "y", "y", "y"]
    placed = [1, 1, 2, 2, 3, 3]
    assert adjusted_rand_index(truth, placed) == pytest.approx(0.8 / 3.3)


def test_a_grouping_that_splits_every_true_group_evenly_scores_below_zero():
    truth = ["x", "x", "y", "y"]
    placed = [1, 2, 1, 2]
    assert adjusted_rand_index(truth, placed) == pytest.approx(-0.5)


def test_degenerate_partitions_that_agree_score_one():
    assert adjusted_rand_index([1, 1, 1], ["a", "a", "a"]) == 1.0
    assert adjusted_rand_index([1, 2, 3], ["a", "b", "c"]) == 1.0


def test_the_index_matches_scikit_learn_on_random_partitions():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(2, 30))
        truth = rng.integers(0, int(rng.integers(1, 6)), n)
        placed = rng.integers(0, int(rng.integers(1, 8)), n)
        assert adjusted_rand_index(truth, placed) == pytest.approx(
            metrics.adjusted_rand_score(truth, placed), abs=1e-12
        )


def test_the_p_value_counts_the_observed_value_as_one_of_the_permutations():
    assert permutation_p_value(0.5, np.array([0.1, 0.2, 0.5, 0.9])) == pytest.approx(3 / 5)
    assert permutation_p_value(1.0, np.zeros(999)) == pytest.approx(1 / 1000)


def test_a_participant_who_groups_perfectly_is_far_better_than_chance():
    answers = [Answer("P1", tuple(TRUTH), tuple(TRUTH)) for _ in range(2)]
    result = grouping_result("grouping", answers, n_permutations=999, seed=1)
    (participant,) = result.participants
    assert participant.mean_ari == 1.0
    # Of 1680 equally likely shuffles of the labels only 6 rebuild the partition.
    assert participant.p_value < 0.01
    assert result.pooled_p_value < 0.01
    assert result.n_perfect == 2


def test_participants_who_group_at_random_are_not_better_than_chance():
    rng = np.random.default_rng(11)
    answers = [Answer(f"P{n}", tuple(TRUTH), tuple(rng.permutation(TRUTH))) for n in range(40)]
    result = grouping_result("grouping", answers, n_permutations=499, seed=2)
    p_values = [p.p_value for p in result.participants]
    assert abs(result.mean_ari) < 0.1
    assert result.pooled_p_value > 0.05
    assert np.mean(np.array(p_values) < 0.05) < 0.2  # about 5% by chance


def test_the_tests_are_seeded():
    rng = np.random.default_rng(5)
    answers = [Answer(f"P{n}", tuple(TRUTH), tuple(rng.permutation(TRUTH))) for n in range(5)]
    first = grouping_result("g", answers, n_permutations=200, seed=9)
    again = grouping_result("g", answers, n_permutations=200, seed=9)
    assert first == again


def test_the_grouping_table_gives_one_result_per_condition_and_its_tables():
    rows = [
        {"participant": p, "trial": 1, "condition": condition, "true_group": t, "placed_group": g}
        for condition, p in itertools.product(["told", "untold"], ["P1", "P2"])
        for t, g in zip(TRUTH, [1, 1, 1, 2, 2, 2, 3, 3, 3], strict=True)
    ]
    results = grouping_results(pd.DataFrame(rows), n_permutations=99)
    assert [r.condition for r in results] == ["told", "untold"]
    assert all(r.mean_ari == 1.0 and r.n_participants == 2 for r in results)
    tables = grouping_tables(results)
    assert list(tables["grouping"]["condition"]) == ["told", "untold"]
    assert len(tables["grouping_participants"]) == 4
    assert grouping_results([]) == []
