import pytest
from django.core.files.storage import default_storage


@pytest.fixture
def media_dir(tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    return folder


@pytest.fixture
def stored_import_files():
    """The import files in storage (under imports/), to check nothing is left behind."""

    def listing() -> list[str]:
        if not default_storage.exists("imports"):
            return []
        found = []
        for folder in default_storage.listdir("imports")[0]:
            found += [
                f"{folder}/{name}" for name in default_storage.listdir(f"imports/{folder}")[1]
            ]
        return found

    return listing
