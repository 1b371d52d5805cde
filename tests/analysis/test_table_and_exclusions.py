"""Reading answers tables and excluding participants, with the raw counts kept."""

import numpy as np
import pandas as pd
import pytest

from analysis.exclusions import ExclusionRules, apply_exclusions
from analysis.notes import Notes
from analysis.table import AnswersSchemaError, load_answers_csv, normalise_answers


def base_rows(participants=("p1", "p2", "p3"), trials=("t1", "t2", "t3", "t4")):
    return [
        {
            "participant": p,
            "trial": t,
            "condition": "c",
            "n_options": 3,
            "chosen": f"{t}-a",
            "correct": f"{t}-a",
            "rt_ms": 2000.0,
        }
        for p in participants
        for t in trials
    ]


def test_csv_values_are_typed_and_ids_compare_as_text(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(
        "participant,trial,condition,n_options,chosen,correct,is_catch,rt_ms,gender\n"
        "7,1,a,3,12,12,no,1500,female\n"
        "7,2,a,3,13,14,yes,,\n"
    )
    notes = Notes()
    answers = normalise_answers(load_answers_csv(path), notes=notes)
    assert answers["participant"].tolist() == ["7", "7"]
    assert answers["is_correct"].tolist() == [True, False]
    assert answers["is_catch"].tolist() == [False, True]
    assert answers["n_options"].tolist() == [3, 3]
    assert np.isnan(answers["rt_ms"].iloc[1]) and answers["gender"].iloc[1] is None
    assert answers["item"].tolist() == ["1", "2"]  # item defaults to the trial


def test_integer_ids_that_met_a_nan_still_match():
    frame = pd.DataFrame(
        {
            "participant": ["a", "b", "c"],
            "trial": [1, 1, 1],
            "condition": "x",
            "n_options": 2,
            "chosen": [3.0, 4.0, np.nan],
            "correct": [3, 3, 3],
        }
    )
    notes = Notes()
    answers = normalise_answers(frame, notes=notes)
    assert answers["is_correct"].tolist() == [True, False]
    assert any("unanswered" in n.message for n in notes)


def test_missing_required_columns_are_listed():
    with pytest.raises(AnswersSchemaError) as error:
        normalise_answers(pd.DataFrame({"participant": ["a"], "trial": ["t"]}), notes=Notes())
    assert error.value.missing == ["chosen", "condition", "correct", "n_options"]
    assert "chosen" in str(error.value)


def test_unusable_rows_are_dropped_with_counts_in_the_notes():
    rows = base_rows()
    rows[0]["n_options"] = "three"
    rows[1] = dict(rows[2])  # a repeated answer to t3
    notes = Notes()
    answers = normalise_answers(pd.DataFrame(rows), notes=notes)
    assert len(answers) == len(rows) - 2
    messages = " ".join(n.message for n in notes)
    assert "1 row(s) dropped: missing or invalid n_options" in messages
    assert "1 row(s) dropped: repeated answer" in messages


def test_exported_is_correct_that_disagrees_is_reported():
    rows = base_rows(participants=("p1",), trials=("t1", "t2"))
    frame = pd.DataFrame(rows).assign(is_correct=[True, False])
    notes = Notes()
    normalise_answers(frame, notes=notes)
    assert any("disagrees" in n.message for n in notes)


def flagged_answers():
    rows = base_rows(participants=("ok", "flagged", "unscreened", "sloppy", "fast"))
    frame = pd.DataFrame(rows)
    frame.loc[frame["participant"] == "flagged", "excluded"] = True
    frame.loc[frame["participant"] == "unscreened", "failed_screening"] = "true"
    frame.loc[frame["participant"] == "fast", "rt_ms"] = 300.0
    catch = pd.DataFrame(
        [
            {
                "participant": p,
                "trial": "catch",
                "condition": "c",
                "n_options": 3,
                "chosen": "wrong" if p == "sloppy" else "right",
                "correct": "right",
                "is_catch": True,
                "rt_ms": 1000.0,
            }
            for p in ("ok", "flagged", "unscreened", "sloppy", "fast")
        ]
    )
    return normalise_answers(pd.concat([frame, catch], ignore_index=True), notes=Notes())


def test_each_rule_reports_its_raw_counts_and_catch_trials_never_count():
    rules = ExclusionRules(max_failed_catch=0, min_median_rt_ms=1000)
    kept, summary = apply_exclusions(flagged_answers(), rules=rules, notes=Notes())
    assert sorted(kept["participant"].unique()) == ["ok"]
    assert not kept["is_catch"].any()
    raw = (summary.n_participants_raw, summary.n_answers_raw, summary.n_catch_answers)
    assert raw == (5, 20, 5)
    counts = {r.rule: (r.n_participants, r.n_answers) for r in summary.per_rule}
    assert counts == {
        "excluded_flag": (1, 4),
        "failed_screening": (1, 4),
        "failed_catch": (1, 4),
        "fast_responder": (1, 4),
    }
    assert summary.n_participants_excluded == 4 and summary.n_answers_excluded == 16
    assert summary.n_answers_kept == 4
    assert summary.excluded_participants["sloppy"] == ["failed_catch"]


def test_no_rules_keep_everybody_but_still_drop_catch_answers():
    kept, summary = apply_exclusions(flagged_answers(), rules=ExclusionRules.none(), notes=Notes())
    assert kept["participant"].nunique() == 5 and len(kept) == 20
    assert summary.per_rule == [] and summary.n_participants_excluded == 0


def test_upstream_failed_catch_counts_are_honoured():
    frame = pd.DataFrame(base_rows()).assign(failed_catch=[2] * 4 + [1] * 4 + [0] * 4)
    answers = normalise_answers(frame, notes=Notes())
    kept, _ = apply_exclusions(answers, rules=ExclusionRules(max_failed_catch=1), notes=Notes())
    assert sorted(kept["participant"].unique()) == ["p2", "p3"]


def test_reaction_time_rule_skips_people_without_times_and_says_so():
    frame = pd.DataFrame(base_rows())
    frame.loc[frame["participant"] == "p1", "rt_ms"] = np.nan
    answers = normalise_answers(frame, notes=Notes())
    notes = Notes()
    kept, _ = apply_exclusions(answers, rules=ExclusionRules(min_median_rt_ms=500), notes=notes)
    assert kept["participant"].nunique() == 3
    assert any("without reaction times" in n.message for n in notes)
