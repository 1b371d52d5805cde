"""Hostile and careless uploads: each is refused at once, through the API and the admin, with
a message naming the problem, and creates nothing (no study, no stored file).

Zip bombs (one huge file, many big files, a directory that lies), damaged and truncated zips,
links, absolute and climbing paths, duplicate and encrypted members, files whose content is not
what their name says, images and clips too large to decode, and manifests a spreadsheet or a
script can produce: a BOM (accepted), another encoding, missing columns, 100,000 rows, a field
over 128 KiB, a NUL byte, texts longer than the columns hold, a file under two classes.
"""

import csv
import io
import json
import stat
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from rest_framework.test import APIClient

from studies import services
from studies.errors import InvalidInput
from studies.models import Study
from tests.factories import png_bytes, tone_bytes, upload_zip
from tests.studies.conftest import as_upload

pytestmark = pytest.mark.django_db

MANIFEST_HEADER = "image,audio,class,role,description\n"


def rezip(
    data: bytes | None = None,
    *,
    drop: tuple[str, ...] = (),
    add: list[tuple[str | zipfile.ZipInfo, bytes]] = (),
    replace: dict[str, bytes] | None = None,
) -> bytes:
    """A valid set (upload_zip) with members dropped, replaced or added as they are."""
    source = zipfile.ZipFile(io.BytesIO(data or upload_zip()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename not in drop:
                body = (replace or {}).get(info.filename, source.read(info))
                archive.writestr(info.filename, body)
        for name, body in add:
            archive.writestr(name, body)
    return buffer.getvalue()


def manifest_replaced(text: bytes) -> bytes:
    return rezip(replace={"manifest.csv": text})


def valid_manifest() -> str:
    return zipfile.ZipFile(io.BytesIO(upload_zip())).read("manifest.csv").decode()


def zeros_zip(name: str, size: int) -> bytes:
    """A member of `size` zero bytes, written in pieces: a small zip that unpacks to `size`."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        for _ in range(size // 2**20):
            member.write(bytes(2**20))
    return buffer.getvalue()


def link_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def patched(data: bytes, member: str, *, size: int | None = None, flags: int | None = None):
    """The zip with a member's declared size (or flag bits) changed in both of its headers."""
    data = bytearray(data)
    archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = archive.getinfo(member)
    central = next(
        at
        for at in range(len(data))
        if data[at : at + 4] == b"PK\x01\x02"
        and data[at + 46 : at + 46 + len(member)] == member.encode()
    )
    if size is not None:
        struct.pack_into("<L", data, info.header_offset + 22, size)
        struct.pack_into("<L", data, central + 24, size)
    if flags is not None:
        struct.pack_into("<H", data, info.header_offset + 6, flags)
        struct.pack_into("<H", data, central + 8, flags)
    return bytes(data)


def damaged(data: bytes, member: str) -> bytes:
    """The member's compressed bytes scrambled in the middle; the directory left intact."""
    data = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(member)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 8] = b"\xff" * 8
    return bytes(data)


def image_bytes(fmt: str, size=(32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def flac_bytes() -> bytes:
    return tone_bytes(format="FLAC")


def manifest_with(*rows: str) -> bytes:
    return (valid_manifest() + "".join(rows)).encode()


def csv_row(*cells: str) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(cells)
    return line.getvalue()


# name -> (the zip, the limits changed for the case, a fragment of the expected problem)
HOSTILE = {
    "one huge manifest (a zip bomb)": (
        lambda: zeros_zip("manifest.csv", 50 * 2**20),
        {},
        "'manifest.csv' unpacks to 52 MB; at most 4.2 MB is allowed for one file.",
    ),
    "many big files (a zip bomb)": (
        lambda: rezip(add=[(f"padding/{n}.bin", bytes(400_000)) for n in range(6)]),
        {"SYNLAB_MAX_UPLOAD_BYTES": 2_000_000},
        "The zip unpacks to 2.6 MB, more than the 2.0 MB allowed.",
    ),
    "a file larger than allowed": (
        lambda: rezip(replace={"audio/red_test_0.wav": tone_bytes(seconds=4.0)}),
        {"SYNLAB_MAX_UPLOAD_FILE_BYTES": 100_000},
        "'audio/red_test_0.wav' unpacks to 128 kB; at most 100 kB is allowed for one file.",
    ),
    "a directory that lies about a size": (
        lambda: patched(rezip(), "images/red_test_0.png", size=10),
        {},
        "The zip is damaged: 'images/red_test_0.png' cannot be unpacked (Bad CRC-32",
    ),
    "too many files": (
        lambda: rezip(add=[(f"extra/{n}.txt", b"x") for n in range(10)]),
        {"SYNLAB_MAX_UPLOAD_FILES": 30},
        "The zip holds 35 files; at most 30 are allowed.",
    ),
    "a truncated zip": (
        lambda: upload_zip()[: len(upload_zip()) // 2],
        {},
        "The upload is not a readable zip file (File is not a zip file).",
    ),
    "a damaged member": (
        lambda: damaged(rezip(), "audio/green_test_1.wav"),
        {},
        "The zip is damaged: 'audio/green_test_1.wav' cannot be unpacked",
    ),
    "a link member": (
        lambda: rezip(
            drop=("images/red_test_0.png",),
            add=[link_member("images/red_test_0.png", "/etc/passwd")],
        ),
        {},
        "The zip contains a link 'images/red_test_0.png'; put the file itself in the zip.",
    ),
    "an absolute path": (
        lambda: rezip(add=[("/etc/cron.d/evil", b"* * * * * root sh")]),
        {},
        "The zip contains an unsafe path '/etc/cron.d/evil'.",
    ),
    "a climbing path": (
        lambda: rezip(add=[("images/../../outside.png", png_bytes())]),
        {},
        "The zip contains an unsafe path 'images/../../outside.png'.",
    ),
    "a Windows climbing path": (
        lambda: rezip(add=[("..\\outside.png", png_bytes())]),
        {},
        "The zip contains an unsafe path '..\\\\outside.png'.",
    ),
    "a member twice": (
        lambda: rezip(add=[("images/red_test_0.png", png_bytes((0, 0, 0)))]),
        {},
        "The zip holds 'images/red_test_0.png' twice.",
    ),
    "an encrypted member": (
        lambda: patched(rezip(), "audio/red_test_0.wav", flags=0x1),
        {},
        "'audio/red_test_0.wav' is encrypted; upload a zip without a password.",
    ),
    "a WAV named .png": (
        lambda: rezip(replace={"images/red_test_0.png": tone_bytes()}),
        {},
        "images/red_test_0.png: not a readable image (not a PNG, JPEG or WebP file)",
    ),
    "HTML named .png": (
        lambda: rezip(replace={"images/red_test_0.png": b"<html><script>alert(1)</script>"}),
        {},
        "images/red_test_0.png: not a readable image (not a PNG, JPEG or WebP file)",
    ),
    "a JPEG named .png": (
        lambda: rezip(replace={"images/red_test_0.png": image_bytes("JPEG")}),
        {},
        "images/red_test_0.png: the file is JPEG, not the PNG its name says",
    ),
    "a PNG named .wav": (
        lambda: rezip(replace={"audio/red_test_0.wav": png_bytes()}),
        {},
        "audio/red_test_0.wav: not a readable audio file (Format not recognised.)",
    ),
    "a FLAC named .wav": (
        lambda: rezip(replace={"audio/red_test_0.wav": flac_bytes()}),
        {},
        "audio/red_test_0.wav: the file is FLAC, not the WAV its name says",
    ),
    "an image too large to decode": (
        lambda: rezip(replace={"images/red_test_0.png": image_bytes("PNG", (5000, 5000))}),
        {},
        "images/red_test_0.png: the image is 5000 x 5000 pixels; at most 16,777,216 pixels",
    ),
    "a clip too long to decode": (
        lambda: rezip(replace={"audio/red_test_0.wav": tone_bytes(seconds=8.0)}),
        {"SYNLAB_MAX_CLIP_SECONDS": 1},
        "audio/red_test_0.wav: the clip is 8 s long (1 channel(s) at 16000 Hz), more than can "
        "be decoded: at most 1 s of stereo at 48 kHz",
    ),
    "a manifest in Latin-1": (
        lambda: manifest_replaced(
            (valid_manifest() + "images/café.png,audio/café.wav,red\n").encode("latin-1")
        ),
        {},
        "manifest.csv is not UTF-8 text (line 14 has the byte 0xe9)",
    ),
    "a manifest in UTF-16": (
        lambda: manifest_replaced(valid_manifest().encode("utf-16")),
        {},
        "manifest.csv is not UTF-8 text (line 1 has the byte 0xff)",
    ),
    "a manifest without the audio column": (
        lambda: manifest_replaced(b"image,class\nimages/red_test_0.png,red\n"),
        {},
        "manifest.csv is missing the column(s): audio.",
    ),
    "a manifest of 100,000 rows": (
        lambda: manifest_replaced((MANIFEST_HEADER + "a.png,a.wav,red\n" * 100_000).encode()),
        {},
        "manifest.csv has more than 10,000 rows; at most 10,000 are allowed.",
    ),
    "a manifest field over 128 KiB": (
        lambda: manifest_replaced(
            manifest_with(csv_row("a.png", "a.wav", "red", "test", "x" * 2**17 + "x"))
        ),
        {},
        "Manifest line 14 cannot be read as CSV (field larger than field limit (131072))",
    ),
    "a manifest with a NUL byte": (
        lambda: manifest_replaced(manifest_with("images/red\x00.png,a.wav,red\n")),
        {},
        "Manifest line 14: the image holds a NUL character.",
    ),
    "a description longer than the column": (
        lambda: manifest_replaced(
            manifest_with(
                csv_row("images/red_test_0.png", "audio/red_test_0.wav", "red", "test", "é" * 501)
            )
        ),
        {},
        "Manifest line 14: the description is 501 characters long; at most 500 are allowed.",
    ),
    "a manifest over its size limit": (
        lambda: manifest_replaced(manifest_with("# padding\n" * 500_000)),
        {},
        "'manifest.csv' unpacks to 5.0 MB; at most 4.2 MB is allowed for one file.",
    ),
    "one image under two classes": (
        lambda: manifest_replaced(
            manifest_with("images/red_test_0.png,audio/green_test_2.wav,green,test,\n")
        ),
        {},
        "Manifest lines 3 and 14 put 'images/red_test_0.png' in two classes ('red' and "
        "'green'); a file belongs to one class.",
    ),
    "one file as an image and as a clip": (
        lambda: manifest_replaced(
            manifest_with("images/red_test_0.png,images/red_test_0.png,red,test,\n")
        ),
        {},
        "use 'images/red_test_0.png' both as an image and as an audio file.",
    ),
}


@pytest.fixture
def api(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def admin_form(upload: bytes, **changes) -> dict:
    return {
        "name": "Hostile set",
        "kind": "uploaded_set",
        "design_params": json.dumps({"n_options": 3}),
        "seed": 1,
        "source_upload": as_upload(upload),
        "raters_per_trial": 10,
        "abandon_after_minutes": 30,
        "headphone_pass_mark": 5,
        "exclusion_rules": "{}",
        "jobs-TOTAL_FORMS": 0,
        "jobs-INITIAL_FORMS": 0,
        **changes,
    }


def nothing_stored(*, but_the_held_zip: bool = False) -> bool:
    """No study and no stored upload; `but_the_held_zip`: except a zip that passed its checks,
    kept for the researcher's next try of the add form (studies/held_uploads.py)."""
    uploads = Path(settings.MEDIA_ROOT) / "uploads"
    stored = list(uploads.rglob("*")) if uploads.exists() else []
    if but_the_held_zip:
        stored = [p for p in stored if p.relative_to(uploads).parts[0] != "held"]
    return not Study.objects.exists() and not stored


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_upload_is_refused_by_the_api_and_the_admin_and_creates_nothing(
    case, api, client, researcher, settings
):
    build, limits, expected = HOSTILE[case]
    for name, value in limits.items():
        setattr(settings, name, value)
    data = build()

    refused = api.post(
        "/api/studies/",
        {"name": "Hostile set", "kind": "uploaded_set", "upload": as_upload(data)},
        format="multipart",
    )
    assert refused.status_code == 400, refused.content[:300]
    assert refused.json()["detail"] == "The uploaded set has problems."
    assert any(expected in problem for problem in refused.json()["problems"]), refused.json()

    client.force_login(researcher)
    page = client.post("/admin/studies/study/add/", admin_form(data))
    assert page.status_code == 200, "the form is shown again"
    problems = page.context["adminform"].form.errors["source_upload"]
    assert any(expected in problem for problem in problems), problems
    assert nothing_stored()


def test_a_zip_bomb_is_refused_in_a_moment_with_little_memory():
    bomb = zeros_zip("manifest.csv", 50 * 2**20)  # 50 MB of zeros: a 50 kB zip
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(InvalidInput):
        services.study_create(name="bomb", kind="uploaded_set", upload=as_upload(bomb))
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"\n{len(bomb) / 1e3:.0f} kB zip of 52 MB refused in {seconds * 1e3:.1f} ms, "
        f"peak {peak / 1e6:.2f} MB allocated"
    )
    assert seconds < 0.5
    assert peak < 5e6, "nothing was unpacked"


def test_design_numbers_beyond_any_sensible_study_are_refused(api, client, researcher):
    for n_test_trials in (2**70, -1, 0, True, 10_001):
        refused = api.post(
            "/api/studies/",
            {
                "name": "x",
                "kind": "uploaded_set",
                "design_params": json.dumps({"n_test_trials": n_test_trials}),
                "upload": as_upload(upload_zip()),
            },
            format="multipart",
        )
        assert refused.status_code == 400
        assert refused.json()["problems"] == [
            "n_test_trials must be a whole number from 1 to 10000 (or empty for all)"
        ]
    client.force_login(researcher)
    page = client.post(
        "/admin/studies/study/add/",
        admin_form(upload_zip(), design_params=json.dumps({"n_test_trials": 2**70})),
    )
    assert "n_test_trials must be a whole number from 1 to 10000" in str(
        page.context["adminform"].form.errors
    )
    assert nothing_stored(but_the_held_zip=True)


def test_a_manifest_with_a_byte_order_mark_is_read_as_written():
    data = manifest_replaced(b"\xef\xbb\xbf" + valid_manifest().encode())
    study = services.study_create(name="from Excel", kind="uploaded_set", upload=as_upload(data))
    assert study.source_upload
