"""Create the demo study, let a worker build it, publish it, and print its link."""

import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from studies import services
from studies.demo import demo_set_zip
from studies.models import Study

DEMO_NAME = "Demo: which digit goes with the melody?"
DEMO_CONSENT = (
    "This is Synlab's demo study. You will hear short melodies and see handwritten digits, and "
    "choose which digit goes with each melody. The examples show the pairing. Nothing you enter "
    "is used for research."
)


class Command(BaseCommand):
    help = "Load (or reuse) the demo matching study, wait for the worker to build it, publish it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait", type=float, default=180.0, help="seconds to wait for the build"
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, wait: float, base_url: str, **options):
        study = Study.objects.filter(name=DEMO_NAME).exclude(status=Study.Status.CLOSED).first()
        if study is None:
            self.stdout.write("Rendering the demo set (digits + melodies)...")
            upload = SimpleUploadedFile("demo.zip", demo_set_zip(), content_type="application/zip")
            study = services.study_create(
                name=DEMO_NAME,
                kind="uploaded_set",
                design_params={"n_options": 3, "n_preview_per_class": 4, "n_test_trials": 20},
                seed=2024,
                raters_per_trial=11,
                upload=upload,
            )
            Study.objects.filter(pk=study.pk).update(consent_text=DEMO_CONSENT)
        if study.status == Study.Status.DRAFT:
            services.study_generate(study=study)
            self.stdout.write("Generation queued; waiting for the Celery worker...")
        study = self.wait_until_built(study, wait)
        if study.status == Study.Status.READY:
            study = services.study_publish(study=study)
        self.stdout.write(self.style.SUCCESS(f"Participant link: {base_url}/s/{study.slug}/"))

    def wait_until_built(self, study: Study, wait: float) -> Study:
        deadline = time.monotonic() + wait
        while study.status == Study.Status.GENERATING and time.monotonic() < deadline:
            time.sleep(0.5)
            study.refresh_from_db()
        if study.status == Study.Status.GENERATING:
            raise CommandError("The worker did not build the demo in time; is it running?")
        if study.status == Study.Status.DRAFT:
            raise CommandError(f"The demo could not be built: {study.build_problems}")
        return study
