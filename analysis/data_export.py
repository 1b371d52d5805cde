"""Machine-readable outputs: JSON (report.to_dict) and CSV tables (a folder or a zip)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd

from analysis.report import Report
from analysis.spreadsheet import safe_table


def render_json(report: Report, *, indent: int | None = 2, include_tables: bool = True) -> str:
    """The report as JSON; keys are documented in docs/analysis.md."""
    return json.dumps(report.to_dict(include_tables=include_tables), indent=indent)


def report_tables(report: Report) -> dict[str, pd.DataFrame]:
    """Every table of the report plus the exclusion counts and the notes, keyed by CSV name."""
    tables = {"conditions": report.tables.get("conditions", pd.DataFrame())}
    tables.update({k: v for k, v in report.tables.items() if k != "conditions"})
    tables["exclusions"] = exclusion_table(report)
    tables["notes"] = pd.DataFrame(
        [n.to_dict() for n in report.notes], columns=["topic", "message", "level"]
    )
    return tables


def exclusion_table(report: Report) -> pd.DataFrame:
    """Raw counts, each rule's counts and what was kept, one row per step."""
    s = report.exclusions
    rows = [
        {"step": "raw", "participants": s.n_participants_raw, "answers": s.n_answers_raw},
        {
            "step": "catch answers (not in accuracy)",
            "participants": None,
            "answers": s.n_catch_answers,
        },
    ]
    rows += [
        {
            "step": f"rule {r.rule}: {r.description}",
            "participants": r.n_participants,
            "answers": r.n_answers,
        }
        for r in s.per_rule
    ]
    rows += [
        {
            "step": "excluded (any rule)",
            "participants": s.n_participants_excluded,
            "answers": s.n_answers_excluded,
        },
        {"step": "kept", "participants": s.n_participants_kept, "answers": s.n_answers_kept},
    ]
    return pd.DataFrame(rows, columns=["step", "participants", "answers"])


def write_csv_tables(
    report: Report, directory: str | Path, *, main_table: Path | None = None
) -> list[Path]:
    """Write `<name>.csv` for every table into `directory` (created if needed).

    With `main_table` (a .csv path), the per-condition table goes there and the others beside
    it as `<stem>.<name>.csv`.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in report_tables(report).items():
        if main_table is None:
            path = folder / f"{name}.csv"
        elif name == "conditions":
            path = main_table
        else:
            path = main_table.with_name(f"{main_table.stem}.{name}.csv")
        safe_table(table).to_csv(path, index=False)
        written.append(path)
    return written


def render_csv_zip(report: Report) -> bytes:
    """All CSV tables in one zip archive (for a download button)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, table in report_tables(report).items():
            archive.writestr(f"{name}.csv", safe_table(table).to_csv(index=False))
    return buffer.getvalue()
