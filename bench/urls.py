"""The app's URLs plus one bare view that inserts one row: the baseline of the benchmark."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.http import require_http_methods

from config.urls import urlpatterns as app_urlpatterns

PING_TABLE = "bench_ping"
PING_KEY = {"postgresql": "bigserial PRIMARY KEY", "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT"}


def create_ping_table_sql(vendor: str) -> str:
    """The bare view's table, on PostgreSQL or SQLite (the peer bench runs on either)."""
    return f"""
CREATE TABLE IF NOT EXISTS {PING_TABLE} (
    id {PING_KEY[vendor]},
    client integer NOT NULL,
    seq integer NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""


@require_http_methods(["GET", "POST"])
def ping(request: HttpRequest) -> HttpResponse:
    """GET hands out a CSRF token; POST inserts one row (client, seq) with one raw INSERT."""
    if request.method == "GET":
        return HttpResponse(get_token(request), content_type="text/plain")
    try:
        client, seq = int(request.POST["client"]), int(request.POST["seq"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("client and seq are required integers")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {PING_TABLE} (client, seq) VALUES (%s, %s)", [client, seq])
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [*app_urlpatterns, path("bench/ping/", ping, name="bench-ping")]
