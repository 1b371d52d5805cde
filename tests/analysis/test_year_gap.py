"""Accuracy by year gap: the band a period matching trial names, and the logistic regression
of correct on the gap, checked on tables whose answer is known."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis import build_report
from analysis.html_report import render_html
from analysis.notes import Notes
from analysis.pdf_report import render_pdf
from analysis.year_gap import (
    fit_year_gap,
    gap_band,
    gap_class_label,
    gap_of_class,
    year_gap_analysis,
)
from tests.analysis.pdf_reading import pdf_text


@pytest.mark.parametrize(
    ("gap", "label", "middle"),
    [
        (20.0, "gap 20-29 years", 25.0),
        (29.9, "gap 20-29 years", 25.0),
        (152.5, "gap 150-199 years", 175.0),
        (499.0, "gap 450-499 years", 475.0),
        (612.0, "gap 600-699 years", 650.0),
    ],
)
def test_a_trial_names_the_band_of_its_gap_and_the_analysis_reads_it_back(gap, label, middle):
    assert gap_class_label(gap) == label
    assert gap_of_class(label) == middle
    first, last = gap_band(gap)
    assert first <= gap < last + 1


@pytest.mark.parametrize("label", ["3", "", None, float("nan"), "gap 20 years", "gap x-y years"])
def test_other_classes_are_not_gaps(label):
    assert gap_of_class(label) is None


def answers(counts: dict[str, tuple[int, int]], *, participants: int = 4) -> pd.DataFrame:
    """Rows for band -> (correct, wrong), dealt round-robin over participants."""
    rows = []
    for band, (right, wrong) in counts.items():
        for n, correct in enumerate([True] * right + [False] * wrong):
            rows.append(
                {
                    "participant": f"P{n % participants}",
                    "trial": f"{band}/{n}",
                    "condition": "period matching",
                    "n_options": 3,
                    "class": band,
                    "chosen": "same period" if correct else "nearest distractor",
                    "correct": "same period",
                }
            )
    return pd.DataFrame(rows)


def with_is_correct(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(is_correct=table["chosen"] == table["correct"])


def test_two_bands_give_the_slope_between_their_log_odds():
    # 50% right at a 25-year gap, 80% at 125 years: 100 years apart, so the slope is
    # logit(0.8) - logit(0.5) = ln 4 per 100 years, the odds ratio 4.
    table = with_is_correct(answers({"gap 20-29 years": (10, 10), "gap 100-149 years": (16, 4)}))
    fit = fit_year_gap(table, condition="period matching")
    assert fit.slope_per_100y == pytest.approx(math.log(4), abs=1e-6)
    assert fit.odds_ratio_per_100y == pytest.approx(4.0, abs=1e-5)
    assert fit.intercept == pytest.approx(-0.25 * math.log(4), abs=1e-6)
    assert fit.ci_low < fit.slope_per_100y < fit.ci_high
    assert fit.n_answers == 40 and fit.n_bands == 2 and fit.n_participants == 4
    assert fit.errors == "answers taken as independent"


def test_a_planted_effect_is_found_and_its_absence_is_not():
    rng = np.random.default_rng(5)
    bands = ["gap 20-29 years", "gap 50-59 years", "gap 100-149 years", "gap 200-249 years"]
    middles = np.array([gap_of_class(b) for b in bands]) / 100

    def simulated(slope: float) -> pd.DataFrame:
        counts = {}
        for band, x in zip(bands, middles, strict=True):
            p = 1 / (1 + math.exp(-(-0.5 + slope * x)))
            right = int(rng.binomial(300, p))
            counts[band] = (right, 300 - right)
        return with_is_correct(answers(counts, participants=20))

    planted = fit_year_gap(simulated(1.0), condition="period matching")
    assert planted.errors == "cluster-robust by participant"
    assert planted.p_value < 0.001 and planted.ci_low < 1.0 < planted.ci_high
    flat = fit_year_gap(simulated(0.0), condition="period matching")
    assert flat.p_value > 0.01 and flat.ci_low < 0 < flat.ci_high


def test_what_cannot_be_fitted_is_said_instead():
    notes = Notes()
    one_band = with_is_correct(answers({"gap 20-29 years": (3, 3)}))
    assert fit_year_gap(one_band, condition="period matching", notes=notes) is None
    all_right = with_is_correct(answers({"gap 20-29 years": (3, 0), "gap 50-59 years": (3, 0)}))
    assert fit_year_gap(all_right, condition="period matching", notes=notes) is None
    assert [n.message for n in notes] == [
        "condition 'period matching': no year-gap regression, every trial has the same gap band.",
        "condition 'period matching': no year-gap regression, every answer is right.",
    ]


def test_only_conditions_whose_classes_are_gaps_are_analysed():
    gaps = answers({"gap 20-29 years": (5, 5), "gap 100-149 years": (8, 2)})
    digits = answers({"3": (5, 5), "7": (6, 4)}).assign(condition="main")
    fits, bands = year_gap_analysis(with_is_correct(pd.concat([gaps, digits])))
    assert [fit.condition for fit in fits] == ["period matching"]
    assert bands.to_dict("records") == [
        {
            "condition": "period matching",
            "gap_band": "gap 20-29 years",
            "gap_years": 25.0,
            "n_answers": 10,
            "n_correct": 5,
            "accuracy": 0.5,
        },
        {
            "condition": "period matching",
            "gap_band": "gap 100-149 years",
            "gap_years": 125.0,
            "n_answers": 10,
            "n_correct": 8,
            "accuracy": 0.8,
        },
    ]


def test_the_report_carries_the_year_gap_fit_its_table_and_a_section():
    table = answers({"gap 20-29 years": (10, 10), "gap 100-149 years": (16, 4)})
    report = build_report(table, mixed_model=False, n_bootstrap=50)
    data = report.to_dict()
    (fit,) = data["tables"]["year_gap"]
    assert fit["condition"] == "period matching"
    assert fit["slope_per_100y"] == pytest.approx(math.log(4), abs=1e-6)
    assert list(report.tables["year_gap_bands"]["gap_band"]) == [
        "gap 20-29 years",
        "gap 100-149 years",
    ]
    classes = report.tables["classes"].set_index("class")["accuracy"]
    assert classes["gap 100-149 years"] == pytest.approx(0.8)
    html = render_html(report)
    assert "Accuracy by year gap" in html and "1.386" in html
    assert any(line.startswith("Year gap") for line in report.tests_used)
    assert '<img alt="Accuracy by year gap" src="data:image/png;base64,' in html
    pdf = pdf_text(render_pdf(report, figures=[]))
    assert pdf.count("Accuracy by year gap") >= 2  # the section's heading and its figure's title
    assert "slope_per_100y" in pdf and "1.386" in pdf and "gap 100-149 years" in pdf


def test_a_report_without_gaps_has_no_year_gap_section():
    table = answers({"3": (5, 5), "7": (6, 4)})
    report = build_report(table, mixed_model=False, n_bootstrap=50)
    assert "year_gap" not in report.tables and "year_gap_bands" not in report.tables
    assert "Accuracy by year gap" not in render_html(report)
    pdf = pdf_text(render_pdf(report, figures=[]))
    assert "Accuracy by year gap" not in pdf and "Grouping (adjusted Rand index)" not in pdf
