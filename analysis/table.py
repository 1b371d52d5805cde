"""The answers table: its columns, loading it from CSV, and cleaning it before any statistic.

One row per answer. Required columns identify who answered which trial and what they chose;
optional columns add classes, screen positions, timing, demographics and exclusion flags.
`normalise_answers` turns whatever arrived (CSV strings, ints from the ORM, NaN) into one typed
frame and records every row it had to drop in the notes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.notes import Notes


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "text" | "int" | "float" | "bool"
    required: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("study", "text", False, "study of the answer (a table over several studies)"),
    Column("participant", "text", True, "participant id (any string)"),
    Column(
        "trial", "text", True, "trial id; a trial is the same prompt shown to many participants"
    ),
    Column("condition", "text", True, "experimental condition; statistics are per condition"),
    Column("n_options", "int", True, "number of options offered on the trial (chance = 1/n)"),
    Column("chosen", "text", True, "identity of the chosen option (not its screen position)"),
    Column("correct", "text", True, "identity of the correct option"),
    Column("item", "text", False, "stimulus id of the prompt (mixed-model item); default: trial"),
    Column("class", "text", False, "class of the trial's correct option"),
    Column("chosen_class", "text", False, "class of the chosen option (enables a confusion table)"),
    Column("position", "int", False, "screen position of the chosen option (0 = first)"),
    Column("correct_position", "int", False, "screen position of the correct option"),
    Column("rt_ms", "float", False, "reaction time in milliseconds"),
    Column("plays", "float", False, "how often the participant played the clip"),
    Column("gender", "text", False, "demographics: gender"),
    Column("musical_level", "text", False, "demographics: amateur / intermediate / professional"),
    Column("age_band", "text", False, "demographics: age band"),
    Column("is_catch", "bool", False, "catch trial: left out of accuracy, used for exclusions"),
    Column("excluded", "bool", False, "participant flagged for exclusion upstream"),
    Column("exclusion_reason", "text", False, "why the participant was flagged"),
    Column("failed_screening", "bool", False, "participant failed the headphone/screening check"),
    Column("failed_catch", "int", False, "failed catch trials counted upstream (bool or count)"),
)

# Columns the platform export carries that the analysis reads past without using.
IGNORED_COLUMNS: tuple[str, ...] = (
    "is_correct",
    "sequence",
    "audio_rt_ms",
    "heard_to_end",
    "fraction_heard",
    "pauses",
    "hidden_while_playing",
    "too_fast",
    "prolific_pid",
    "participant_status",
    "participant_flags",
    "client_sent_at",
    "received_at",
)

REQUIRED_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.required)
KNOWN_COLUMNS: frozenset[str] = frozenset(c.name for c in COLUMNS) | frozenset(IGNORED_COLUMNS)
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = ("gender", "musical_level", "age_band")
MISSING_LABEL = "(missing)"

_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})
_FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", ""})


class AnswersSchemaError(ValueError):
    """The table lacks required columns (or, when asked to be strict, has unknown ones)."""

    def __init__(self, *, missing: Iterable[str] = (), unknown: Iterable[str] = ()):
        self.missing = sorted(missing)
        self.unknown = sorted(unknown)
        parts = []
        if self.missing:
            parts.append("missing required column(s): " + ", ".join(self.missing))
        if self.unknown:
            parts.append("unknown column(s): " + ", ".join(self.unknown))
        parts.append("required: " + ", ".join(REQUIRED_COLUMNS))
        super().__init__("; ".join(parts))


def check_columns(columns: Iterable[str], *, allow_extra: bool = True) -> None:
    """Raise AnswersSchemaError listing missing required columns (and unknown ones if strict)."""
    present = {str(c) for c in columns}
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    unknown = [] if allow_extra else [c for c in present if c not in KNOWN_COLUMNS]
    if missing or unknown:
        raise AnswersSchemaError(missing=missing, unknown=unknown)


def load_answers_csv(path: str | Path, *, allow_extra_columns: bool = False) -> pd.DataFrame:
    """Read an answers CSV as text columns and check its header (see docs/analysis.md)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    check_columns(frame.columns, allow_extra=allow_extra_columns)
    return frame


def normalise_answers(answers: pd.DataFrame, *, notes: Notes) -> pd.DataFrame:
    """Return a typed copy with every optional column present and unusable rows dropped.

    Adds `is_correct` (chosen == correct) and `key` (condition + trial, the trial's identity).
    """
    if len(answers) == 0:
        return empty_answers()
    check_columns(answers.columns)
    frame = pd.DataFrame(index=pd.RangeIndex(len(answers)))
    for column in COLUMNS:
        raw = answers[column.name] if column.name in answers.columns else None
        frame[column.name] = _coerce(raw, kind=column.kind, length=len(answers))
    frame = _fill_defaults(frame, notes=notes)
    frame = _drop_unusable_rows(frame, notes=notes)
    frame["is_correct"] = frame["chosen"] == frame["correct"]
    frame["key"] = frame["condition"] + " / " + frame["trial"]
    _check_upstream_correctness(answers, frame, notes=notes)
    return frame.reset_index(drop=True)


def empty_answers() -> pd.DataFrame:
    """A typed table with every column and no rows."""
    frame = pd.DataFrame({c.name: _coerce(None, kind=c.kind, length=0) for c in COLUMNS})
    frame["is_correct"] = pd.Series([], dtype=bool)
    frame["key"] = pd.Series([], dtype=object)
    return frame


def _coerce(raw: pd.Series | None, *, kind: str, length: int) -> pd.Series:
    if raw is None:
        defaults = {"text": None, "int": np.nan, "float": np.nan, "bool": False}
        dtype = {"text": object, "int": float, "float": float, "bool": bool}[kind]
        return pd.Series([defaults[kind]] * length, dtype=dtype)
    values = raw.reset_index(drop=True)
    if kind == "text":
        return _map_distinct(values, _as_text, dtype=object)
    if kind == "bool":
        return _map_distinct(values, _as_bool, dtype=bool)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    leftover = numbers.isna() & values.notna()
    if leftover.any():  # words such as "yes"/"true", booleans
        numbers[leftover] = _map_distinct(values[leftover], _as_bool_number, dtype=float)
    return numbers


def _map_distinct(values: pd.Series, convert, *, dtype) -> pd.Series:
    """Apply `convert` once per distinct value (ids repeat thousands of times in a study)."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    converted = np.array([convert(v) for v in distinct], dtype=dtype)
    return pd.Series(
        converted[codes] if len(codes) else converted[:0], index=values.index, dtype=dtype
    )


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_text(value: object) -> str | None:
    """Ids compare as text; 3.0 (an int column that met a NaN) reads as "3"."""
    if _is_missing(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _as_bool_number(value: object) -> float:
    if _is_missing(value):
        return np.nan
    if isinstance(value, bool | np.bool_):
        return float(value)
    text = str(value).strip().lower()
    if text in _TRUE_WORDS - {"1"}:
        return 1.0
    if text in _FALSE_WORDS - {"0", ""}:
        return 0.0
    try:
        return float(text)
    except ValueError:
        return np.nan


def _as_bool(value: object) -> bool:
    if _is_missing(value):
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return value != 0
    return str(value).strip().lower() in _TRUE_WORDS


def _fill_defaults(frame: pd.DataFrame, *, notes: Notes) -> pd.DataFrame:
    no_condition = frame["condition"].isna()
    if no_condition.any():
        notes.info("input", f"{int(no_condition.sum())} answer(s) without a condition: 'default'.")
        frame.loc[no_condition, "condition"] = "default"
    frame["item"] = frame["item"].where(frame["item"].notna(), frame["trial"])
    frame["failed_catch"] = frame["failed_catch"].fillna(0.0)
    return frame


def _drop_unusable_rows(frame: pd.DataFrame, *, notes: Notes) -> pd.DataFrame:
    reasons = {
        "participant": "no participant id",
        "trial": "no trial id",
        "chosen": "no chosen option (unanswered)",
        "correct": "no correct option",
    }
    for column, reason in reasons.items():
        frame = _drop_where(frame, frame[column].isna(), reason=reason, notes=notes)
    n = frame["n_options"]
    invalid = n.isna() | (n != np.floor(n)) | (n < 1)
    frame = _drop_where(frame, invalid, reason="missing or invalid n_options", notes=notes)
    frame["n_options"] = frame["n_options"].astype(int)
    duplicated = frame.duplicated(
        subset=["study", "participant", "condition", "trial"], keep="first"
    )
    return _drop_where(
        frame, duplicated, reason="repeated answer to the same trial (first kept)", notes=notes
    )


def _drop_where(frame: pd.DataFrame, mask: pd.Series, *, reason: str, notes: Notes) -> pd.DataFrame:
    count = int(mask.sum())
    if count:
        notes.warn("input", f"{count} row(s) dropped: {reason}.")
    return frame.loc[~mask]


def _check_upstream_correctness(raw: pd.DataFrame, frame: pd.DataFrame, *, notes: Notes) -> None:
    """The platform also exports `is_correct`; say so if it disagrees with chosen == correct."""
    if "is_correct" not in raw.columns or len(frame) == 0:
        return
    upstream = _coerce(raw["is_correct"], kind="bool", length=len(raw)).loc[frame.index]
    mismatches = int((upstream.to_numpy() != frame["is_correct"].to_numpy()).sum())
    if mismatches:
        notes.warn(
            "input",
            f"{mismatches} row(s) where the exported is_correct disagrees with chosen == correct;"
            " the analysis uses chosen == correct.",
        )
