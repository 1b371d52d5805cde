"""Import a data set researchers already have: a metadata file and a folder of media.

    python manage.py import_data --format wikiart --name "Baroque paintings" meta.csv images/
    python manage.py import_data --format maestro --name "MAESTRO v3" maestro-v3.0.0.csv \
        maestro-v3.0.0/ --clip-seconds 30 --max-clips-per-file 4

Prints the import report (rows taken, each refused row with its reason). Formats, columns and
settings: docs/importing.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studies.import_models import ImportBatch
from studies.importing.report import import_report
from studies.importing.rows import ImportSettings
from studies.importing.services import ImportRefused, import_batch_create


class Command(BaseCommand):
    help = "Import a metadata file (WikiArt, MAESTRO, generic, IMAC, BAM) and its media folder."

    def add_arguments(self, parser):
        parser.add_argument("metadata", type=Path, help="The metadata CSV (or music list)")
        parser.add_argument("media_dir", type=Path, help="The folder the file names refer to")
        parser.add_argument("--format", required=True, choices=ImportBatch.Format.values)
        parser.add_argument("--name", required=True, help="What the researcher calls it")
        defaults = ImportSettings()
        parser.add_argument("--clip-seconds", type=float, default=defaults.clip_seconds)
        parser.add_argument("--max-clips-per-file", type=int, default=None)
        parser.add_argument("--image-max-side", type=int, default=defaults.image_max_side)
        parser.add_argument(
            "--label-column", default=defaults.label_column, choices=("style", "genre")
        )
        parser.add_argument(
            "--maestro-media", default=defaults.maestro_media, choices=("both", "midi", "audio")
        )

    def handle(self, *args, **options):
        chosen = ImportSettings(
            clip_seconds=options["clip_seconds"],
            max_clips_per_file=options["max_clips_per_file"],
            image_max_side=options["image_max_side"],
            label_column=options["label_column"],
            maestro_media=options["maestro_media"],
        )
        try:
            batch = import_batch_create(
                name=options["name"],
                format=options["format"],
                metadata_path=options["metadata"],
                media_dir=options["media_dir"],
                import_settings=chosen,
            )
        except ImportRefused as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        self.stdout.write(import_report(batch))
