"""Opaque, per-participant, expiring media URLs: the address tells nothing about the file.

A URL carries a timestamp, the stimulus id masked with a keyed hash of (participant, timestamp),
and a signature. Without the server's secret the id cannot be read, and a URL works only for the
participant it was made for, and only for SYNLAB_MEDIA_URL_MAX_AGE_S seconds.
"""

import time

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from studies.models import Participant

MASK_BITS = 63
# Stamps are rounded to this window so the next trial's prefetched media keep their address.
STAMP_WINDOW_S = 600


def media_url(participant: Participant, stimulus, *, now: float | None = None) -> str:
    """`stimulus`: a Stimulus, or anything with its `id` (selectors.StimulusFacts)."""
    current = int(now if now is not None else time.time())
    stamp = current - current % STAMP_WINDOW_S
    masked = stimulus.id ^ id_mask(participant.token, stamp)
    body = f"{base36(stamp)}.{base36(masked)}"
    return reverse(
        "participant-media",
        args=[participant.token, f"{body}.{signature(participant.token, body)}"],
    )


def stimulus_id_from_signed(
    participant: Participant, signed: str, *, now: float | None = None
) -> int | None:
    try:
        stamp_text, masked_text, given = signed.split(".")
        stamp, masked = int(stamp_text, 36), int(masked_text, 36)
    except ValueError:
        return None
    body = f"{stamp_text}.{masked_text}"
    if not constant_time_compare(given, signature(participant.token, body)):
        return None
    age = (now if now is not None else time.time()) - stamp
    if age > settings.SYNLAB_MEDIA_URL_MAX_AGE_S + STAMP_WINDOW_S or age < -60:
        return None
    return masked ^ id_mask(participant.token, stamp)


def id_mask(token: str, stamp: int) -> int:
    digest = salted_hmac("synlab.media.mask", f"{token}:{stamp}", algorithm="sha256").digest()
    return int.from_bytes(digest[:8], "big") & ((1 << MASK_BITS) - 1)


def signature(token: str, body: str) -> str:
    return salted_hmac("synlab.media.sign", f"{token}:{body}", algorithm="sha256").hexdigest()[:32]


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
        if number == 0:
            return text
