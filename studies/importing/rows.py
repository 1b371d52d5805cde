"""What reading a metadata file gives, whatever its format (no Django): one `RowItem` per row
that names media to import, or one `Refusal` with the reason, plus notes for the report.

Line numbers count the metadata file's lines as a spreadsheet shows them (1 = the header).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from modeling.chronology.years import YearParseError, parse_year

MEDIA_KINDS = ("image", "midi", "audio")
KIND_ARTICLES = {"image": "an image", "midi": "a MIDI", "audio": "an audio"}
EXTENSION_KINDS = {
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".webp"), "image"),
    **dict.fromkeys((".mid", ".midi"), "midi"),
    **dict.fromkeys((".wav", ".flac", ".ogg", ".mp3"), "audio"),
}


class MetadataError(ValueError):
    """A metadata file that cannot be read at all (not a CSV, missing columns); nothing is
    imported and the message says why in one sentence."""


@dataclass(frozen=True)
class MediaRef:
    """A media file a row names, relative to the media folder, and what kind it must be."""

    name: str
    kind: str


@dataclass(frozen=True)
class RowItem:
    """A row to import: its media and what the metadata says about them."""

    line: int
    row: dict[str, str]
    media: tuple[MediaRef, ...]
    title: str = ""
    creator: str = ""
    year: int | None = None
    year_uncertainty: int | None = None
    year_source: str = ""
    label: str = ""
    split: str = ""


@dataclass(frozen=True)
class Refusal:
    """A row that is not imported, and why (one sentence)."""

    line: int
    reason: str


@dataclass
class ParsedMetadata:
    rows: list[RowItem | Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """A CSV's rows with their line numbers; column names stripped and lower-cased."""

    columns: tuple[str, ...]
    rows: list[tuple[int, dict[str, str]]]

    def column(self, *names: str) -> str | None:
        """The first of `names` the file has (formats accept a few spellings of a column)."""
        return next((name for name in names if name in self.columns), None)

    def require(self, what: str, *names: str) -> str:
        found = self.column(*names)
        if found is None:
            spelled = " or ".join(repr(name) for name in names)
            raise MetadataError(f"The file has no {what} column ({spelled}).")
        return found


def read_table(path: Path) -> Table:
    """Read a CSV (UTF-8, with or without a byte-order mark; comma, semicolon or tab)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MetadataError(f"{path.name} is not UTF-8 text ({error.reason}).") from error
    except OSError as error:
        raise MetadataError(f"{path.name} cannot be read ({error.strerror}).") from error
    if not text.strip():
        raise MetadataError(f"{path.name} is empty.")
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [name.strip().lower() for name in next(reader)]
    rows = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        padded = values + [""] * (len(header) - len(values))
        rows.append((reader.line_num, dict(zip(header, (v.strip() for v in padded), strict=False))))
    return Table(columns=tuple(header), rows=rows)


def kind_of(name: str) -> str | None:
    """ "image", "midi" or "audio" from a file name's extension; None for anything else."""
    dot = name.rfind(".")
    return EXTENSION_KINDS.get(name[dot:].lower()) if dot >= 0 else None


def media_ref(name: str, *, kinds: tuple[str, ...] = MEDIA_KINDS) -> MediaRef:
    """The file a row names, if its extension is one of `kinds`; ValueError says why not."""
    if not name:
        raise ValueError("the row names no file.")
    kind = kind_of(name)
    if kind not in kinds:
        extensions = sorted(ext for ext, k in EXTENSION_KINDS.items() if k in kinds)
        what = " or ".join(KIND_ARTICLES[kind] for kind in kinds)
        raise ValueError(f"{name!r} is not {what} file ({', '.join(extensions)}).")
    return MediaRef(name=name, kind=kind)


def whole_year(text: str, *, column: str) -> tuple[int, int]:
    """A date column's value as (year, uncertainty) in whole years: the middle of the span
    rounded up, and half its width rounded up so the whole span stays covered."""
    try:
        estimate = parse_year(text)
    except YearParseError as error:
        raise ValueError(f"the {column} cannot be used: {error}") from None
    return math.floor(estimate.year + 0.5), math.ceil(estimate.uncertainty)


def span_as_year(first: int, last: int) -> tuple[int, int]:
    """(year, uncertainty) for the years first..last, rounded as in `whole_year`."""
    return math.floor((first + last) / 2 + 0.5), math.ceil((last - first) / 2)


def read_rows(table: Table, read_row: Callable[[int, dict[str, str]], RowItem]) -> ParsedMetadata:
    """Each row read by `read_row`; a ValueError it raises refuses that row with its message."""
    parsed = ParsedMetadata()
    for line, row in table.rows:
        try:
            parsed.rows.append(read_row(line, row))
        except ValueError as error:
            parsed.rows.append(Refusal(line=line, reason=sentence(str(error))))
    return parsed


def sentence(text: str) -> str:
    """One sentence: capitalised, ending in a full stop."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class ImportSettings:
    """How an import cuts and reads its data (stored on the ImportBatch as `import_settings`).

    clip_seconds: length of each audio clip; a recording gives its whole clips from the start
        (a remainder shorter than a clip is dropped), silent clips skipped.
    max_clips_per_file: at most this many clips per recording (None: all).
    image_max_side: images larger than this (pixels, width or height) are scaled down to it.
    label_column: WikiArt only: which column becomes the label ("style" or "genre").
    maestro_media: MAESTRO only: import "both" the MIDI file and the audio clips, or only
        "midi" or "audio".
    """

    clip_seconds: float = 30.0
    max_clips_per_file: int | None = None
    image_max_side: int = 512
    label_column: str = "style"
    maestro_media: str = "both"

    def problems(self) -> list[str]:
        problems = []
        if not 1.0 <= self.clip_seconds <= 600.0:
            problems.append("The clip length must be from 1 to 600 seconds.")
        if self.max_clips_per_file is not None and self.max_clips_per_file < 1:
            problems.append("The number of clips per recording must be at least 1.")
        if not 16 <= self.image_max_side <= 4096:
            problems.append("The largest image side must be from 16 to 4096 pixels.")
        if self.label_column not in ("style", "genre"):
            problems.append("The label column must be 'style' or 'genre'.")
        if self.maestro_media not in ("both", "midi", "audio"):
            problems.append("MAESTRO media must be 'both', 'midi' or 'audio'.")
        return problems
