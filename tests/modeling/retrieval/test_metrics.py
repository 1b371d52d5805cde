"""MAP on constructed embeddings whose answer is known by hand."""

import numpy as np
import pytest

from modeling.retrieval.metrics import (
    average_precision,
    cosine_similarities,
    map_both_directions,
    mean_average_precision,
)


def unit(degrees):
    radians = np.radians(degrees)
    return np.stack([np.cos(radians), np.sin(radians)], axis=1)


def test_average_precision_of_a_ranked_list():
    # relevant at ranks 1 and 3 of 4: (1/1 + 2/3) / 2
    assert average_precision([True, False, True, False]) == pytest.approx(5 / 6)
    assert average_precision([False, True]) == pytest.approx(0.5)
    assert average_precision([True, True, False]) == 1.0
    with pytest.raises(ValueError, match="at least one relevant"):
        average_precision([False, False])


def test_map_of_two_queries_ranked_by_cosine_similarity():
    # Database at 0, 30, 60 and 90 degrees with labels a, b, a, b.
    database = unit([0, 30, 60, 90])
    database_labels = np.array(["a", "b", "a", "b"])
    # Query 1 (label a) at 10 degrees ranks 0, 30, 60, 90 -> a b a b -> AP (1 + 2/3) / 2 = 5/6.
    # Query 2 (label b) at 100 degrees ranks 90, 60, 30, 0 -> b a b a -> AP 5/6 as well.
    # Query 3 (label a) at 75 degrees ranks 60 / 90 (15 degrees each; the database order breaks
    # the tie), 30, 0 -> a b b a -> AP (1/1 + 2/4) / 2 = 3/4.
    queries = unit([10, 100, 75])
    labels = np.array(["a", "b", "a"])
    expected = np.mean([5 / 6, 5 / 6, 3 / 4])
    assert mean_average_precision(queries, labels, database, database_labels) == pytest.approx(
        expected
    )


def test_scale_does_not_matter_and_perfect_or_reversed_rankings_give_the_extremes():
    database = unit([0, 5, 180, 185]) * np.array([[1.0], [7.0], [0.2], [3.0]])
    labels = np.array([0, 0, 1, 1])
    assert mean_average_precision(unit([2, 182]), [0, 1], database, labels) == 1.0
    # Reversed: the two relevant items come last of four: (1/3 + 2/4) / 2.
    assert mean_average_precision(unit([182]), [0], database, labels) == pytest.approx(5 / 12)


def test_both_directions_and_zero_vectors():
    music, images = unit([0, 90]), unit([10, 80])
    scores = map_both_directions(music, images, np.array([0, 1]), np.array([0, 1]))
    assert scores == {"music_to_image": 1.0, "image_to_music": 1.0, "mean": 1.0}
    assert cosine_similarities(np.zeros((1, 2)), unit([0]))[0, 0] == 0.0
    with pytest.raises(ValueError, match="no query has a relevant item"):
        mean_average_precision(unit([0]), [2], unit([0, 90]), [0, 1])
