"""Opaque, per-participant, expiring media URLs that say nothing about the file they open.

A link's last path part is one fixed-length base64url string:

    stamp (4 bytes) | nonce (8 bytes) | encrypted stimulus id (8 bytes) | tag (16 bytes)

- The nonce is derived with a server key from (participant, stamp, use), where `use` names the
  place the link appears (e.g. "t3-o1": trial 3, option 1). Without the key it is random; links
  for different places differ even when they open the same file, and the same place gets the
  same link again (a prefetched clip keeps its address when its trial is shown).
- The id is XORed with a pad drawn from HMAC(key, participant, stamp, nonce): a fresh pad for
  every nonce, so comparing, subtracting or XORing links (or learning the id behind a few of
  them, e.g. the preview pairs) tells nothing about any other link.
- The tag (HMAC over the participant and the first three parts) makes a link work only for the
  participant it was made for, unaltered, and for SYNLAB_MEDIA_URL_MAX_AGE_S seconds.
"""

import base64
import hashlib
import hmac
import time
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, reverse

from studies.models import Participant

# Stamps are rounded to this window so a link made for the next trial's prefetch is the link
# that trial shows.
STAMP_WINDOW_S = 600
STAMP_BYTES, NONCE_BYTES, ID_BYTES, TAG_BYTES = 4, 8, 8, 16
LINK_BYTES = STAMP_BYTES + NONCE_BYTES + ID_BYTES + TAG_BYTES
LINK_CHARS = 4 * LINK_BYTES // 3  # 36 bytes -> 48 base64url characters, no padding


def media_url(
    participant: Participant, stimulus, *, use: str | None = None, now: float | None = None
) -> str:
    """The link for `stimulus` (a Stimulus, or anything with its `id`) at the place `use`.

    Without `use`, the stimulus itself names the place: one stable link per file.
    """
    current = int(now if now is not None else time.time())
    stamp = (current - current % STAMP_WINDOW_S).to_bytes(STAMP_BYTES, "big")
    place = use if use is not None else f"stimulus-{stimulus.id}"
    nonce = keyed_digest("nonce", participant.token, stamp, place.encode())[:NONCE_BYTES]
    cipher = xor(stimulus.id.to_bytes(ID_BYTES, "big"), pad(participant.token, stamp, nonce))
    body = stamp + nonce + cipher
    link = body + tag(participant.token, body)
    encoded = base64.urlsafe_b64encode(link).decode().rstrip("=")
    before_token, before_link, after_link = media_route(get_script_prefix())
    return f"{before_token}{participant.token}{before_link}{encoded}{after_link}"


@lru_cache(maxsize=16)
def media_route(script_prefix: str) -> tuple[str, str, str]:
    """The media URL around its token and link, reversed once per script prefix (a link is
    made eight times per answer; reversing each one cost more than signing it)."""
    path = reverse("participant-media", args=["TOKEN", "LINK"])
    before_token, rest = path.split("TOKEN", 1)
    before_link, after_link = rest.split("LINK", 1)
    return before_token, before_link, after_link


def stimulus_id_from_signed(
    participant: Participant, signed: str, *, now: float | None = None
) -> int | None:
    """The stimulus id behind a link, or None when it is not a valid, unexpired link."""
    if len(signed) != LINK_CHARS:
        return None
    try:
        link = base64.urlsafe_b64decode(signed + "=" * (-len(signed) % 4))
    except ValueError:
        return None
    body, given = link[:-TAG_BYTES], link[-TAG_BYTES:]
    if len(link) != LINK_BYTES or not hmac.compare_digest(given, tag(participant.token, body)):
        return None
    stamp = body[:STAMP_BYTES]
    nonce = body[STAMP_BYTES : STAMP_BYTES + NONCE_BYTES]
    age = (now if now is not None else time.time()) - int.from_bytes(stamp, "big")
    if age > settings.SYNLAB_MEDIA_URL_MAX_AGE_S + STAMP_WINDOW_S or age < -60:
        return None
    plain = xor(body[STAMP_BYTES + NONCE_BYTES :], pad(participant.token, stamp, nonce))
    return int.from_bytes(plain, "big")


def pad(token: str, stamp: bytes, nonce: bytes) -> bytes:
    return keyed_digest("pad", token, stamp, nonce)[:ID_BYTES]


def tag(token: str, body: bytes) -> bytes:
    return keyed_digest("tag", token, body)[:TAG_BYTES]


def keyed_digest(purpose: str, token: str, *parts: bytes) -> bytes:
    """HMAC-SHA256 under a key derived from SECRET_KEY for `purpose` (as Django's salted_hmac
    derives it), with the keyed state made once per process and copied per message."""
    message = token.encode() + b"".join(len(p).to_bytes(2, "big") + p for p in parts)
    digest = keyed_state(purpose, settings.SECRET_KEY).copy()
    digest.update(message)
    return digest.digest()


@lru_cache(maxsize=16)
def keyed_state(purpose: str, secret: str) -> hmac.HMAC:
    key = hashlib.sha256(f"synlab.media.{purpose}".encode() + secret.encode()).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))
