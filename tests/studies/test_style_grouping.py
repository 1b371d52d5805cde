"""A researcher sets up a style-grouping study: parameters are checked, the boards are built."""

from collections import Counter

import pytest

from studies.designs import DesignError
from studies.designs.style_grouping import Params
from studies.import_models import ImportBatch
from studies.models import Stimulus, Study, Trial
from tests.studies.grouping_fixtures import grouping_study, imported_pictures

pytestmark = pytest.mark.django_db


def boards_of(study: Study) -> list[Trial]:
    return list(
        Trial.objects.filter(phase__study=study)
        .prefetch_related("options__stimulus")
        .order_by("order")
    )


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ({"n_groups": 1}, "n_groups must be a whole number from 2 to 6."),
        ({"n_groups": True}, "n_groups must be a whole number from 2 to 6."),
        ({"items_per_group": 9}, "items_per_group must be a whole number from 2 to 8."),
        ({"n_trials": 0}, "n_trials must be a whole number from 1 to 5."),
        ({"clip_seconds": 31}, "clip_seconds must be a whole number from 4 to 30."),
        ({"n_groups": 5}, "There are 4 periods; ask for at most 4 groups, or set band_years."),
        (
            {"n_groups": 6, "items_per_group": 5, "band_years": 50},
            "A board holds at most 24 items; n_groups x items_per_group is 30.",
        ),
        ({"band_years": 5}, "band_years must be empty or a whole number from 10 to 500."),
        ({"tell_n_groups": "yes"}, "tell_n_groups must be true or false."),
        ({"import_batch": "one"}, "import_batch must be empty or the id of an import."),
        ({"import_batch": 999}, "There is no import 999."),
        ({"colours": 3}, "Unknown design parameter 'colours'"),
    ],
)
def test_each_bad_parameter_is_refused_with_its_sentence(values, sentence):
    with pytest.raises(DesignError) as refused:
        Params.from_dict(values)
    assert any(problem.startswith(sentence) for problem in refused.value.problems), (
        refused.value.problems
    )


def test_an_import_with_too_few_dated_items_is_refused():
    batch = ImportBatch.objects.create(name="few", format=ImportBatch.Format.GENERIC)
    with pytest.raises(DesignError) as refused:
        Params.from_dict({"import_batch": batch.pk})
    assert refused.value.problems == [f"Import {batch.pk} has no dated items."]


@pytest.mark.slow
def test_a_tiny_corpus_study_has_boards_of_clips_from_distinct_periods():
    study = grouping_study(n_groups=2, items_per_group=2, n_trials=2, clip_seconds=4)
    assert study.status == Study.Status.READY, study.build_problems
    boards = boards_of(study)
    assert [b.trial_type for b in boards] == [Trial.Type.GROUPING] * 2
    assert [b.class_label for b in boards] == ["board 1", "board 2"]
    used = []
    for board in boards:
        options = list(board.options.all())
        # Two groups spread over time: the first and the last period.
        assert Counter(o.identity for o in options) == {"Renaissance": 2, "Romantic": 2}
        assert not any(o.is_correct for o in options)
        assert board.prompt_id in {o.stimulus_id for o in options}
        assert all(o.stimulus.kind == Stimulus.Kind.AUDIO for o in options)
        assert all(4 <= o.stimulus.duration_s <= 4.5 for o in options)
        used += [o.stimulus_id for o in options]
    assert len(set(used)) == len(used)  # no item is on two boards
    midi = Stimulus.objects.filter(study=study, kind=Stimulus.Kind.MIDI)
    assert midi.count() == 8
    composers = {s.provenance["composer"] for s in midi}
    assert len(composers) >= 3  # spread over composers, not one composer per period


def test_an_import_study_groups_its_items_by_year_band_and_leaves_out_those_on_a_border():
    years = [(1610, 2), (1620, 0), (1630, 1), (1720, 3), (1700, 0), (1710, 5), (1648, 5)]
    batch = imported_pictures(years)
    study = grouping_study(n_groups=2, items_per_group=3, band_years=50, import_batch=batch.pk)
    assert study.status == Study.Status.READY, study.build_problems
    (board,) = boards_of(study)
    options = list(board.options.all())
    assert Counter(o.identity for o in options) == {"1600-1649": 3, "1700-1749": 3}
    assert all(o.stimulus.kind == Stimulus.Kind.IMAGE for o in options)
    provenance_years = {o.stimulus.provenance["year"] for o in options}
    assert 1648 not in provenance_years  # 1643-1653 lies across two bands


def test_a_period_with_too_few_items_fails_the_build_with_the_counts():
    batch = imported_pictures([(1610, 0), (1620, 0), (1630, 0), (1640, 0), (1800, 0), (1810, 0)])
    study = grouping_study(n_groups=2, items_per_group=3, import_batch=batch.pk)
    assert study.status == Study.Status.DRAFT
    assert study.build_problems == [
        "Only 1 group(s) have the 3 dated items needed for 2 groups (Renaissance: 0, "
        "Baroque: 4, Classical: 2, Romantic: 0); ask for fewer groups or items."
    ]
    assert not Stimulus.objects.filter(study=study).exists()
