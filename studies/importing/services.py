"""Writing an import: `import_batch_create` reads a metadata file and its media folder and
stores one ImportBatch with an ImportedItem per image, MIDI file or audio clip.

All or nothing: each file is written to storage as it is made (outside any transaction) and
remembered; the rows are written in one transaction at the end. If anything fails on the way
(a crash, a database error), every file already written is deleted and the error raised, so
no batch, no item and no file of the attempt remains. A refused row is not a failure: it is
recorded on the batch with its reason, and the other rows still import.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import transaction

from studies.import_models import ImportBatch, ImportedItem
from studies.importing.formats import read_metadata
from studies.importing.media import MediaError, PreparedMedia, file_sha256, locate, prepare
from studies.importing.rows import ImportSettings, MetadataError, Refusal, RowItem

ITEM_BATCH_SIZE = 500


class ImportRefused(ValueError):
    """The import as a whole cannot be made (bad settings, an unreadable or incomplete
    metadata file, no media folder); nothing was stored. The message says why."""


@dataclass
class PendingImport:
    """One attempt: the unsaved batch, its unsaved items (their files written) and refusals."""

    batch: ImportBatch
    items: list[ImportedItem] = field(default_factory=list)
    refusals: list[dict] = field(default_factory=list)
    source_lines: dict[str, int] = field(default_factory=dict)  # source file sha256 -> line
    item_lines: dict[str, int] = field(default_factory=dict)  # stored file sha256 -> line
    rows_taken: int = 0

    def refuse(self, line: int, reason: str) -> None:
        self.refusals.append({"row": line, "reason": reason})

    def remove_written(self) -> None:
        for item in self.items:
            item.file.storage.delete(item.file.name)
        self.items.clear()


def import_batch_create(
    *,
    name: str,
    format: str,
    metadata_path: Path,
    media_dir: Path,
    import_settings: ImportSettings | None = None,
    source_name: str = "",
    created_by=None,
) -> ImportBatch:
    """Import the rows of `metadata_path` (in `format`, an ImportBatch.Format value) with the
    media files they name under `media_dir`; return the saved batch.

    Raises ImportRefused (nothing stored) when the settings, the metadata file or the folder
    make the whole import impossible. Rows that cannot be imported are refused one by one
    (batch.refusals: {row: line, reason}); `batch.rows_taken` counts the rows that gave items.
    """
    chosen = import_settings or ImportSettings()
    if problems := chosen.problems():
        raise ImportRefused(" ".join(problems))
    if not name.strip():
        raise ImportRefused("The import needs a name.")
    if not media_dir.is_dir():
        raise ImportRefused(f"The media folder {media_dir.name!r} does not exist.")
    try:
        parsed = read_metadata(format, metadata_path, media_dir, chosen)
    except MetadataError as error:
        raise ImportRefused(str(error)) from error
    pending = PendingImport(
        batch=ImportBatch(
            name=name.strip()[:200],
            format=format,
            source_name=(source_name or metadata_path.name)[:255],
            import_settings=asdict(chosen),
            notes=list(parsed.notes),
            created_by=created_by,
        )
    )
    try:
        for row in parsed.rows:
            if isinstance(row, Refusal):
                pending.refuse(row.line, row.reason)
            else:
                take_row(pending, row, media_dir=media_dir, chosen=chosen)
        return save_batch(pending)
    except BaseException:
        pending.remove_written()
        raise


def take_row(
    pending: PendingImport, row: RowItem, *, media_dir: Path, chosen: ImportSettings
) -> None:
    """Prepare every file the row names; store them all, or refuse the row with a reason."""
    prepared: list[tuple[str, PreparedMedia]] = []
    sources: list[str] = []
    for ref in row.media:
        try:
            path = locate(media_dir, ref.name)
            source_sha256 = file_sha256(path)
            if source_sha256 in pending.source_lines:
                raise MediaError(
                    f"it is the same file as the one on line {pending.source_lines[source_sha256]}"
                )
            made = prepare(
                ref,
                path,
                clip_seconds=chosen.clip_seconds,
                max_clips=chosen.max_clips_per_file,
                image_max_side=chosen.image_max_side,
                max_pixels=django_settings.SYNLAB_MAX_IMAGE_PIXELS,
            )
        except MediaError as error:
            pending.refuse(row.line, f"{ref.name} cannot be used: {error}.")
            return
        made = distinct(made, already=[media.sha256 for _, media in prepared])
        for media in made:
            if media.sha256 in pending.item_lines:
                line = pending.item_lines[media.sha256]
                pending.refuse(row.line, f"{ref.name} holds the same media as line {line}.")
                return
        sources.append(source_sha256)
        prepared.extend((ref.name, media) for media in made)
    pending.source_lines.update(dict.fromkeys(sources, row.line))
    for source_file, media in prepared:
        pending.item_lines[media.sha256] = row.line
        pending.items.append(store_item(pending.batch, row, source_file, media))
    pending.rows_taken += 1


def distinct(made: list[PreparedMedia], *, already: list[str]) -> list[PreparedMedia]:
    """A row's files without repeats: a recording that loops gives each sound once."""
    seen, kept = set(already), []
    for media in made:
        if media.sha256 not in seen:
            seen.add(media.sha256)
            kept.append(media)
    return kept


def store_item(
    batch: ImportBatch, row: RowItem, source_file: str, media: PreparedMedia
) -> ImportedItem:
    """An unsaved item whose file is written now (named by the batch and the file's hash)."""
    item = ImportedItem(
        batch=batch,
        kind=media.kind,
        extension=media.extension,
        sha256=media.sha256,
        source_line=row.line,
        source_row=row.row,
        source_file=source_file[:500],
        title=row.title[:500],
        creator=row.creator[:255],
        year=row.year,
        year_uncertainty=row.year_uncertainty,
        year_source=row.year_source[:100],
        label=row.label[:128],
        split=row.split[:16],
        clip_start_s=media.clip_start_s,
        duration_s=media.duration_s,
    )
    item.file.save(f"{media.sha256}{media.extension}", ContentFile(media.data), save=False)
    return item


def save_batch(pending: PendingImport) -> ImportBatch:
    batch = pending.batch
    batch.rows_taken = pending.rows_taken
    batch.rows_refused = len(pending.refusals)
    batch.refusals = sorted(pending.refusals, key=lambda refusal: refusal["row"])
    with transaction.atomic():
        batch.save()
        for item in pending.items:
            item.batch = batch
        ImportedItem.objects.bulk_create(pending.items, batch_size=ITEM_BATCH_SIZE)
    return batch
