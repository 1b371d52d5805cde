"""The import report: what a researcher reads after an import (the command prints it, the
admin shows it)."""

from __future__ import annotations

from collections import Counter

from studies.import_models import ImportBatch

KIND_WORDS = {
    "image": ("image", "images"),
    "midi": ("MIDI file", "MIDI files"),
    "audio": ("audio clip", "audio clips"),
}


def counted(kind: str, count: int) -> str:
    """ "1 image", "3 audio clips"."""
    one, many = KIND_WORDS.get(kind, (kind, kind))
    return f"{count} {one if count == 1 else many}"


def import_report(batch: ImportBatch) -> str:
    """Plain text: the batch, rows taken and refused, items by kind, notes, each refusal."""
    kinds = Counter(batch.items.values_list("kind", flat=True))
    made = ", ".join(counted(kind, count) for kind, count in sorted(kinds.items()))
    settings = ", ".join(f"{key} {value}" for key, value in batch.import_settings.items())
    lines = [
        f"Import {batch.pk}: {batch.name} ({batch.get_format_display()}, from {batch.source_name})",
        f"Rows taken: {batch.rows_taken}; rows refused: {batch.rows_refused}.",
        f"Items stored: {made or 'none'}.",
        f"Settings: {settings}.",
    ]
    lines += [f"Note: {note}" for note in batch.notes]
    if batch.refusals:
        lines.append("Refused rows (line of the metadata file, 1 = header):")
        lines += [f"  line {refusal['row']}: {refusal['reason']}" for refusal in batch.refusals]
    return "\n".join(lines)
