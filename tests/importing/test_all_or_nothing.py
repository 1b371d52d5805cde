"""An import that fails on the way leaves nothing: no batch, no item, no file."""

import pytest
from django.db import IntegrityError

from studies.import_models import ImportBatch, ImportedItem
from studies.importing import services
from studies.importing.services import import_batch_create
from tests.importing.files import write_csv, write_image

pytestmark = pytest.mark.django_db(transaction=True)


def paintings(tmp_path, media_dir, count=3):
    for number in range(count):
        write_image(media_dir / f"p{number}.png", colour=(number * 40, 10, 10))
    return write_csv(
        tmp_path / "w.csv",
        ["title", "artist", "date", "file"],
        [[f"P{number}", "A", "1600", f"p{number}.png"] for number in range(count)],
    )


def test_a_crash_while_storing_removes_the_files_already_written(
    tmp_path, media_dir, monkeypatch, stored_import_files
):
    metadata = paintings(tmp_path, media_dir)
    real_store_item, stored = services.store_item, []

    def store_then_crash(*args, **kwargs):
        if len(stored) == 2:
            raise MemoryError("the worker ran out of memory")
        stored.append(real_store_item(*args, **kwargs))
        return stored[-1]

    monkeypatch.setattr(services, "store_item", store_then_crash)
    with pytest.raises(MemoryError):
        import_batch_create(
            name="Crash", format="wikiart", metadata_path=metadata, media_dir=media_dir
        )

    assert len(stored) == 2
    assert not ImportBatch.objects.exists() and not ImportedItem.objects.exists()
    assert stored_import_files() == []


def test_a_database_error_at_the_end_leaves_no_batch_and_no_file(
    tmp_path, media_dir, monkeypatch, stored_import_files
):
    metadata = paintings(tmp_path, media_dir)

    def refuse(*args, **kwargs):
        raise IntegrityError("the database refused the items")

    monkeypatch.setattr(ImportedItem.objects, "bulk_create", refuse)
    with pytest.raises(IntegrityError):
        import_batch_create(
            name="DB", format="wikiart", metadata_path=metadata, media_dir=media_dir
        )

    assert not ImportBatch.objects.exists()
    assert stored_import_files() == []


def test_a_successful_import_keeps_one_file_per_item(tmp_path, media_dir, stored_import_files):
    metadata = paintings(tmp_path, media_dir)
    batch = import_batch_create(
        name="Fine", format="wikiart", metadata_path=metadata, media_dir=media_dir
    )
    names = sorted(f"imports/{name}" for name in stored_import_files())
    assert names == sorted(batch.items.values_list("file", flat=True))
    assert all(str(batch.uuid) in name for name in names)
