"""The Celery app. Settings come from Django's settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("synlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])
sweepers = []


@worker_ready.connect
def start_sweeping_for_lost_jobs(**_) -> None:
    """From now on, every lease/3 seconds, jobs whose worker died are sent again (workers.sweep)."""
    from studies.jobs import beat_every_s
    from workers.sweep import Sweeper

    sweepers.append(Sweeper(every_s=beat_every_s()).start())


@worker_shutdown.connect
def stop_sweeping(**_) -> None:
    while sweepers:
        sweepers.pop().stop()
