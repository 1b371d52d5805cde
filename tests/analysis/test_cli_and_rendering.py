"""`python -m analysis` on answers collected elsewhere, and what each output format contains."""

import base64
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from analysis import build_report, render_csv_zip, render_html, report_figures
from analysis.__main__ import main
from analysis.simulate import simulate_answers

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def answers_csv(tmp_path_factory):
    answers = simulate_answers(n_participants=12, n_trials=8, accuracy=0.7, n_catch=1, seed=9)
    path = tmp_path_factory.mktemp("cli") / "answers.csv"
    answers.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def small_report():
    answers = simulate_answers(n_participants=12, n_trials=8, accuracy=0.7, seed=10)
    return build_report(answers, title="A <study> & more", n_bootstrap=100)


def test_json_report_from_the_command_line(answers_csv, tmp_path):
    out = tmp_path / "report.json"
    assert main(["report", str(answers_csv), "--out", str(out), "--bootstrap", "100"]) == 0
    data = json.loads(out.read_text())
    main_condition = data["conditions"]["main"]
    assert main_condition["binomial_p"] < 0.05
    assert data["n_answers"] + data["exclusions"]["n_answers_excluded"] == 96
    assert data["settings"]["n_bootstrap"] == 100


def test_html_pdf_and_csv_outputs_from_the_command_line(answers_csv, tmp_path):
    args = ["--bootstrap", "50", "--no-mixed-model"]
    assert main(["report", str(answers_csv), "--out", str(tmp_path / "r.html"), *args]) == 0
    assert main(["report", str(answers_csv), "--out", str(tmp_path / "r.pdf"), *args]) == 0
    assert main(["report", str(answers_csv), "--out", str(tmp_path / "t"), "--format", "csv"]) == 0
    assert main(["report", str(answers_csv), "--out", str(tmp_path / "s.csv"), *args]) == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    conditions = pd.read_csv(tmp_path / "t" / "conditions.csv")
    assert conditions.loc[0, "condition"] == "main" and conditions.loc[0, "n_answers"] > 0
    assert (tmp_path / "t" / "exclusions.csv").exists()
    assert pd.read_csv(tmp_path / "s.csv").loc[0, "condition"] == "main"
    assert (tmp_path / "s.trials.csv").exists()


def test_missing_columns_exit_with_code_2_and_name_them(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("participant,trial,choice\np1,t1,a\n")
    assert main(["report", str(path), "--out", str(tmp_path / "r.html")]) == 2
    error = capsys.readouterr().err
    assert "missing required column(s): chosen, condition, correct, n_options" in error
    assert "unknown column(s): choice" in error
    assert not (tmp_path / "r.html").exists()


def test_unknown_columns_are_refused_unless_allowed(answers_csv, tmp_path, capsys):
    path = tmp_path / "extra.csv"
    pd.read_csv(answers_csv).assign(mood="happy").to_csv(path, index=False)
    out = str(tmp_path / "r.json")
    assert main(["report", str(path), "--out", out]) == 2
    assert "unknown column(s): mood" in capsys.readouterr().err
    assert (
        main(["report", str(path), "--out", out, "--allow-extra-columns", "--bootstrap", "50"]) == 0
    )


def test_a_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.csv"), "--out", "x.html"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_the_module_runs_as_a_program(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("participant\np1\n")
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "report", str(bad), "--out", str(tmp_path / "x.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "missing required column(s)" in done.stderr


def test_plan_command_prints_participants_needed(capsys):
    assert (
        main(["plan", "--accuracy", "0.6", "--options", "2", "--trials", "20", "--no-simulation"])
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    assert plan["pooled_participants_needed"] >= 1 and plan["mixed"] is None


def test_html_is_self_contained_escaped_and_embeds_every_figure(small_report):
    figures = report_figures(small_report)
    page = render_html(small_report, figures=figures)
    assert "A &lt;study&gt; &amp; more" in page and "<study>" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(figures) >= 5
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    for text in ("Exclusions", "Tests used", "Clopper-Pearson", "Fleiss", "mixed"):
        assert text in page


def test_csv_zip_holds_every_table(small_report):
    with zipfile.ZipFile(io.BytesIO(render_csv_zip(small_report))) as archive:
        names = set(archive.namelist())
        participants = pd.read_csv(archive.open("participants.csv"))
    assert {"conditions.csv", "trials.csv", "choices.csv", "exclusions.csv", "notes.csv"} <= names
    assert len(participants) == 12


PLATFORM_EXPORT_HEADER = (
    "participant,trial,item,condition,class,n_options,chosen,correct,is_correct,position,"
    "sequence,rt_ms,plays,heard_to_end,fraction_heard,pauses,hidden_while_playing,too_fast,"
    "is_catch,gender,age_band,musical_level,prolific_pid,participant_status,failed_catch,"
    "failed_screening,chosen_class,correct_position,participant_flags,client_sent_at,received_at"
)


def test_the_platforms_own_export_is_accepted_without_flags(tmp_path):
    rows = [
        f"P{p},{t},clip{t},,{t % 3},3,d{(t + (p == 1)) % 3},d{t % 3},{p != 1},0,{t},1500,1,True,"
        f"1.0,0,False,False,False,female,,amateur,,complete,0,False,d{t % 3},0,,,2026-01-01"
        for p in range(1, 5)
        for t in range(1, 5)
    ]
    path = tmp_path / "export.csv"
    path.write_text(PLATFORM_EXPORT_HEADER + "\n" + "\n".join(rows) + "\n")
    out = tmp_path / "r.json"
    assert main(["report", str(path), "--out", str(out), "--bootstrap", "20"]) == 0
    condition = json.loads(out.read_text())["conditions"]["default"]
    assert condition["n_answers"] == 16 and condition["n_correct"] == 12


def test_json_report_goes_to_standard_output_without_out(answers_csv, capsysbinary):
    assert main(["report", str(answers_csv), "--format", "json", "--bootstrap", "100"]) == 0
    data = json.loads(capsysbinary.readouterr().out)
    assert data["n_answers"] > 0
