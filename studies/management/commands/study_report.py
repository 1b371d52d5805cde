"""Write a study's significance report: manage.py study_report ID --format html --out report.html"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from studies.errors import ServiceError
from studies.models import Study
from studies.reports import FORMATS, study_report


class Command(BaseCommand):
    help = "Render the significance report of a study (HTML, PDF, JSON, or CSV tables in a zip)."

    def add_arguments(self, parser):
        parser.add_argument("study_id", type=int)
        parser.add_argument("--format", choices=sorted(FORMATS), default="html")
        parser.add_argument("--out", type=Path, required=True)

    def handle(self, *args, study_id: int, format: str, out: Path, **options):
        study = Study.objects.filter(pk=study_id).first()
        if study is None:
            raise CommandError(f"No study with id {study_id}.")
        try:
            report = study_report(study=study, fmt=format)
        except ServiceError as error:
            raise CommandError(error.message) from error
        out.write_bytes(report.body)
        self.stdout.write(f"Wrote {out} ({len(report.body)} bytes).")
