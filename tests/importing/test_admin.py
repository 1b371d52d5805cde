"""A researcher uploads a zip in the admin, reads the report, browses the items and opens
their files; participants and anonymous visitors cannot."""

import io
import zipfile

import pytest
from django.urls import reverse

from studies.import_models import ImportBatch, ImportedItem
from tests.importing.files import write_csv, write_image

pytestmark = pytest.mark.django_db(transaction=True)


def wikiart_zip(tmp_path) -> io.BytesIO:
    folder = tmp_path / "paintings"
    (folder / "images").mkdir(parents=True)
    write_image(folder / "images" / "vermeer.png", colour=(20, 60, 200))
    write_image(folder / "images" / "rembrandt.png", colour=(90, 60, 20))
    write_csv(
        folder / "wikiart.csv",
        ["title", "artist", "date", "style", "genre", "file"],
        [
            [
                "The Milkmaid",
                "Johannes Vermeer",
                "c. 1658",
                "Baroque",
                "genre",
                "images/vermeer.png",
            ],
            ["Night Watch", "Rembrandt", "1642", "Baroque", "history", "images/rembrandt.png"],
            ["Lost", "Nobody", "1700", "Rococo", "genre", "images/lost.png"],
        ],
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tmp_path).as_posix())
    buffer.seek(0)
    buffer.name = "paintings.zip"
    return buffer


def upload(client, archive, **fields):
    data = {
        "name": "Dutch paintings",
        "format": "wikiart",
        "archive": archive,
        "metadata_name": "",
        "clip_seconds": "30",
        "image_max_side": "128",
        "label_column": "style",
        "maestro_media": "both",
        **fields,
    }
    return client.post(reverse("admin:studies_importbatch_add"), data)


def test_a_zip_upload_shows_its_report_items_and_files(client, researcher, tmp_path):
    client.force_login(researcher)
    response = upload(client, wikiart_zip(tmp_path))

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:studies_importbatch_change", args=[batch.pk])
    assert (batch.rows_taken, batch.rows_refused, batch.created_by) == (2, 1, researcher)
    assert batch.source_name == "paintings.zip: paintings/wikiart.csv"

    page = client.get(response.url).content.decode()
    assert "Rows taken: 2; rows refused: 1." in page
    assert (
        "line 4: images/lost.png cannot be used: there is no such file in the media folder." in page
    )
    assert "The Milkmaid" in page and "Johannes Vermeer" in page

    items = client.get(reverse("admin:studies_importeditem_changelist")).content.decode()
    assert "Night Watch" in items and "1642" in items and "Baroque" in items

    milkmaid = ImportedItem.objects.get(title="The Milkmaid")
    assert milkmaid.year == 1658
    file = client.get(reverse("admin:studies_importeditem_file", args=[milkmaid.pk]))
    assert file.status_code == 200
    assert b"".join(file.streaming_content).startswith(b"\x89PNG")


def test_a_zip_without_its_metadata_file_imports_nothing(client, researcher, tmp_path):
    client.force_login(researcher)
    response = upload(client, wikiart_zip(tmp_path), metadata_name="paintings/other.csv")
    assert response.status_code == 200
    assert "Nothing was imported: The zip has no file &#x27;paintings/other.csv&#x27;." in (
        response.content.decode()
    )
    assert not ImportBatch.objects.exists()


def test_only_staff_see_imported_files(client, researcher, tmp_path, django_user_model):
    client.force_login(researcher)
    upload(client, wikiart_zip(tmp_path))
    item = ImportedItem.objects.first()
    file_url = reverse("admin:studies_importeditem_file", args=[item.pk])
    client.logout()
    assert client.get(file_url).status_code == 302  # to the admin login

    participant = django_user_model.objects.create_user(username="p", password="x-long-pass-1")
    client.force_login(participant)
    assert client.get(file_url).status_code == 302


def test_deleting_an_import_removes_its_files(client, researcher, tmp_path, stored_import_files):
    client.force_login(researcher)
    upload(client, wikiart_zip(tmp_path))
    batch = ImportBatch.objects.get()
    assert len(stored_import_files()) == 2

    response = client.post(
        reverse("admin:studies_importbatch_delete", args=[batch.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not ImportBatch.objects.exists() and not ImportedItem.objects.exists()
    assert stored_import_files() == []


def test_a_zip_with_an_unsafe_path_is_refused_before_unpacking(client, researcher):
    client.force_login(researcher)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("meta.csv", "file,label\na.png,calm\n")
        archive.writestr("../a.png", b"not unpacked anywhere")
    buffer.seek(0)
    buffer.name = "evil.zip"

    response = upload(client, buffer, format="generic")

    assert "The zip contains an unsafe path &#x27;../a.png&#x27;." in response.content.decode()
    assert not ImportBatch.objects.exists()
