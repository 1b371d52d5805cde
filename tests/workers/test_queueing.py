"""Work is sent to the workers by task name; the domain never imports the tasks."""

import os
import subprocess
import sys

import pytest

from studies import generation, services
from studies.models import GenerationJob, Study
from tests.factories import upload_zip
from tests.studies.conftest import as_upload
from tests.workers.conftest import ROOT


def test_the_domain_sends_work_by_name_and_imports_no_task():
    script = (
        "import sys, django; django.setup(); "
        "import studies.services, studies.generation, studies.training, studies.admin; "
        "print(sorted(m for m in sys.modules if m == 'workers.tasks' or m == 'torch'))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "[]"


@pytest.mark.django_db(transaction=True)
def test_in_eager_mode_the_study_is_built_in_this_process(monkeypatch):
    from workers.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    study = services.study_create(
        name="no worker", kind="uploaded_set", upload=as_upload(upload_zip())
    )
    job = generation.study_generate(study=study)
    job.refresh_from_db()
    study.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED and job.attempts == 1
    assert study.status == Study.Status.READY
