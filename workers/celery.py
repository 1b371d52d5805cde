"""The Celery app. Settings come from Django's settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("synlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])


@worker_ready.connect
def requeue_lost_jobs(**_) -> None:
    """A worker killed mid-job leaves its job running; the next worker to start redoes it."""
    from studies.services import generation_jobs_requeue_lost

    generation_jobs_requeue_lost()
