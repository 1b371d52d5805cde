"""A database or cache that is briefly gone (a restart, a failover) answers 503, not 500.

While PostgreSQL restarts, every query fails with OperationalError (or InterfaceError on a
connection it closed); while Redis restarts, the shared cache raises ConnectionError. Neither
is a bug in the request: the participant should wait a few seconds and send the same thing
again, which is safe because answers are stored exactly once. This middleware turns those
errors into `503 Service Unavailable` with `Retry-After`: a JSON body for the page's script
(which then resends the answer by itself) and a translated page for everything else. Nothing
was stored by the failed request: its transaction never committed.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger("synlab.outages")

RETRY_AFTER_S = 5


def outage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean 'a server we depend on is briefly unreachable'."""
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # the embedded setup has no Redis client
        return tuple(errors)
    return (*errors, RedisConnectionError, RedisTimeoutError)


OUTAGE_ERRORS = outage_errors()


def outage_message() -> str:
    return _(
        "Synlab could not reach its database for a moment. Nothing is lost: your answers so "
        "far are saved. Please try again in a few seconds."
    )


def wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def continue_url(request: HttpRequest) -> str:
    """Where 'try again' leads: the same page for a GET; a participant's page after a POST
    (a form that failed is shown again there, with the answers that were stored)."""
    if request.method == "GET":
        return request.get_full_path()
    parts = request.path.split("/")
    if len(parts) > 2 and parts[1] == "p":
        return f"/p/{parts[2]}/"
    return request.path


class OutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, OUTAGE_ERRORS):
            return None
        logger.warning(
            "%s %s: a server is unreachable (%s)", request.method, request.path, exception
        )
        if wants_json(request):
            response = JsonResponse(
                {"error": outage_message(), "retry_after_s": RETRY_AFTER_S}, status=503
            )
        else:
            response = render(
                request,
                "503.html",
                {
                    "message": outage_message(),
                    "retry_url": continue_url(request),
                    "auto_retry": request.method == "GET",
                    "retry_after_s": RETRY_AFTER_S,
                },
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
