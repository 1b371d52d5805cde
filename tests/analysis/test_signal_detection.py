"""d' and c on constructed yes/no answer tables, against values computed by hand."""

import math

import pandas as pd
import pytest

from analysis import build_report
from analysis.html_report import render_html
from analysis.pdf_report import render_pdf
from analysis.signal_detection import (
    condition_signal_detection,
    d_prime_and_criterion,
    participant_signal_detection,
)
from tests.analysis.pdf_reading import pdf_text

Z_07 = 0.5244005127080407  # z(0.7)
Z_09 = 1.2815515655446004  # z(0.9)


def answers_of(participant: str, *, hits: int, misses: int, false_alarms: int, rejections: int):
    """Rows of one participant's yes/no answers with these counts."""
    rows = []
    kinds = [
        ("yes", "yes", hits),
        ("yes", "no", misses),
        ("no", "yes", false_alarms),
        ("no", "no", rejections),
    ]
    for correct, chosen, count in kinds:
        rows += [
            {
                "participant": participant,
                "trial": f"{correct}-{chosen}-{n}",
                "item": f"clip-{n}",
                "condition": "fit (yes/no)",
                "n_options": 2,
                "chosen": chosen,
                "correct": correct,
            }
            for n in range(count)
        ]
    return rows


def test_three_hits_and_one_false_alarm_in_four_each_give_d_prime_1_049():
    # H = (3 + 0.5) / (4 + 1) = 0.7, F = (1 + 0.5) / (4 + 1) = 0.3:
    # d' = z(0.7) - z(0.3) = 2 x 0.5244 = 1.0488; c = -(0.5244 - 0.5244) / 2 = 0.
    table = participant_signal_detection(
        pd.DataFrame(answers_of("P1", hits=3, misses=1, false_alarms=1, rejections=3))
    )
    row = table.iloc[0]
    assert (row["hits"], row["signal_trials"], row["false_alarms"], row["noise_trials"]) == (
        3,
        4,
        1,
        4,
    )
    assert row["hit_rate"] == pytest.approx(0.7) and row["false_alarm_rate"] == pytest.approx(0.3)
    assert row["d_prime"] == pytest.approx(2 * Z_07, abs=1e-9)
    assert row["criterion"] == pytest.approx(0.0, abs=1e-12)


def test_rates_of_one_and_zero_stay_finite_with_the_log_linear_correction():
    # All 4 hits, no false alarm: uncorrected H = 1, F = 0 and d' would be infinite.
    # Corrected H = 4.5 / 5 = 0.9, F = 0.5 / 5 = 0.1: d' = 2 z(0.9) = 2.5631, c = 0.
    d_prime, criterion = d_prime_and_criterion(
        hits=4, signal_trials=4, false_alarms=0, noise_trials=4
    )
    assert d_prime == pytest.approx(2 * Z_09, abs=1e-9)
    assert criterion == pytest.approx(0.0, abs=1e-12)
    # All hits, half false alarms: H = 0.9, F = 2.5 / 5 = 0.5: d' = z(0.9), c = -z(0.9) / 2
    # (a lean towards "yes").
    d_prime, criterion = d_prime_and_criterion(
        hits=4, signal_trials=4, false_alarms=2, noise_trials=4
    )
    assert d_prime == pytest.approx(Z_09, abs=1e-9)
    assert criterion == pytest.approx(-Z_09 / 2, abs=1e-9)


def test_pooled_d_prime_sums_the_counts_and_participants_are_tested_against_zero():
    answers = pd.DataFrame(
        answers_of("P1", hits=3, misses=1, false_alarms=1, rejections=3)
        + answers_of("P2", hits=4, misses=0, false_alarms=0, rejections=4)
        + answers_of("P3", hits=4, misses=0, false_alarms=2, rejections=2)
    )
    summary = condition_signal_detection(answers).iloc[0]
    # Pooled: 11 hits of 12, 3 false alarms of 12: H = 11.5 / 13, F = 3.5 / 13.
    from scipy.stats import norm

    expected = norm.ppf(11.5 / 13) - norm.ppf(3.5 / 13)
    assert summary["pooled_d_prime"] == pytest.approx(expected)
    assert summary["participant_d_prime_mean"] == pytest.approx((2 * Z_07 + 2 * Z_09 + Z_09) / 3)
    assert summary["n_participants"] == 3
    assert 0 < summary["participant_p"] < 0.05 and 0 < summary["pooled_p"] < 0.05


def test_a_participant_at_chance_has_d_prime_zero_and_no_significance():
    answers = pd.DataFrame(
        answers_of("P1", hits=2, misses=2, false_alarms=2, rejections=2)
        + answers_of("P2", hits=2, misses=2, false_alarms=2, rejections=2)
    )
    summary = condition_signal_detection(answers).iloc[0]
    assert summary["pooled_d_prime"] == pytest.approx(0.0, abs=1e-12)
    assert summary["pooled_p"] == pytest.approx(0.5)
    assert math.isnan(summary["participant_t"]), "no spread: no t-test"


def test_the_report_has_d_prime_only_for_yes_no_conditions():
    yes_no = answers_of("P1", hits=3, misses=1, false_alarms=1, rejections=3) + answers_of(
        "P2", hits=4, misses=0, false_alarms=0, rejections=4
    )
    three_way = [
        {
            "participant": f"P{p}",
            "trial": str(t),
            "item": f"clip-{t}",
            "condition": "emotion (1 of 3)",
            "n_options": 3,
            "chosen": "positive",
            "correct": ["positive", "neutral", "negative"][t % 3],
        }
        for p in (1, 2)
        for t in range(6)
    ]
    report = build_report(yes_no + three_way, mixed_model=False, n_bootstrap=20)
    assert list(report.tables["signal_detection"]["condition"]) == ["fit (yes/no)"]
    participants = report.tables["signal_detection_participants"]
    assert list(participants["d_prime"]) == pytest.approx([2 * Z_07, 2 * Z_09])
    assert any("log-linear" in line for line in report.tests_used)
    html = render_html(report, figures=[])
    assert "Signal detection (yes/no conditions)" in html
    assert "1.049" in html or "1.05" in html
    pdf = pdf_text(render_pdf(report, figures=[]))
    assert "Signal detection (yes/no conditions)" in pdf and "d_prime" in pdf
    assert "fit (yes/no)" in pdf and ("1.049" in pdf or "1.05" in pdf)


def test_a_report_without_yes_no_conditions_has_no_signal_detection():
    rows = [
        {
            "participant": "P1",
            "trial": str(t),
            "item": "x",
            "condition": "main",
            "n_options": 2,
            "chosen": "a",
            "correct": "a",
        }
        for t in range(4)
    ]
    report = build_report(rows, mixed_model=False, n_bootstrap=10)
    assert "signal_detection" not in report.tables
    assert "Signal detection" not in render_html(report, figures=[])
