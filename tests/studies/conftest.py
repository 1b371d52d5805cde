import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from studies import generation, services
from studies.models import Study
from tests.factories import upload_zip


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters (studies/ratelimit.py) start at zero in every test: the test client
    always comes from one address."""
    cache.clear()


def as_upload(data: bytes, name: str = "set.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


def create_built_study(*, design_params=None, publish=True, **zip_options) -> Study:
    """What a researcher does: upload a set, generate it (here without a worker), publish."""
    study = services.study_create(
        name="Colour and pitch",
        kind="uploaded_set",
        design_params=design_params or {"n_options": 3, "n_preview_per_class": 1},
        seed=7,
        upload=as_upload(upload_zip(**zip_options)),
    )
    job = generation.study_generate(study=study)
    generation.generation_job_run(job_id=job.pk)
    study.refresh_from_db()
    assert study.status == Study.Status.READY, study.build_problems
    if publish:
        services.study_publish(study=study)
    return study


@pytest.fixture
def live_study(db) -> Study:
    return create_built_study()
