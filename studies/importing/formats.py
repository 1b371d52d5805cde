"""Reading each format's metadata into rows to import (no Django). Formats with dates
(WikiArt, MAESTRO, the generic CSV with a year column) are here; the emotion-labelled ones
(IMAC, BAM) are in emotion_formats.py. `read_metadata` dispatches on the format's name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modeling.data.composers import composer_active_years, composer_named
from studies.importing import emotion_formats
from studies.importing.rows import (
    MEDIA_KINDS,
    ImportSettings,
    MetadataError,
    ParsedMetadata,
    RowItem,
    Table,
    media_ref,
    read_rows,
    read_table,
    span_as_year,
    whole_year,
)

FILE_COLUMNS = ("file", "filename", "file_name", "path", "image", "image_file")
TITLE_COLUMNS = ("title", "name", "painting")
CREATOR_COLUMNS = ("creator", "artist", "composer", "artist_name")
YEAR_COLUMNS = ("year", "date")
LABEL_COLUMNS = ("label", "class", "category", "emotion")

MAESTRO_COLUMNS = (
    "canonical_composer",
    "canonical_title",
    "split",
    "year",
    "midi_filename",
    "audio_filename",
    "duration",
)
MAESTRO_YEAR_NOTE = (
    "MAESTRO's 'year' column is the year of the performance (the piano competition it was "
    "recorded at), not the year the music was written: it is kept in each item's source row "
    "but not used. Each item's year is the middle of its composer's active years from the "
    "composer table (modeling/data/composers.py), with half that span as its uncertainty."
)


def read_wikiart(path: Path, media_dir: Path, settings: ImportSettings) -> ParsedMetadata:
    """WikiArt / WikiPaintings metadata: title, artist, date (or year), style, genre, file.

    The date is read by modeling.chronology.years.parse_year ("c. 1665", "1501-1503",
    "1890s"); the label is the style or genre column (`settings.label_column`).
    """
    table = read_table(path)
    file_column = table.require("file", *FILE_COLUMNS)
    date_column = table.require("date", "date", "year", "date_created", "creation_date")
    artist_column = table.require("artist", "artist", "artist_name", "painter")
    title_column = table.column(*TITLE_COLUMNS)

    def read_row(line: int, row: dict[str, str]) -> RowItem:
        image = media_ref(row[file_column], kinds=("image",))
        if not row[date_column]:
            raise ValueError("the row has no date.")
        year, uncertainty = whole_year(row[date_column], column="date")
        return RowItem(
            line=line,
            row=row,
            media=(image,),
            title=row.get(title_column, "") if title_column else "",
            creator=row[artist_column],
            year=year,
            year_uncertainty=uncertainty,
            year_source=f"{date_column} column",
            label=row.get(settings.label_column, ""),
        )

    return read_rows(table, read_row)


def read_maestro(path: Path, media_dir: Path, settings: ImportSettings) -> ParsedMetadata:
    """MAESTRO's metadata CSV; years from the composer table (see MAESTRO_YEAR_NOTE).

    A work credited to two composers ("Franz Schubert / Franz Liszt": a transcription) is
    dated by the first, the composer of the original.
    """
    table = read_table(path)
    missing = [column for column in MAESTRO_COLUMNS if column not in table.columns]
    if missing:
        raise MetadataError(f"The file lacks MAESTRO's columns {', '.join(missing)}.")
    wanted = {"both": ("midi", "audio"), "midi": ("midi",), "audio": ("audio",)}
    kinds = wanted[settings.maestro_media]

    def read_row(line: int, row: dict[str, str]) -> RowItem:
        media = []
        if "midi" in kinds:
            media.append(media_ref(row["midi_filename"], kinds=("midi",)))
        if "audio" in kinds:
            media.append(media_ref(row["audio_filename"], kinds=("audio",)))
        credited = row["canonical_composer"]
        if not credited:
            raise ValueError("the row names no composer.")
        first = credited.split("/")[0].strip()
        composer = composer_named(first)
        if composer is None:
            raise ValueError(
                f"the composer {first!r} is not in the composer table "
                "(modeling/data/composers.py), so the music cannot be dated."
            )
        start, end = composer_active_years(composer)
        year, uncertainty = span_as_year(start, end)
        return RowItem(
            line=line,
            row=row,
            media=tuple(media),
            title=row["canonical_title"],
            creator=credited,
            year=year,
            year_uncertainty=uncertainty,
            year_source=f"composer table: {composer.name}, active {start}-{end}"[:100],
            split=row["split"],
        )

    parsed = read_rows(table, read_row)
    parsed.notes.append(MAESTRO_YEAR_NOTE)
    return parsed


def read_generic(path: Path, media_dir: Path, settings: ImportSettings) -> ParsedMetadata:
    """A CSV with a file column and a year column and/or a label column (title, creator and
    split optional); each file is an image, a MIDI file or audio, by its extension."""
    table = read_table(path)
    file_column = table.require("file", *FILE_COLUMNS[:4])
    year_column = table.column(*YEAR_COLUMNS)
    label_column = table.column(*LABEL_COLUMNS)
    if year_column is None and label_column is None:
        raise MetadataError("The file has neither a year column ('year') nor a label ('label').")
    title_column, creator_column = table.column(*TITLE_COLUMNS), table.column(*CREATOR_COLUMNS)

    def read_row(line: int, row: dict[str, str]) -> RowItem:
        media = media_ref(row[file_column], kinds=MEDIA_KINDS)
        year = uncertainty = None
        if year_column is not None:
            if not row[year_column]:
                raise ValueError(f"the row has no {year_column}.")
            year, uncertainty = whole_year(row[year_column], column=year_column)
        if label_column is not None and not row[label_column]:
            raise ValueError(f"the row has no {label_column}.")
        return RowItem(
            line=line,
            row=row,
            media=(media,),
            title=row[title_column] if title_column else "",
            creator=row[creator_column] if creator_column else "",
            year=year,
            year_uncertainty=uncertainty,
            year_source=f"{year_column} column" if year_column else "",
            label=row[label_column] if label_column else "",
            split=row.get("split", ""),
        )

    return read_rows(table, read_row)


Reader = Callable[[Path, Path, ImportSettings], ParsedMetadata]
READERS: dict[str, Reader] = {
    "wikiart": read_wikiart,
    "maestro": read_maestro,
    "generic": read_generic,
    "imac_images": emotion_formats.read_imac_images,
    "imac_music": emotion_formats.read_imac_music,
    "bam": emotion_formats.read_bam,
}


def read_metadata(
    format: str, path: Path, media_dir: Path, settings: ImportSettings
) -> ParsedMetadata:
    """The rows of a metadata file in `format` (an ImportBatch.Format value).

    Raises MetadataError when the file as a whole cannot be read (nothing is imported then);
    a row that cannot be read is a Refusal in the result.
    """
    try:
        reader = READERS[format]
    except KeyError:
        raise MetadataError(
            f"There is no import format {format!r}; the formats are {', '.join(READERS)}."
        ) from None
    return reader(path, media_dir, settings)


__all__ = ["MetadataError", "Table", "read_metadata"]
