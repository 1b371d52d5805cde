"""The PDF report reads like the HTML one: A4 pages, tables as tables, every figure with its
title, legend and caption, readable labels; rendering prints nothing."""

import logging
import re
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from analysis import build_report, render_html, render_pdf, report_figures, simulate_answers
from analysis.plots import participant_histogram
from analysis.report_text import TABLE_TITLES
from tests.analysis.pdf_reading import pdf_pages, pdf_text


@pytest.fixture(scope="module")
def two_tests():
    answers = simulate_answers(
        n_participants=14,
        n_trials=12,
        n_options=2,
        accuracy={"brightness": 0.75, "contrast": 0.5},
        seed=5,
    )
    report = build_report(answers, title="Two transformation tests", n_bootstrap=60)
    figures = report_figures(report)
    return report, figures, render_pdf(report, figures=figures)


def words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_every_page_is_a4_and_page_one_opens_with_table_one(two_tests):
    report, _, pdf = two_tests
    pages = pdf_pages(pdf)
    assert len(pages) >= 4
    assert all(page.is_a4_portrait() for page in pages), [(p.width, p.height) for p in pages]
    first = pages[0].text
    assert first.index("Two transformation tests") < first.index("Table 1") < first.index("Summary")
    for heading in ("test", "n participants", "n answers", "chance", "accuracy", "95% CI"):
        assert f"\n{heading}\n" in first
    assert "\np Holm\n" in first and "\nkappa (Fleiss)\n" in first
    assert "Table 1. Accuracy per test against its own chance level" in words(first)
    assert f"page 1 of {len(pages)}" in first


def test_the_text_layer_holds_every_section_table_heading_figure_and_caption(two_tests):
    report, figures, pdf = two_tests
    text = pdf_text(pdf)
    flowing = words(text)
    for section in ("Summary", "Notes", "Exclusions", "Results per condition", "Tests used"):
        assert f"\n{section}\n" in text
    for heading in ("Clopper-Pearson", "Wilson", "binomial p", "Holm p", "mixed p"):
        assert f"\n{heading}\n" in text, "the results table is a table, not a text dump"
    for figure in figures:
        assert figure.title in text
        assert words(figure.caption) in flowing, figure.name
    for legend in ("pooled (Clopper-Pearson)", "chance 1/k", "correct option", "equal shares"):
        assert f"\n{legend}\n" in text
    shown = [title for name, title in TABLE_TITLES.items() if len(report.tables[name])]
    assert all(title in text for title in shown)
    assert "wilson_low" in text and "first" in text, "ligatures kept out of the text layer"


def test_poppler_renders_every_page_at_a4(two_tests, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: ./synlab setup installs Debian's poppler-utils")
    _, _, pdf = two_tests
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(source), str(tmp_path / "p")], check=True)
    from PIL import Image

    sizes = {Image.open(path).size for path in tmp_path.glob("p-*.png")}
    assert sizes == {(414, 585)}, sizes  # 8.27 x 11.69 in at 50 dpi


def test_participant_accuracies_of_065_and_070_fall_in_different_bars():
    rows = []
    for participant, n_correct in (("A", 13), ("B", 14)):
        for trial in range(20):
            right = trial < n_correct
            rows.append(
                {
                    "participant": participant,
                    "trial": str(trial),
                    "condition": "main",
                    "n_options": 2,
                    "chosen": "yes" if right else "no",
                    "correct": "yes",
                }
            )
    report = build_report(pd.DataFrame(rows), n_bootstrap=10, mixed_model=False)
    axes = participant_histogram(report).figure.axes[0]
    filled = [bar for bar in axes.patches if bar.get_height() > 0]
    assert len(filled) == 2
    for bar, value in zip(sorted(filled, key=lambda b: b.get_x()), (0.65, 0.70), strict=True):
        assert bar.get_x() < value < bar.get_x() + bar.get_width()
        assert bar.get_x() + bar.get_width() / 2 == pytest.approx(value)


def test_demographic_group_sizes_are_readable():
    answers = simulate_answers(n_participants=12, n_trials=6, seed=2)
    report = build_report(answers, n_bootstrap=10, mixed_model=False)
    figure = next(f for f in report_figures(report) if f.name == "demographics").figure
    labels = [t for t in figure.findobj(Text) if t.get_text().startswith("n=")]
    assert labels
    for label in labels:
        assert label.get_rotation() == 0 and label.get_fontsize() >= 7
        assert label.get_color() not in ("white", "w", "#ffffff")


def test_rendering_prints_no_warning_and_draws_names_as_written(caplog):
    answers = simulate_answers(n_participants=6, n_trials=5, seed=3)
    answers["condition"] = "price $5 vs $6 漢字"
    answers["class"] = np.where(answers.index % 2, "A", "B")
    report = build_report(answers, n_bootstrap=10)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.INFO):
        warnings.simplefilter("always")
        figures = report_figures(report)
        render_html(report, figures=figures)
        pdf = render_pdf(report, figures=figures)
    assert [str(w.message) for w in caught] == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib")] == []
    assert "price $5 vs $6" in pdf_text(pdf)


def test_long_tables_continue_on_the_next_page_under_their_header():
    answers = simulate_answers(n_participants=5, n_trials=28, accuracy={"a": 0.6, "b": 0.7}, seed=4)
    report = build_report(answers, n_bootstrap=10, mixed_model=False)
    pages = pdf_pages(render_pdf(report))
    assert len(report.tables["trials"]) == 56
    trial_pages = [p.text for p in pages if re.search(r"\n[ab]-t0\d\d\n", p.text)]
    assert len(trial_pages) >= 2, "56 rows do not fit one page"
    assert all("wilson_low" in text for text in trial_pages), "the header repeats"
    rows = "\n".join(trial_pages)
    assert all(f"\n{trial}\n" in rows for trial in report.tables["trials"]["trial"])


def test_demographic_groups_are_labelled_as_people_write_them():
    from analysis.plot_breakdowns import group_label

    assert group_label("prefer_not_to_say") == "Prefer not to say"
    assert group_label("18-24") == "18-24"
    assert group_label("amateur") == "Amateur"
