"""Evaluation on hand-made data: works, composers and the features-only baseline."""

import numpy as np
import pytest

from modeling.chronology.data import ChronologyData, ModalityItems, split_groups_by_period
from modeling.chronology.evaluate import evaluate_embeddings, markdown_table


def composers_data():
    """Three composers, two works each, two clips per work; all held out."""
    sources = np.repeat(["early", "also_early", "late"], 4)
    years = np.repeat([1700.0, 1705.0, 1800.0], 4)
    groups = np.array([f"{s}-{i // 2}" for i, s in enumerate(sources)])
    items = ModalityItems(
        features=np.zeros((12, 1)),
        years=years,
        uncertainty=np.zeros(12),
        groups=groups,
        sources=sources,
        split=np.full(12, "test"),
        names=groups,
    )
    return ChronologyData(music=items)


def test_across_composers_neighbours_come_from_other_composers_only():
    data = composers_data()
    # each composer's clips together; the two early composers next to each other
    embedding = {"music": data.music.years[:, None] / 10 + np.arange(12)[:, None] * 1e-3}
    options = dict(k=2, permutations=99, split="test")
    by_work = evaluate_embeddings(embedding, data, **options)
    by_source = evaluate_embeddings(embedding, data, group_by="sources", **options)
    assert by_work["grouped_by"] == "work" and by_source["grouped_by"] == "source"
    assert by_work["directions"]["M->M"]["precision_at_k"] == 1.0  # the composer's other work
    across = by_source["directions"]["M->M"]
    # early <-> also_early are 5 years apart (hits); late's nearest others are 95+ years away
    assert across["precision_at_k"] == pytest.approx(8 / 12)
    assert "| M->M |" in markdown_table(by_work)
    with pytest.raises(ValueError, match="group_by must be"):
        evaluate_embeddings(embedding, data, group_by="decade", **options)


def test_a_direction_without_enough_items_is_skipped_with_the_reason():
    data = composers_data()
    result = evaluate_embeddings({"music": np.zeros((12, 2))}, data, k=11, permutations=9)
    assert result["directions"] == {}
    assert "K = 11 needs at least 11 candidate neighbours" in result["skipped"]["M->M"]
    assert result["skipped"]["A->A"] == "no image items"


def test_the_split_keeps_every_work_in_one_split_and_every_era_in_each():
    years = np.repeat(np.arange(1500, 1900, 10.0), 3)  # 40 works of 3 clips, 8 periods
    groups = np.repeat([f"w{i}" for i in range(40)], 3)
    split = split_groups_by_period(groups, years, val_fraction=0.2, test_fraction=0.2, seed=4)
    for group in set(groups):
        assert len(set(split[groups == group])) == 1
    for period in range(1500, 1900, 50):
        in_period = (years >= period) & (years < period + 50)
        assert set(split[in_period]) == {"train", "val", "test"}
