"""build_report as a researcher uses it: planted effects, chance answers, and awkward studies."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis import (
    ExclusionRules,
    build_report,
    render_html,
    render_json,
    render_pdf,
    report_figures,
)
from analysis.significance import binomial_test_against_chance
from analysis.simulate import simulate_answers

SYNVAE_STUDY = {"n_participants": 21, "n_trials": 20, "n_options": 3}


def quick_report(answers, **kwargs):
    kwargs.setdefault("n_bootstrap", 200)
    return build_report(answers, title="test", **kwargs)


def test_planted_accuracy_of_0_70_is_recovered_and_beats_chance():
    answers = simulate_answers(**SYNVAE_STUDY, accuracy=0.70, seed=11)
    report = quick_report(answers)
    [condition] = report.conditions
    interval = condition.test.clopper_pearson
    assert interval.low < 0.70 < interval.high
    assert condition.test.p_value < 1e-6 and condition.p_holm < 0.05
    assert condition.mixed.p_value < 0.05
    assert condition.mixed.accuracy_typical_interval.low < 0.70
    assert condition.agreement.fleiss_kappa > 0.1
    assert (condition.n_participants, condition.n_answers, condition.chance) == (21, 420, 1 / 3)


def test_random_answerers_do_not_beat_chance():
    answers = simulate_answers(**SYNVAE_STUDY, accuracy=1 / 3, seed=12)
    [condition] = quick_report(answers).conditions
    assert condition.test.p_value > 0.05
    assert condition.mixed.p_value > 0.05
    assert abs(condition.agreement.fleiss_kappa) < 0.05


def test_false_positive_rate_of_the_pooled_test_stays_near_alpha():
    rejections = 0
    for seed in range(200):
        answers = simulate_answers(**SYNVAE_STUDY, accuracy=1 / 3, seed=1000 + seed)
        correct = int((answers["chosen"] == answers["correct"]).sum())
        test = binomial_test_against_chance(n_correct=correct, n_answers=len(answers), chance=1 / 3)
        rejections += test.p_value < 0.05
    assert 0.01 <= rejections / 200 <= 0.09


def test_holm_correction_is_applied_across_conditions():
    answers = simulate_answers(**SYNVAE_STUDY, accuracy={"model": 0.7, "baseline": 0.36}, seed=3)
    report = quick_report(answers, mixed_model=False)
    by_name = {c.condition: c for c in report.conditions}
    raw = sorted(c.test.p_value for c in report.conditions)
    assert min(c.p_holm for c in report.conditions) == pytest.approx(2 * raw[0])
    assert by_name["model"].p_holm < 0.05
    assert by_name["baseline"].p_holm >= by_name["baseline"].test.p_value


def test_report_tables_cover_every_breakdown():
    answers = simulate_answers(**SYNVAE_STUDY, accuracy=0.7, n_catch=2, seed=5)
    report = quick_report(answers, exclusions=ExclusionRules.none(), mixed_model=False)
    tables = report.tables
    assert len(tables["participants"]) == 21
    assert len(tables["trials"]) == 20
    assert set(tables["classes"]["class"]) <= {"class0", "class1", "class2"}
    assert set(tables["demographics"]["variable"]) == {"gender", "musical_level"}
    assert tables["positions"]["n_chosen"].sum() == 420
    shares = tables["choices"].groupby("trial")["share"].sum()
    np.testing.assert_allclose(shares, 1.0)
    assert tables["choices"].groupby("trial")["is_correct"].sum().eq(1).all()
    confusion = tables["class_confusion"]
    assert confusion.groupby("class")["share"].sum().round(9).eq(1).all()
    pooled = tables["trials"]["n_correct"].sum() / tables["trials"]["n_answers"].sum()
    assert pooled == pytest.approx(report.conditions[0].accuracy)
    assert report.n_answers == 420  # the 42 catch answers are not in accuracy


def test_json_has_the_documented_keys_per_condition():
    answers = simulate_answers(**SYNVAE_STUDY, accuracy=0.7, seed=6)
    data = json.loads(render_json(quick_report(answers)))
    condition = data["conditions"]["main"]
    for key in (
        "n_participants",
        "n_answers",
        "accuracy",
        "accuracy_ci",
        "chance",
        "binomial_p",
        "binomial_p_holm",
        "fleiss_kappa",
        "mixed_model",
    ):
        assert key in condition
    assert set(condition["accuracy_ci"]) == {"low", "high", "level", "method"}
    assert {"intercept", "accuracy_typical", "p_value"} <= set(condition["mixed_model"])
    assert data["exclusions"]["n_participants_raw"] == 21
    assert data["tests_used"] and isinstance(data["notes"], list)


def single_participant():
    return simulate_answers(n_participants=1, n_trials=10, accuracy=0.7, seed=1)


def identical_answers():
    answers = simulate_answers(n_participants=5, n_trials=6, accuracy=0.7, seed=2)
    return answers.assign(chosen=answers["correct"])


def without_demographics():
    answers = simulate_answers(n_participants=6, n_trials=6, accuracy=0.7, seed=3)
    return answers.drop(columns=["gender", "musical_level"])


def one_option_trials():
    answers = simulate_answers(n_participants=6, n_trials=6, n_options=1, accuracy=0.9, seed=4)
    return answers.assign(chosen=answers["correct"])


def nan_reaction_times():
    answers = simulate_answers(n_participants=6, n_trials=6, accuracy=0.6, seed=5)
    return answers.assign(rt_ms=np.nan)


def empty_study():
    return pd.DataFrame()


def everyone_excluded():
    return simulate_answers(n_participants=4, n_trials=5, seed=6).assign(excluded=True)


BAD_INPUTS = {
    "empty study": (empty_study, "no answers"),
    "single participant": (single_participant, "two participants"),
    "identical answers": (identical_answers, "every answer is correct"),
    "no demographics": (without_demographics, "breakdown by gender skipped"),
    "one option": (one_option_trials, "single option"),
    "no reaction times": (nan_reaction_times, "without a reaction time"),
    "everyone excluded": (everyone_excluded, "no answers are left"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_awkward_studies_render_everywhere_and_say_what_is_missing(case):
    make, expected_note = BAD_INPUTS[case]
    report = quick_report(make(), n_bootstrap=50)
    messages = " ".join(n.message for n in report.notes)
    assert expected_note in messages
    figures = report_figures(report)
    page = render_html(report, figures=figures)
    assert expected_note in page.replace("&#x27;", "'")
    data = json.loads(render_json(report))
    assert expected_note in json.dumps(data["notes"])
    assert render_pdf(report, figures=figures).startswith(b"%PDF")


def test_a_condition_mixing_option_counts_is_split_by_k():
    two = simulate_answers(n_participants=8, n_trials=5, n_options=2, accuracy=0.7, seed=7)
    four = simulate_answers(n_participants=8, n_trials=5, n_options=4, accuracy=0.7, seed=8)
    four["trial"] = four["trial"] + "-four"
    report = quick_report(pd.concat([two, four]), mixed_model=False)
    assert {c.condition: c.chance for c in report.conditions} == {
        "main [k=2]": 0.5,
        "main [k=4]": 0.25,
    }
    assert any("different numbers of options" in n.message for n in report.notes)


def platform_rows():
    """Rows shaped like studies.answer_table.response_table_for_study (ints, blanks, extras)."""
    rng = np.random.default_rng(0)
    rows = []
    for p in range(1, 9):
        for order in range(1, 7):
            correct = f"digit-{order % 3}"
            chosen = correct if rng.random() < 0.8 else f"digit-{(order + 1) % 3}"
            rows.append(
                {
                    "participant": f"P{p}",
                    "trial": order,
                    "item": f"clip-{order}",
                    "condition": "",
                    "class": str(order % 3),
                    "n_options": 3,
                    "chosen": chosen,
                    "correct": correct,
                    "is_correct": chosen == correct,
                    "position": int(rng.integers(3)),
                    "sequence": order,
                    "rt_ms": int(rng.integers(800, 5000)),
                    "plays": 1,
                    "heard_to_end": True,
                    "is_catch": False,
                    "gender": "" if p == 1 else "female",
                    "age_band": "",
                    "musical_level": "amateur",
                    "prolific_pid": "",
                    "client_sent_at": "",
                    "received_at": "2026-01-01T00:00:00+00:00",
                }
            )
    return rows


def test_rows_from_the_platform_selector_are_analysed_as_they_come():
    report = quick_report(platform_rows())
    [condition] = report.conditions
    assert condition.condition == "default" and condition.n_answers == 48
    # option identities are digit labels shared by all trials: each identity is a category
    assert condition.agreement.categories.startswith("option identity (shared")
    assert condition.mixed is not None and condition.mixed.n_items == 6
    demographics = report.tables["demographics"]
    assert set(demographics.loc[demographics["variable"] == "gender", "group"]) == {
        "female",
        "(missing)",
    }
    assert not any(n.level == "warning" for n in report.notes)
