"""A researcher imports from the command line and reads the report."""

import io

import pytest
from django.core.management import CommandError, call_command

from studies.import_models import ImportBatch
from tests.importing.files import write_csv, write_image, write_tone

pytestmark = pytest.mark.django_db


def test_import_data_prints_the_report(tmp_path, media_dir):
    write_image(media_dir / "a.png")
    write_tone(media_dir / "b.wav", seconds=5.0)
    metadata = write_csv(
        tmp_path / "mine.csv",
        ["file", "year"],
        [["a.png", "1650"], ["b.wav", "1700"], ["c.png", "1"]],
    )
    out = io.StringIO()

    call_command(
        "import_data",
        "--format",
        "generic",
        "--name",
        "My set",
        str(metadata),
        str(media_dir),
        "--clip-seconds",
        "2",
        stdout=out,
    )

    batch = ImportBatch.objects.get()
    report = out.getvalue()
    assert (
        f"Import {batch.pk}: My set (Generic CSV + folder (images, MIDI or audio), from mine.csv)"
        in report
    )
    assert "Rows taken: 2; rows refused: 1." in report
    assert "Items stored: 2 audio clips, 1 image." in report
    assert "clip_seconds 2.0" in report
    assert "  line 4: c.png cannot be used: there is no such file in the media folder." in report


def test_import_data_says_why_nothing_was_imported(tmp_path, media_dir):
    metadata = write_csv(tmp_path / "w.csv", ["title"], [["A"]])
    with pytest.raises(CommandError, match="Nothing was imported: The file has no file column"):
        call_command(
            "import_data", "--format", "wikiart", "--name", "x", str(metadata), str(media_dir)
        )
    assert not ImportBatch.objects.exists()
