"""What study kinds read from imports. Study parameters name an import by its id (the
ImportBatch primary key, shown in the admin's import list); a kind checks the id in its
`Params.problems()` with `batch_problems` and reads the items in `build` with
`imported_items` and `item_media`.

An import holds only what it took: refused rows have no items. Each ImportedItem is one
image (resized, PNG), one MIDI file (as imported) or one audio clip (a fixed-length cut of a
recording, FLAC); a recording cut into several clips gives several items that share
`source_line`, `source_file`, `title`, `creator`, `year` and `label` and differ in
`clip_start_s`.
"""

from __future__ import annotations

from django.db.models import QuerySet

from studies.import_models import ImportBatch, ImportedItem
from studies.media import AUDIO_TYPES, IMAGE_TYPES, MIDI_TYPES, MediaInfo

KIND_NAMES = {
    ImportedItem.Kind.IMAGE: "images",
    ImportedItem.Kind.MIDI: "MIDI files",
    ImportedItem.Kind.AUDIO: "audio clips",
}


def imported_items(
    batch_id: int, *, kind: str | None = None, dated: bool = False, labelled: bool = False
) -> QuerySet[ImportedItem]:
    """The items of import `batch_id`, in the order of the metadata file (then clip start).

    kind: "image", "midi" or "audio" (ImportedItem.Kind) to keep only that kind; None for all.
    dated: keep only items with a year (`year` is not None; `year_uncertainty` says how sure).
    labelled: keep only items with a label (`label` is not "": the style, genre or emotion
    class as the import normalised it: emotion classes are lower case, e.g. "positive").

    An import that does not exist gives an empty queryset; call `batch_problems` first to
    tell the researcher why.
    """
    items = ImportedItem.objects.filter(batch_id=batch_id)
    if kind is not None:
        items = items.filter(kind=kind)
    if dated:
        items = items.filter(year__isnull=False)
    if labelled:
        items = items.exclude(label="")
    return items.order_by("source_line", "clip_start_s", "id")


def batch_problems(
    batch_id: object,
    *,
    kind: str | None = None,
    dated: bool = False,
    labelled: bool = False,
    at_least: int = 1,
    name: str = "import",
) -> list[str]:
    """What is wrong with using import `batch_id` in a study, one sentence each ([] if fine).

    `batch_id` is the raw parameter value (anything the admin or the API sent). The checks:
    it is the id of an existing import ("There is no import 12."), and that import has at
    least `at_least` items of `kind` ("Import 12 has no audio clips." / "Import 12 has 3
    images; at least 8 are needed."), counting only dated and/or labelled items when asked
    (`dated`, `labelled` as in `imported_items`). `name` is the parameter's name used in the
    sentence when the value is not an id at all.
    """
    if isinstance(batch_id, bool) or not isinstance(batch_id, int) or batch_id < 1:
        return [f"{name} must be the id of an import (a whole number)."]
    if not ImportBatch.objects.filter(pk=batch_id).exists():
        return [f"There is no import {batch_id}."]
    count = imported_items(batch_id, kind=kind, dated=dated, labelled=labelled).count()
    what = _describe(kind, dated=dated, labelled=labelled)
    if count == 0:
        return [f"Import {batch_id} has no {what}."]
    if count < at_least:
        return [f"Import {batch_id} has {count} {what}; at least {at_least} are needed."]
    return []


def item_media(item: ImportedItem) -> tuple[bytes, MediaInfo]:
    """The item's file and its description, ready for `StimulusStore.media` (images, audio
    clips) or `StimulusStore.midi` (MIDI files: pass the bytes)."""
    with item.file.open("rb") as handle:
        data = handle.read()
    types = IMAGE_TYPES | AUDIO_TYPES | MIDI_TYPES
    return data, MediaInfo(
        kind=item.kind,
        extension=item.extension,
        content_type=types.get(item.extension, "application/octet-stream"),
        sha256=item.sha256,
        size_bytes=len(data),
        duration_s=item.duration_s,
    )


def _describe(kind: str | None, *, dated: bool, labelled: bool) -> str:
    what = KIND_NAMES.get(kind, "items") if kind is not None else "items"
    conditions = [word for word, wanted in (("dated", dated), ("labelled", labelled)) if wanted]
    return f"{' and '.join(conditions)} {what}" if conditions else what
