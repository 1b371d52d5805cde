"""Importing from a zip a researcher uploads in the admin: the metadata file and its media in
one archive. The zip is checked from its directory first (sizes, count, unsafe names, links,
encryption: the limits of studies.zip_upload), unpacked into a temporary folder, imported by
`import_batch_create` with the metadata file's folder as the media folder, then removed."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings

from studies.designs import DesignError
from studies.import_models import ImportBatch
from studies.importing.rows import ImportSettings
from studies.importing.services import ImportRefused, import_batch_create
from studies.zip_upload import capped, member_problems, read_member, upload_size_problems

METADATA_SUFFIXES = (".csv", ".txt", ".tsv")


def import_batch_from_zip(
    *,
    name: str,
    format: str,
    upload: IO[bytes],
    upload_name: str = "upload.zip",
    metadata_name: str = "",
    import_settings: ImportSettings | None = None,
    created_by=None,
) -> ImportBatch:
    """Import the zip's metadata file (`metadata_name`, a path inside the zip; by default
    its only .csv, .tsv or .txt file) with the media next to it. Raises ImportRefused, with
    every problem, when the zip cannot be used; nothing is stored then."""
    with open_zip(upload) as archive, tempfile.TemporaryDirectory() as folder:
        metadata = metadata_member(archive, metadata_name)
        unpack(archive, Path(folder))
        metadata_path = Path(folder, *PurePosixPath(metadata).parts)
        return import_batch_create(
            name=name,
            format=format,
            metadata_path=metadata_path,
            media_dir=metadata_path.parent,
            import_settings=import_settings,
            source_name=f"{upload_name}: {metadata}",
            created_by=created_by,
        )


def open_zip(upload: IO[bytes]) -> zipfile.ZipFile:
    if problems := upload_size_problems(upload):
        raise ImportRefused(" ".join(problems))
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ImportRefused(f"The upload is not a readable zip file ({error}).") from None
    infos = archive.infolist()
    if len(infos) > settings.SYNLAB_MAX_UPLOAD_FILES:
        raise ImportRefused(
            f"The zip holds {len(infos):,} files; at most {settings.SYNLAB_MAX_UPLOAD_FILES:,} "
            "are allowed."
        )
    problems = [problem for info in infos for problem in member_problems(info)]
    if sum(info.file_size for info in infos) > settings.SYNLAB_MAX_UPLOAD_BYTES:
        problems.append("The zip unpacks to more than the size allowed for uploads.")
    if problems:
        archive.close()
        raise ImportRefused(" ".join(capped(problems)))
    return archive


def metadata_member(archive: zipfile.ZipFile, wanted: str) -> str:
    names = [info.filename for info in archive.infolist() if not info.is_dir()]
    if wanted:
        if wanted not in names:
            raise ImportRefused(f"The zip has no file {wanted!r}.")
        return wanted
    candidates = [
        name
        for name in names
        if PurePosixPath(name).suffix.lower() in METADATA_SUFFIXES
        and not PurePosixPath(name).name.startswith(".")
    ]
    if len(candidates) != 1:
        found = ", ".join(candidates[:5]) or "none"
        raise ImportRefused(
            f"Name the metadata file: the zip holds {len(candidates)} .csv, .tsv or .txt files "
            f"({found})."
        )
    return candidates[0]


def unpack(archive: zipfile.ZipFile, folder: Path) -> None:
    for info in archive.infolist():
        if info.is_dir():
            continue
        try:
            data = read_member(archive, info.filename)
        except DesignError as error:
            raise ImportRefused(" ".join(error.problems)) from None
        target = folder.joinpath(*PurePosixPath(info.filename).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
