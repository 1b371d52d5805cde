"""P@K, AD@K and the year regression on embeddings whose answers are known by hand."""

import numpy as np
import pytest

from modeling.chronology.metrics import (
    average_difference_at_k,
    direction_scores,
    nearest_neighbours,
    precision_at_k,
    shuffle_years_by_group,
    year_regression,
)


def line(n):
    """Items on a line, one work each, made 5 years apart in the order they lie."""
    return np.arange(n, dtype=float)[:, None], 1700.0 + 5 * np.arange(n)


def test_on_a_line_ordered_by_year_every_neighbour_is_within_ten_years():
    points, years = line(10)
    neighbours = nearest_neighbours(points, points, k=2, same_set=True)
    assert neighbours[0].tolist() == [1, 2] and neighbours[9].tolist() == [8, 7]
    assert precision_at_k(years, years, neighbours) == 1.0
    # the two ends are 5 and 10 years from their neighbours, the eight others 5 and 5
    assert average_difference_at_k(years, years, neighbours) == pytest.approx(
        (2 * 7.5 + 8 * 5.0) / 10
    )


def test_precision_counts_the_share_of_neighbours_within_the_window():
    points = np.array([[0.0], [1.0], [2.0], [100.0], [101.0], [102.0]])
    years = np.array([1700.0, 1702.0, 1750.0, 1800.0, 1801.0, 1850.0])
    neighbours = nearest_neighbours(points, points, k=2, same_set=True)
    # 1700: 1702 yes, 1750 no | 1702: 1700 yes, 1750 no | 1750: 1702 no, 1700 no; same above
    assert precision_at_k(years, years, neighbours) == pytest.approx(4 / 12)
    assert average_difference_at_k(years, years, neighbours) == pytest.approx(
        2 * (2 + 50 + 2 + 48 + 48 + 50) / 12
    )
    assert precision_at_k(years, years, neighbours, within=50) == 1.0


def test_neighbours_from_the_sources_own_work_are_left_out():
    points = np.array([[0.0], [0.0], [5.0], [6.0]])
    groups = np.array(["a", "a", "b", "c"])
    neighbours = nearest_neighbours(
        points, points, k=1, same_set=True, source_groups=groups, search_groups=groups
    )
    assert neighbours[:, 0].tolist() == [2, 2, 3, 2]
    with pytest.raises(ValueError, match="K = 3 needs at least 3 candidate neighbours"):
        nearest_neighbours(
            points, points, k=3, same_set=True, source_groups=groups, search_groups=groups
        )


def test_shuffling_deals_one_year_to_each_work():
    years = np.array([1700.0, 1700.0, 1750.0, 1800.0, 1800.0, 1800.0])
    groups = np.array(["a", "a", "b", "c", "c", "c"])
    for seed in range(20):
        dealt = shuffle_years_by_group(years, groups, np.random.default_rng(seed))
        for group in "abc":
            assert len(set(dealt[groups == group])) == 1
        assert sorted({g: y for g, y in zip(groups, dealt, strict=True)}.values()) == [
            1700.0,
            1750.0,
            1800.0,
        ]


def test_an_embedding_ordered_by_year_beats_the_shuffled_years_and_a_random_one_does_not():
    rng = np.random.default_rng(0)
    years = rng.uniform(1600, 1900, size=120).round()
    groups = np.array([f"w{i}" for i in range(120)])
    ordered = np.stack([years / 10, rng.normal(0, 0.1, 120)], axis=1)
    arguments = dict(
        source_years=years,
        search_years=years,
        source_groups=groups,
        search_groups=groups,
        same_set=True,
        k=5,
        permutations=199,
    )
    good = direction_scores(ordered, ordered, **arguments)
    assert good["precision_at_k"] > 0.8 > good["shuffled_precision_at_k"]
    assert good["ad_at_k"] < good["shuffled_ad_at_k"]
    assert good["p_value"] == good["ad_p_value"] == 1 / 200  # the smallest 199 shuffles allow
    noise = rng.normal(size=(120, 2))
    bad = direction_scores(noise, noise, **arguments)
    assert bad["p_value"] > 0.05 and bad["ad_p_value"] > 0.05


def test_cross_modal_neighbours_come_from_the_other_modality():
    music_years = np.array([1700.0, 1750.0, 1800.0])
    image_years = np.array([1701.0, 1749.0, 1802.0, 1850.0])
    music, images = music_years[:, None] / 10, image_years[:, None] / 10
    neighbours = nearest_neighbours(music, images, k=1, same_set=False)
    assert neighbours[:, 0].tolist() == [0, 1, 2]
    assert precision_at_k(music_years, image_years, neighbours) == 1.0
    assert average_difference_at_k(music_years, image_years, neighbours) == pytest.approx(4 / 3)


def test_a_regression_reads_the_year_back_from_an_embedding_that_holds_it():
    rng = np.random.default_rng(1)
    years = rng.uniform(1600, 1900, size=80)
    embedding = np.stack([(years - 1750) / 100, rng.normal(size=80)], axis=1)
    groups = np.array([f"w{i}" for i in range(80)])
    result = year_regression(
        embedding[:60],
        years[:60],
        groups[:60],
        embedding[60:],
        years[60:],
        alpha=1e-6,
        permutations=99,
    )
    assert result["mae"] < 0.01
    assert result["shuffled_mae"] > 50 and result["mean_year_mae"] > 50
    assert result["p_value"] == 1 / 100
