"""A researcher reports several studies (the Vis2Mus brightness, contrast and style tests) in
one Table 1, from the library and from the command line."""

import json

import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from analysis import ExclusionRules, build_report, simulate_answers
from analysis.__main__ import main
from analysis.combined import stack_studies

PLANTED = {  # study -> (condition, options, planted accuracy)
    "Brightness test": ("brightness", 2, 0.80),
    "Contrast test": ("contrast", 2, 0.50),
    "Style test": ("style", 4, 0.55),
}


def one_study(condition: str, n_options: int, accuracy: float, seed: int) -> pd.DataFrame:
    answers = simulate_answers(
        n_participants=12, n_trials=10, n_options=n_options, accuracy=accuracy, seed=seed
    )
    return answers.assign(condition=condition)


@pytest.fixture(scope="module")
def three_studies() -> dict[str, pd.DataFrame]:
    return {
        study: one_study(*planted, seed=seed)
        for seed, (study, planted) in enumerate(PLANTED.items())
    }


def test_table_one_holds_each_test_against_its_own_chance_with_holm_across_all(three_studies):
    report = build_report(stack_studies(three_studies), n_bootstrap=50, mixed_model=False)
    assert report.studies == list(PLANTED)
    table = report.tables["table1"].set_index("test")
    assert list(table.index) == ["brightness", "contrast", "style"]
    assert list(table["study"]) == list(PLANTED)
    assert list(table["chance"]) == [0.5, 0.5, 0.25]
    assert list(table["n_answers"]) == [120, 120, 120]
    assert report.n_participants == 36, "the same ids in three studies are three people each"
    _, expected, _, _ = multipletests(table["p"], method="holm")
    assert list(table["p_holm"]) == pytest.approx(list(expected))
    assert table.loc["brightness", "p_holm"] < 0.001 and table.loc["style", "p_holm"] < 0.001
    assert table.loc["contrast", "p_holm"] > 0.05, "a test at chance fails"
    assert table["fleiss_kappa"].notna().all()
    for test, row in table.iterrows():
        assert row["ci_low"] <= row["accuracy"] <= row["ci_high"], test


def test_a_condition_several_studies_share_is_named_by_study(three_studies):
    tables = {study: answers.assign(condition="main") for study, answers in three_studies.items()}
    report = build_report(stack_studies(tables), n_bootstrap=20, mixed_model=False)
    assert [c.condition for c in report.conditions] == [f"{study}: main" for study in PLANTED]
    assert [c.study for c in report.conditions] == list(PLANTED)
    participants = report.tables["participants"]["participant"]
    assert participants.str.startswith(tuple(f"{study}/" for study in PLANTED)).all()


def test_each_study_excludes_its_participants_by_its_own_rules(three_studies):
    tables = dict(three_studies)
    tables["Style test"] = tables["Style test"].assign(rt_ms=100.0)  # answered too fast
    answers = stack_studies(tables)
    same = ExclusionRules(min_median_rt_ms=300)
    shared = build_report(
        answers, exclusions=dict.fromkeys(PLANTED, same), n_bootstrap=10, mixed_model=False
    )
    assert [r.rule for r in shared.exclusions.per_rule][-1] == "fast_responder"
    assert shared.exclusions.n_participants_excluded == 12
    own = {**dict.fromkeys(PLANTED, ExclusionRules()), "Style test": same}
    report = build_report(answers, exclusions=own, n_bootstrap=10, mixed_model=False)
    assert report.exclusions.n_participants_excluded == 12
    assert [c.condition for c in report.conditions] == ["brightness", "contrast"]
    assert any("Style test: its own rules exclude 12" in n.message for n in report.notes)


def test_the_command_line_reports_several_csv_files_or_one_combined_export(
    three_studies, tmp_path, capsys
):
    paths = []
    for study, answers in three_studies.items():
        path = tmp_path / f"{study.split()[0].lower()}.csv"
        answers.to_csv(path, index=False)
        paths.append(str(path))
    assert main(["report", *paths, "--format", "json", "--bootstrap", "20"]) == 0
    from_files = json.loads(capsys.readouterr().out)
    assert from_files["studies"] == ["brightness", "contrast", "style"]
    assert [row["test"] for row in from_files["tables"]["table1"]] == [
        "brightness",
        "contrast",
        "style",
    ]
    combined = tmp_path / "combined-responses.csv"
    stack_studies(three_studies).to_csv(combined, index=False)
    assert main(["report", str(combined), "--format", "json", "--bootstrap", "20"]) == 0
    from_export = json.loads(capsys.readouterr().out)
    assert from_export["studies"] == list(PLANTED)
    for mine, theirs in zip(
        from_files["tables"]["table1"], from_export["tables"]["table1"], strict=True
    ):
        assert mine["p_holm"] == pytest.approx(theirs["p_holm"])
    assert main(["report", paths[0], paths[0]]) == 2
    assert "a file is named twice" in capsys.readouterr().err


def test_one_study_has_no_table_one_at_the_top_but_keeps_it_in_the_tables():
    report = build_report(simulate_answers(n_participants=5, n_trials=5, seed=1), n_bootstrap=10)
    from analysis import render_html

    assert len(report.tables["table1"]) == 1 and report.studies == []
    assert 'id="table-1"' not in render_html(report)
