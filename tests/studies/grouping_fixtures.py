"""Grouping studies as a researcher makes them: an import of generated pictures (nothing here
pretends to be art: plain colour fields with made-up years), a built study."""

import io

import numpy as np
from django.core.files.base import ContentFile
from PIL import Image

from studies import generation, services
from studies.import_models import ImportBatch, ImportedItem
from studies.models import Study


def grouping_study(**params) -> Study:
    """What the cpu worker does: build the study (this kind has no model stage)."""
    study = services.study_create(
        name="Periods", kind="style_grouping", seed=3, design_params=params
    )
    job = generation.study_generate(study=study)
    generation.generation_job_run(job_id=job.pk)
    study.refresh_from_db()
    return study


def png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((40, 60, 3), colour, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def imported_pictures(years: list[tuple[int, int]]) -> ImportBatch:
    """An import of plain pictures with the given (year, uncertainty) each (a generated set)."""
    batch = ImportBatch.objects.create(name="pictures", format=ImportBatch.Format.GENERIC)
    for line, (year, uncertainty) in enumerate(years, start=2):
        data = png((line * 20 % 256, 80, 120))
        item = ImportedItem(
            batch=batch,
            kind=ImportedItem.Kind.IMAGE,
            extension=".png",
            sha256=f"{line:064d}",
            source_line=line,
            source_file=f"p{line}.png",
            creator=f"painter {line % 3}",
            year=year,
            year_uncertainty=uncertainty,
        )
        item.file.save(f"p{line}.png", ContentFile(data), save=False)
        item.save()
    return batch


PERIOD_YEARS = {"Renaissance": 1500, "Baroque": 1680, "Classical": 1780, "Romantic": 1850}


def picture_board_study(*, per_period: int = 3, **params) -> Study:
    """A published grouping study of generated pictures dated into the four periods."""
    years = [(year + n, 0) for year in PERIOD_YEARS.values() for n in range(per_period)]
    batch = imported_pictures(years)
    study = grouping_study(import_batch=batch.pk, **params)
    assert study.status == Study.Status.READY, study.build_problems
    services.study_publish(study=study)
    return study
