"""Reading a researcher's zip safely: every limit checked from the zip's directory before a
byte is unpacked, and each member read never past its limit (a directory that lies cannot make
it larger). Used by study kinds built from an upload; the limits are settings
(SYNLAB_MAX_UPLOAD_BYTES, SYNLAB_MAX_UPLOAD_FILE_BYTES, SYNLAB_MAX_MANIFEST_BYTES, ...).
"""

import stat
import struct
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import IO

from django.conf import settings

from studies.designs import DesignError

MANIFEST_NAME = "manifest.csv"
MAX_PROBLEMS = 50  # listed one by one; the rest are counted


def capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"... and {len(problems) - MAX_PROBLEMS:,} more problems."]


def open_archive(source: IO[bytes]) -> zipfile.ZipFile:
    """The zip, once its size and declared file count are within the limits."""
    problems = upload_size_problems(source)
    if problems:
        raise DesignError(problems)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise DesignError(
            [
                f"The upload is not a readable zip file ({error}). If it was cut short while "
                "copying or uploading, upload the whole file again."
            ]
        ) from None
    problems = archive_problems(archive)
    if problems:
        archive.close()
        raise DesignError(capped(problems))
    return archive


def upload_size_problems(source: IO[bytes]) -> list[str]:
    """The zip itself, and the file count its end record declares (before Python reads the
    directory into memory: millions of tiny entries would take gigabytes)."""
    source.seek(0, 2)
    size = source.tell()
    source.seek(0)
    problems = []
    if size > settings.SYNLAB_MAX_UPLOAD_BYTES:
        problems.append(
            f"The zip is {megabytes(size)}; at most {megabytes(settings.SYNLAB_MAX_UPLOAD_BYTES)} "
            "is allowed."
        )
    declared = declared_file_count(source, size)
    if declared is not None and declared > settings.SYNLAB_MAX_UPLOAD_FILES:
        problems.append(
            f"The zip holds {declared:,} files; at most {settings.SYNLAB_MAX_UPLOAD_FILES:,} are "
            "allowed."
        )
    return problems


END_RECORD = struct.Struct("<4s4H2LH")  # end of central directory: the file count is field 4
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")  # the file count is field 7


def declared_file_count(source: IO[bytes], size: int) -> int | None:
    """The number of files the zip's end record declares; None when there is no such record
    (zipfile then refuses the upload as not a zip)."""
    start = max(0, size - END_RECORD.size - 0xFFFF)  # the record ends with a comment <= 64 KiB
    source.seek(start)
    tail = source.read()
    source.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + END_RECORD.size > len(tail):
        return None
    count = END_RECORD.unpack_from(tail, at)[4]
    locator_at = at - ZIP64_LOCATOR.size
    if count != 0xFFFF or locator_at < 0 or tail[locator_at : locator_at + 4] != b"PK\x06\x07":
        return count
    record_at = ZIP64_LOCATOR.unpack_from(tail, locator_at)[2]
    source.seek(record_at)
    record = source.read(ZIP64_END_RECORD.size)
    source.seek(0)
    if len(record) < ZIP64_END_RECORD.size or record[:4] != b"PK\x06\x06":
        return count
    return ZIP64_END_RECORD.unpack(record)[7]


def archive_problems(archive: zipfile.ZipFile) -> list[str]:
    """What the zip's directory shows: names, links, encryption, sizes; nothing is unpacked."""
    infos = archive.infolist()
    problems = []
    if len(infos) > settings.SYNLAB_MAX_UPLOAD_FILES:
        problems.append(
            f"The zip holds {len(infos):,} files; at most {settings.SYNLAB_MAX_UPLOAD_FILES:,} "
            "are allowed."
        )
        return problems
    seen = set()
    for info in infos:
        problems += member_problems(info)
        if info.filename in seen:
            problems.append(f"The zip holds {info.filename!r} twice.")
        seen.add(info.filename)
    total = sum(info.file_size for info in infos)
    if total > settings.SYNLAB_MAX_UPLOAD_BYTES:
        problems.append(
            f"The zip unpacks to {megabytes(total)}, more than the "
            f"{megabytes(settings.SYNLAB_MAX_UPLOAD_BYTES)} allowed."
        )
    if not any(PurePosixPath(info.filename).name == MANIFEST_NAME for info in infos):
        problems.append(f"The zip has no {MANIFEST_NAME}.")
    return problems


def member_problems(info: zipfile.ZipInfo) -> list[str]:
    name = info.filename
    path = PurePosixPath(name)
    problems = []
    if (
        path.is_absolute()
        or ".." in path.parts
        or "\\" in name
        or "\x00" in name
        or (len(name) > 1 and name[1] == ":")
    ):
        problems.append(f"The zip contains an unsafe path {name!r}.")
    if stat.S_ISLNK(info.external_attr >> 16):
        problems.append(f"The zip contains a link {name!r}; put the file itself in the zip.")
    if info.flag_bits & 0x1:
        problems.append(f"{name!r} is encrypted; upload a zip without a password.")
    if info.compress_type not in UNPACKABLE:
        problems.append(f"{name!r} uses a compression this platform cannot unpack.")
    limit = member_limit(name)
    if info.file_size > limit:
        problems.append(
            f"{name!r} unpacks to {megabytes(info.file_size)}; at most {megabytes(limit)} is "
            "allowed for one file."
        )
    return problems


UNPACKABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


def member_limit(name: str) -> int:
    if PurePosixPath(name).name == MANIFEST_NAME:
        return settings.SYNLAB_MAX_MANIFEST_BYTES
    return settings.SYNLAB_MAX_UPLOAD_FILE_BYTES


def megabytes(size: int) -> str:
    """A size as people read it: 850 kB, 4.2 MB, 472 MB."""
    if size < 1e6:
        return f"{size / 1e3:,.0f} kB"
    return f"{size / 1e6:,.1f} MB" if size < 10e6 else f"{size / 1e6:,.0f} MB"


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A file's bytes, never more than its limit, whatever the zip's directory declared."""
    limit = member_limit(name)
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
        raise DesignError([f"The zip is damaged: {name!r} cannot be unpacked ({error})."]) from None
    if len(data) > limit:
        raise DesignError([f"{name!r} unpacks to more than the {megabytes(limit)} allowed."])
    return data
