"""docs/analysis.md documents every input column and every per-condition JSON key."""

import json
import re
from pathlib import Path

from analysis import build_report, render_json
from analysis.simulate import simulate_answers
from analysis.table import COLUMNS, IGNORED_COLUMNS

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "analysis.md").read_text()


def documented_names() -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", DOCS)) | set(re.findall(r"\b[a-z_]+\b", DOCS))


def test_every_column_of_the_schema_is_documented():
    names = documented_names()
    missing = [c.name for c in COLUMNS if f"`{c.name}`" not in DOCS]
    assert missing == []
    assert all(name in names for name in IGNORED_COLUMNS)


def test_every_json_key_of_a_condition_is_documented():
    answers = simulate_answers(n_participants=6, n_trials=5, accuracy=0.7, seed=1)
    data = json.loads(render_json(build_report(answers, n_bootstrap=20)))
    condition = data["conditions"]["main"]
    keys = set(condition) | set(condition["mixed_model"]) | set(condition["agreement"])
    keys |= {k for k in data if k != "tables"} | set(data["exclusions"])
    names = documented_names()
    assert sorted(k for k in keys if k not in names) == []
    for table in data["tables"]:
        assert f"`{table}.csv`" in DOCS
