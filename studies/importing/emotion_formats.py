"""Reading emotion-labelled data (no Django): IMAC-style image and music lists with the
classes positive / neutral / negative, and BAM-style image emotion labels."""

from __future__ import annotations

from pathlib import Path

from studies.importing.rows import (
    ImportSettings,
    MetadataError,
    ParsedMetadata,
    Refusal,
    RowItem,
    media_ref,
    read_rows,
    read_table,
    sentence,
)

IMAC_CLASSES = ("positive", "neutral", "negative")
IMAC_FILE_COLUMNS = ("image", "file", "filename", "image_name", "path")
IMAC_LABEL_COLUMNS = ("emotion", "label", "class", "sentiment")
MUSIC_HEADER_WORDS = {"file", "filename", "song", "music", "audio", "name", "path"}
BAM_EMOTIONS = ("gloomy", "happy", "peaceful", "scary")
BAM_VALUES = ("positive", "negative", "unsure")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


def imac_class(value: str) -> str:
    """An IMAC emotion class in lower case; ValueError for a missing or unknown one."""
    label = value.strip().lower()
    if not label:
        raise ValueError("the row has no emotion label.")
    if label not in IMAC_CLASSES:
        raise ValueError(f"the emotion {value!r} is not one of {', '.join(IMAC_CLASSES)}.")
    return label


def read_imac_images(path: Path, media_dir: Path, settings: ImportSettings) -> ParsedMetadata:
    """An image emotion CSV: an image file column and an emotion column (positive / neutral
    / negative, any case)."""
    table = read_table(path)
    file_column = table.require("image file", *IMAC_FILE_COLUMNS)
    label_column = table.require("emotion", *IMAC_LABEL_COLUMNS)

    def read_row(line: int, row: dict[str, str]) -> RowItem:
        image = media_ref(row[file_column], kinds=("image",))
        return RowItem(line=line, row=row, media=(image,), label=imac_class(row[label_column]))

    return read_rows(table, read_row)


def read_imac_music(path: Path, media_dir: Path, settings: ImportSettings) -> ParsedMetadata:
    """A music emotion list: one recording per line, its file name and its class separated by
    a tab or a comma ("song_0412.mp3<TAB>negative"). Blank lines and lines starting with "#"
    are skipped; a first line naming the columns ("file,emotion") is a header."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise MetadataError(f"{path.name} cannot be read as UTF-8 text ({error}).") from error
    parsed = ParsedMetadata()
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        fields = split_list_line(text)
        if not parsed.rows and is_music_header(fields):
            continue
        row = {"file": fields[0], "emotion": fields[1] if len(fields) > 1 else ""}
        try:
            audio = media_ref(row["file"], kinds=("audio",))
            item = RowItem(line=number, row=row, media=(audio,), label=imac_class(row["emotion"]))
        except ValueError as error:
            parsed.rows.append(Refusal(line=number, reason=sentence(str(error))))
        else:
            parsed.rows.append(item)
    if not parsed.rows:
        raise MetadataError(f"{path.name} lists no recordings.")
    return parsed


def split_list_line(text: str) -> list[str]:
    separator = "\t" if "\t" in text else ","
    return [field.strip() for field in text.split(separator)]


def is_music_header(fields: list[str]) -> bool:
    return fields[0].lower() in MUSIC_HEADER_WORDS and (
        len(fields) < 2 or fields[1].lower() not in IMAC_CLASSES
    )


def read_bam(path: Path, media_dir: Path, settings: ImportSettings) -> ParsedMetadata:
    """BAM-style emotion labels: BAM's label table exported as CSV, one image per row, with
    its module id `mid`, the columns emotion_gloomy, emotion_happy, emotion_peaceful and
    emotion_scary holding positive / negative / unsure, and optionally a `file` column. The
    image's class is the one emotion labelled positive; without a file column the image is
    the file named after the mid in the media folder (12345.jpg, .jpeg, .png or .webp)."""
    table = read_table(path)
    mid_column = table.require("module id", "mid")
    emotions = [emotion for emotion in BAM_EMOTIONS if f"emotion_{emotion}" in table.columns]
    if not emotions:
        columns = ", ".join(f"emotion_{emotion}" for emotion in BAM_EMOTIONS)
        raise MetadataError(f"The file has none of BAM's emotion columns ({columns}).")
    file_column = table.column("file", "filename", "path")
    images_by_mid = {} if file_column else images_by_stem(media_dir)

    def read_row(line: int, row: dict[str, str]) -> RowItem:
        mid = row[mid_column]
        if not mid:
            raise ValueError("the row has no mid.")
        if file_column:
            name = row[file_column]
        elif mid in images_by_mid:
            name = images_by_mid[mid]
        else:
            raise ValueError(f"there is no image named {mid}.jpg (or .png, .webp) for this mid.")
        image = media_ref(name, kinds=("image",))
        return RowItem(line=line, row=row, media=(image,), label=bam_class(row, emotions))

    return read_rows(table, read_row)


def bam_class(row: dict[str, str], emotions: list[str]) -> str:
    positive = []
    for emotion in emotions:
        value = row[f"emotion_{emotion}"].lower()
        if not value:
            continue
        if value not in BAM_VALUES:
            raise ValueError(
                f"the value {row[f'emotion_{emotion}']!r} in emotion_{emotion} is not one of "
                f"{', '.join(BAM_VALUES)}."
            )
        if value == "positive":
            positive.append(emotion)
    if not positive:
        raise ValueError("no emotion is labelled positive for this image.")
    if len(positive) > 1:
        raise ValueError(f"the image is labelled with several emotions ({', '.join(positive)}).")
    return positive[0]


def images_by_stem(media_dir: Path) -> dict[str, str]:
    """File name without extension -> file name, for the images directly in the folder."""
    if not media_dir.is_dir():
        return {}
    return {
        entry.stem: entry.name
        for entry in sorted(media_dir.iterdir())
        if entry.suffix.lower() in IMAGE_EXTENSIONS and entry.is_file()
    }
