"""A researcher's zip kept between two tries of the study add form.

A browser cannot refill a file input, so when the add form comes back with a problem
elsewhere (a design parameter, a setting), the zip the researcher chose would have to be
chosen again. Instead the zip, once it passed the upload checks (and so its size limits:
SYNLAB_MAX_UPLOAD_BYTES and the others), is kept on the server under a random token that
the form carries in a hidden field; the next try uses it unless another file is chosen.

A held zip belongs to one researcher (its folder is named by their user id, so another
account's token finds nothing), at most MAX_HELD_PER_OWNER are kept per researcher, each for
HOLD_FOR; it is removed when the study is created from it.
"""

import re
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename

FOLDER = "uploads/held"
HOLD_FOR = timedelta(hours=24)
MAX_HELD_PER_OWNER = 3
TOKEN = re.compile(r"[0-9a-f]{16}[A-Za-z0-9_-]{24}")  # when it was kept (ns, hex), then random


@dataclass(frozen=True)
class HeldUpload:
    token: str
    name: str
    size: int


def upload_hold(*, upload: File, owner_id: int) -> HeldUpload:
    """Keep a checked upload for the owner's next try; returns its token."""
    held_uploads_expire(owner_id=owner_id, keep=MAX_HELD_PER_OWNER - 1)
    token = f"{time.time_ns():016x}{secrets.token_urlsafe(18)}"
    name = file_name(upload.name or "")
    upload.seek(0)
    default_storage.save(f"{owner_folder(owner_id)}/{token}/{name}", upload)
    upload.seek(0)
    return HeldUpload(token=token, name=name, size=upload.size)


def upload_held(*, token: str, owner_id: int) -> File | None:
    """The owner's held zip for this token, open for reading; None if unknown or expired."""
    if not TOKEN.fullmatch(token or ""):
        return None
    held_uploads_expire(owner_id=owner_id)
    folder = f"{owner_folder(owner_id)}/{token}"
    if not default_storage.exists(folder):
        return None
    names = default_storage.listdir(folder)[1]
    if not names:
        return None
    handle = default_storage.open(f"{folder}/{names[0]}", "rb")
    return File(handle, name=names[0])


def upload_release(*, token: str, owner_id: int) -> None:
    """Remove a held zip (the study now has its own copy)."""
    if TOKEN.fullmatch(token or ""):
        remove_folder(f"{owner_folder(owner_id)}/{token}")


def held_uploads_expire(*, owner_id: int, keep: int = MAX_HELD_PER_OWNER) -> None:
    """Remove the owner's zips held longer than HOLD_FOR, and the oldest beyond `keep`."""
    folder = owner_folder(owner_id)
    if not default_storage.exists(folder):
        return
    newest_first = sorted(default_storage.listdir(folder)[0], reverse=True)
    too_old = time.time_ns() - HOLD_FOR.total_seconds() * 1e9
    for rank, token in enumerate(newest_first):
        if rank >= keep or not TOKEN.fullmatch(token) or int(token[:16], 16) < too_old:
            remove_folder(f"{folder}/{token}")


def file_name(name: str) -> str:
    """The name the researcher's file had, made safe for storage (a fallback otherwise)."""
    try:
        return get_valid_filename(name.replace("\\", "/").rsplit("/", 1)[-1])[:100]
    except SuspiciousFileOperation:
        return "set.zip"


def owner_folder(owner_id: int) -> str:
    return f"{FOLDER}/{int(owner_id)}"


def remove_folder(folder: str) -> None:
    if not default_storage.exists(folder):
        return
    for name in default_storage.listdir(folder)[1]:
        default_storage.delete(f"{folder}/{name}")
    default_storage.delete(folder)
