"""Rate limits per client, counted in Django's cache: no SQL on any request.

A client is the IP address the request came from, an IPv6 address by its /64 network (what one
household or machine usually holds whole). Behind a reverse proxy set SYNLAB_CLIENT_IP_HEADER
to the header the proxy writes (e.g. X-Forwarded-For); the last address in it is the one the
proxy saw. It is read only when configured: a client could write any header itself.

Limits are settings of the form "count/seconds", several joined by commas ("30/60,300/3600":
30 a minute and 300 an hour); an empty setting means no limit. Requests are counted in fixed
windows of `seconds`. With several server processes the cache must be shared (CACHE_URL, e.g.
Redis) for a limit to hold for all of them together; the default per-process memory cache
counts each process on its own. While that shared cache is unreachable (a Redis restart),
requests are not counted and go ahead: a limit is there to stop floods, and refusing every
participant for the length of a restart would be worse than a minute without limits.
"""

import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from config.outages import OUTAGE_ERRORS

logger = logging.getLogger("synlab.ratelimit")

SCOPES = {"enrol": "SYNLAB_RATE_ENROL", "answer": "SYNLAB_RATE_ANSWER"}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


@lru_cache(maxsize=32)
def rates_from(text: str) -> tuple[Rate, ...]:
    rates = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        count, seconds = part.split("/")
        rates.append(Rate(count=int(count), seconds=int(seconds)))
    return tuple(rates)


def client_of(request: HttpRequest) -> str:
    header = settings.SYNLAB_CLIENT_IP_HEADER
    seen = request.META.get("REMOTE_ADDR", "")
    if header:
        forwarded = request.headers.get(header, "").split(",")[-1].strip()
        seen = forwarded or seen
    try:
        address = ipaddress.ip_address(seen)
    except ValueError:
        return "unknown"
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


def counted(key: str, *, seconds: int) -> int:
    """Count one more request under `key` for `seconds`; how many there are now."""
    if cache.add(key, 1, timeout=seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between the two calls
        cache.set(key, 1, timeout=seconds)
        return 1


def wait_needed(request: HttpRequest, scope: str, *, now: float | None = None) -> int | None:
    """Count this request against the scope's limits: None if it may go ahead, otherwise the
    seconds until the client may try again."""
    moment = time.time() if now is None else now
    client = client_of(request)
    for rate in rates_from(getattr(settings, SCOPES[scope])):
        window = int(moment // rate.seconds)
        key = f"synlab.rate.{scope}.{rate.seconds}.{client}.{window}"
        if counted(key, seconds=rate.seconds) > rate.count:
            return int((window + 1) * rate.seconds - moment) + 1
    return None


def wait_checked(request: HttpRequest, scope: str) -> int | None:
    """wait_needed, letting the request go ahead uncounted while the cache is unreachable."""
    try:
        return wait_needed(request, scope)
    except OUTAGE_ERRORS as error:
        logger.warning("rate limit %s not counted: the cache is unreachable (%s)", scope, error)
        return None


def limited(scope: str, *, refusal: Callable[[HttpRequest], HttpResponse]):
    """Count a view's POST requests against the scope's limits; over a limit, answer with
    `refusal(request)` as 429 Too Many Requests, with Retry-After."""

    def decorate(view):
        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            wait = wait_checked(request, scope) if request.method == "POST" else None
            if wait is None:
                return view(request, *args, **kwargs)
            response = refusal(request)
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response

        return checked

    return decorate
