"""Imported data sets' rows: one `ImportBatch` per file a researcher imported (a WikiArt or
MAESTRO metadata CSV, an IMAC or BAM emotion list, a generic CSV with a media folder) and one
`ImportedItem` per image, MIDI file or audio clip it yielded. studies.models re-exports them."""

import uuid

from django.conf import settings
from django.db import models


def imported_item_path(instance: "ImportedItem", filename: str) -> str:
    return f"imports/{instance.batch.uuid}/{instance.sha256}{instance.extension}"


class ImportBatch(models.Model):
    """One import: the format read, what was taken and what was refused (with the reason per
    row). Valid rows import even when others are refused."""

    class Format(models.TextChoices):
        WIKIART = "wikiart", "WikiArt / WikiPaintings metadata CSV + images"
        MAESTRO = "maestro", "MAESTRO metadata CSV + MIDI and audio"
        GENERIC = "generic", "Generic CSV + folder (images, MIDI or audio)"
        IMAC_IMAGES = "imac_images", "IMAC-style image emotion CSV"
        IMAC_MUSIC = "imac_music", "IMAC-style music emotion list"
        BAM = "bam", "BAM-style image emotion labels"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    format = models.CharField(max_length=32, choices=Format.choices)
    source_name = models.CharField(
        max_length=255, blank=True, help_text="The file the researcher imported"
    )
    import_settings = models.JSONField(
        default=dict, blank=True, help_text="Clip length, image size and other import settings"
    )
    rows_taken = models.PositiveIntegerField(default=0)
    rows_refused = models.PositiveIntegerField(default=0)
    refusals = models.JSONField(
        default=list, blank=True, help_text="One {row, reason} per refused row"
    )
    notes = models.JSONField(
        default=list,
        blank=True,
        help_text="What the researcher should know (e.g. where MAESTRO's years come from)",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "import"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_format_display()})"


class ImportedItem(models.Model):
    """An image, MIDI file or audio clip taken from one row of an import, with that row."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        MIDI = "midi", "MIDI"
        AUDIO = "audio", "Audio clip"

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    file = models.FileField(upload_to=imported_item_path, max_length=255)
    extension = models.CharField(max_length=8)
    sha256 = models.CharField(max_length=64)
    source_line = models.PositiveIntegerField(help_text="Line of the metadata file (1 = header)")
    source_row = models.JSONField(default=dict, help_text="The metadata row as read")
    source_file = models.CharField(max_length=500, help_text="The media file the row named")
    title = models.CharField(max_length=500, blank=True)
    creator = models.CharField(max_length=255, blank=True, help_text="Artist or composer")
    year = models.IntegerField(null=True, blank=True, help_text="Best estimate of the year made")
    year_uncertainty = models.PositiveIntegerField(
        null=True, blank=True, help_text="Plus or minus years (0 = exact)"
    )
    year_source = models.CharField(
        max_length=100, blank=True, help_text="Where the year came from (date column, composers)"
    )
    label = models.CharField(
        max_length=128, blank=True, help_text="Style, genre or emotion class, as imported"
    )
    split = models.CharField(max_length=16, blank=True)
    clip_start_s = models.FloatField(
        null=True, blank=True, help_text="Where an audio clip starts in its source file"
    )
    duration_s = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "source_line", "clip_start_s"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "sha256"], name="imported_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.source_file} ({self.get_kind_display()})"
