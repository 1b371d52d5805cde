"""A researcher imports WikiArt paintings with their dates as the metadata writes them."""

import hashlib

import pytest
from PIL import Image

from studies.import_models import ImportBatch
from studies.importing.rows import ImportSettings
from studies.importing.services import ImportRefused, import_batch_create
from tests.importing.files import write_csv, write_garbage, write_image

pytestmark = pytest.mark.django_db

HEADER = ["title", "artist", "date", "style", "genre", "file"]


def test_dated_paintings_are_imported_with_year_and_uncertainty(tmp_path, media_dir):
    write_image(media_dir / "vermeer.jpg", size=(900, 600), colour=(20, 60, 200))
    write_image(media_dir / "leonardo.png", colour=(120, 90, 30))
    (media_dir / "monet").mkdir()
    write_image(media_dir / "monet" / "water.png", colour=(10, 180, 90))
    metadata = write_csv(
        tmp_path / "wikiart.csv",
        HEADER,
        [
            [
                "Girl with a Pearl Earring",
                "Johannes Vermeer",
                "c. 1665",
                "Baroque",
                "portrait",
                "vermeer.jpg",
            ],
            [
                "Mona Lisa",
                "Leonardo da Vinci",
                "1501-1503",
                "High Renaissance",
                "portrait",
                "leonardo.png",
            ],
            [
                "Water Lilies",
                "Claude Monet",
                "1890s",
                "Impressionism",
                "landscape",
                "monet/water.png",
            ],
        ],
    )

    batch = import_batch_create(
        name="Three paintings",
        format="wikiart",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(image_max_side=256),
    )

    assert (batch.rows_taken, batch.rows_refused, batch.refusals) == (3, 0, [])
    items = {item.creator: item for item in batch.items.all()}
    vermeer = items["Johannes Vermeer"]
    assert (vermeer.year, vermeer.year_uncertainty) == (1665, 5)
    assert (items["Leonardo da Vinci"].year, items["Leonardo da Vinci"].year_uncertainty) == (
        1502,
        1,
    )
    assert (items["Claude Monet"].year, items["Claude Monet"].year_uncertainty) == (1895, 5)
    assert vermeer.year_source == "date column"
    assert vermeer.label == "Baroque"
    assert vermeer.title == "Girl with a Pearl Earring"
    assert vermeer.source_line == 2 and vermeer.source_file == "vermeer.jpg"
    assert vermeer.source_row["date"] == "c. 1665"
    with vermeer.file.open("rb") as handle:
        stored = handle.read()
    assert hashlib.sha256(stored).hexdigest() == vermeer.sha256
    with vermeer.file.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "PNG" and image.size == (256, 171)
    assert batch.import_settings["image_max_side"] == 256


def test_the_genre_can_be_the_label(tmp_path, media_dir):
    write_image(media_dir / "a.png")
    metadata = write_csv(
        tmp_path / "w.csv", HEADER, [["A", "B", "1600", "Baroque", "still life", "a.png"]]
    )
    batch = import_batch_create(
        name="Genres",
        format="wikiart",
        metadata_path=metadata,
        media_dir=media_dir,
        import_settings=ImportSettings(label_column="genre"),
    )
    assert batch.items.get().label == "still life"


def test_bad_rows_are_refused_one_by_one_and_the_good_ones_still_import(tmp_path, media_dir):
    write_image(media_dir / "good.png", colour=(1, 2, 3))
    write_image(media_dir / "again.png", colour=(1, 2, 3))  # the same picture under another name
    write_garbage(media_dir / "broken.jpg")
    write_image(media_dir / "later.png", colour=(9, 9, 9))
    write_image(media_dir / "wrong.png", colour=(50, 9, 9), format="JPEG")
    write_image(tmp_path / "outside.png", colour=(70, 9, 9))
    metadata = write_csv(
        tmp_path / "wikiart.csv",
        HEADER,
        [
            ["Good", "A", "1650", "Baroque", "portrait", "good.png"],
            ["Undated", "B", "", "Baroque", "portrait", "good.png"],
            ["Vague", "C", "sometime in spring", "Baroque", "portrait", "good.png"],
            ["Future", "D", "2950", "Baroque", "portrait", "good.png"],
            ["Gone", "E", "1700", "Rococo", "portrait", "missing.png"],
            ["Broken", "F", "1700", "Rococo", "portrait", "broken.jpg"],
            ["Copy", "G", "1700", "Rococo", "portrait", "again.png"],
            ["Escape", "H", "1700", "Rococo", "portrait", "../outside.png"],
            ["Text", "I", "1700", "Rococo", "portrait", "notes.txt"],
            ["Mislabelled", "J", "1700", "Rococo", "portrait", "wrong.png"],
            ["Later", "K", "1750s", "Rococo", "portrait", "later.png"],
        ],
    )

    batch = import_batch_create(
        name="Mixed", format="wikiart", metadata_path=metadata, media_dir=media_dir
    )

    assert batch.rows_taken == 2 and batch.rows_refused == 9
    assert sorted(batch.items.values_list("title", flat=True)) == ["Good", "Later"]
    reasons = {refusal["row"]: refusal["reason"] for refusal in batch.refusals}
    assert reasons[3] == "The row has no date."
    assert "'sometime in spring' is not a year" in reasons[4]
    assert "2950" in reasons[5] and "outside" in reasons[5]
    assert reasons[6] == "missing.png cannot be used: there is no such file in the media folder."
    assert reasons[7].startswith("broken.jpg cannot be used: it is not a readable image")
    assert reasons[8] == "again.png cannot be used: it is the same file as the one on line 2."
    assert "outside the media folder" in reasons[9]
    assert "'notes.txt' is not an image file" in reasons[10]
    assert reasons[11] == "wrong.png cannot be used: the file is JPEG, not the PNG its name says."
    assert all(reason.endswith(".") and reason.count(". ") == 0 for reason in reasons.values())


def test_a_csv_without_a_date_column_imports_nothing(tmp_path, media_dir):
    metadata = write_csv(tmp_path / "w.csv", ["title", "artist", "file"], [["A", "B", "a.png"]])
    with pytest.raises(ImportRefused, match="no date column"):
        import_batch_create(
            name="No dates", format="wikiart", metadata_path=metadata, media_dir=media_dir
        )
    assert not ImportBatch.objects.exists()
