"""Study kinds read imports: the items of a kind, and what is wrong with an import choice."""

import pytest

from studies.importing.rows import ImportSettings
from studies.importing.selectors import batch_problems, imported_items, item_media
from studies.importing.services import import_batch_create
from tests.importing.files import write_csv, write_image, write_midi, write_tone

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_import(tmp_path, media_dir):
    write_image(media_dir / "a.png", colour=(1, 1, 1))
    write_image(media_dir / "b.png", colour=(2, 2, 2))
    write_tone(media_dir / "c.wav", seconds=4.0)
    metadata = write_csv(
        tmp_path / "m.csv",
        ["file", "year", "label"],
        [["a.png", "1600", "baroque"], ["b.png", "1800", "romantic"], ["c.wav", "1650", "baroque"]],
    )
    return import_batch_create(
        name="Mixed",
        format="generic",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(clip_seconds=2),
    )


def test_imported_items_by_kind_in_file_order(mixed_import):
    images = imported_items(mixed_import.pk, kind="image")
    assert list(images.values_list("source_file", "year")) == [("a.png", 1600), ("b.png", 1800)]
    clips = imported_items(mixed_import.pk, kind="audio")
    assert list(clips.values_list("clip_start_s", flat=True)) == [0.0, 2.0]
    assert imported_items(mixed_import.pk, dated=True, labelled=True).count() == 4
    assert imported_items(mixed_import.pk + 1).count() == 0


def test_item_media_is_ready_for_the_stimulus_store(mixed_import):
    clip = imported_items(mixed_import.pk, kind="audio").first()
    data, info = item_media(clip)
    assert (info.kind, info.extension, info.content_type) == ("audio", ".flac", "audio/flac")
    assert info.sha256 == clip.sha256 and info.size_bytes == len(data)
    assert info.duration_s == 2.0


def test_batch_problems_in_one_sentence_each(mixed_import, tmp_path, media_dir):
    batch = mixed_import.pk
    assert batch_problems(batch, kind="image") == []
    assert batch_problems(batch, kind="audio", at_least=2) == []
    assert batch_problems(batch + 1) == [f"There is no import {batch + 1}."]
    assert batch_problems(batch, kind="midi") == [f"Import {batch} has no MIDI files."]
    assert batch_problems(batch, kind="image", at_least=8) == [
        f"Import {batch} has 2 images; at least 8 are needed."
    ]
    assert batch_problems("12", name="images_import") == [
        "images_import must be the id of an import (a whole number)."
    ]
    assert batch_problems(True) == ["import must be the id of an import (a whole number)."]

    write_midi(media_dir / "d.mid")
    unlabelled = import_batch_create(
        name="Dated only",
        format="generic",
        metadata_path=write_csv(tmp_path / "d.csv", ["file", "year"], [["d.mid", "1700"]]),
        media_dir=media_dir,
    )
    assert batch_problems(unlabelled.pk, kind="midi", labelled=True) == [
        f"Import {unlabelled.pk} has no labelled MIDI files."
    ]
    assert batch_problems(unlabelled.pk, kind="midi", dated=True) == []
