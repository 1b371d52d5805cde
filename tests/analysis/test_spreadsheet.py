"""Text that a spreadsheet would run as a formula is neutralised in every CSV the reports write."""

import io
import zipfile

import pandas as pd

from analysis.data_export import render_csv_zip
from analysis.report import build_report
from analysis.simulate import simulate_answers
from analysis.spreadsheet import safe_cell, safe_table


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers():
    hostile = ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx")
    for text in hostile:
        assert safe_cell(text) == "'" + text
    assert safe_cell("P12") == "P12"
    assert safe_cell(-7.5) == -7.5
    assert safe_cell("") == ""
    table = pd.DataFrame({"who": ["=1+1", "ok"], "rt": [-3.0, 4.0]})
    safe = safe_table(table)
    assert list(safe["who"]) == ["'=1+1", "ok"] and list(safe["rt"]) == [-3.0, 4.0]
    assert list(table["who"]) == ["=1+1", "ok"]  # the report's own table is untouched


def test_a_hostile_condition_name_reaches_the_report_csv_neutralised():
    answers = simulate_answers(n_participants=6, n_trials=6, accuracy=0.7, seed=2)
    answers["condition"] = '=HYPERLINK("http://evil","x")'
    report = build_report(answers, title="t", n_bootstrap=50, mixed_model=False)
    with zipfile.ZipFile(io.BytesIO(render_csv_zip(report))) as archive:
        conditions = archive.read("conditions.csv").decode()
    assert "'=HYPERLINK" in conditions
    assert "\n=HYPERLINK" not in conditions and not conditions.startswith("=")
