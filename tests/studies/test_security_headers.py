"""Every response carries a Content-Security-Policy without 'unsafe-inline', and no page needs
more: participant pages have no inline script, style or event handler; the HTML report's one
inline style is allowed by its hash. A client's X-Forwarded-Proto is trusted only when set so."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from config.headers import DEFAULT_POLICY
from tests.studies.bots import Bot

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


class InlineFinder(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.styles: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "script" and not named.get("src") and named.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.in_style = True
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")

    def handle_endtag(self, tag):
        self.in_style = self.in_style and tag != "style"

    def handle_data(self, data):
        if self.in_style:
            self.styles.append(data)


def inline_parts(html: str) -> InlineFinder:
    finder = InlineFinder()
    finder.feed(html)
    return finder


def test_the_policy_allows_nothing_inline():
    policy = directives(DEFAULT_POLICY)
    assert {name: policy[name] for name in REQUIRED} == REQUIRED
    assert "unsafe" not in DEFAULT_POLICY


def test_every_participant_response_carries_the_policy_and_needs_no_more(live_study):
    bot = Bot(client=Client(), study_slug=live_study.slug, query="?PROLIFIC_PID=headers")
    responses = {
        "consent": bot.open_link(),
        "consent refused": bot.client.post(f"/s/{live_study.slug}/", {}),
    }
    bot.consent()
    responses["demographics"] = bot.page()
    bot.submit("demographics", {"gender": "other", "age_band": "65+", "musical_level": "amateur"})
    responses["instructions"] = bot.page()
    bot.submit("instructions")
    responses["examples"] = bot.page()
    bot.submit("preview")
    responses["trial"] = bot.page()
    html = responses["trial"].content.decode()
    trial = re.search(r'name="trial" value="([0-9a-f-]+)"', html).group(1)
    responses["answer reply"] = bot.client.post(
        f"/p/{bot.token}/answer", {"trial": trial, "choice": 0}
    )
    media = re.search(r'src="(/p/[^"]+/m/[^"]+)"', html).group(1)
    responses["media"] = bot.client.get(media)
    responses["not found"] = bot.client.get("/p/no-such-token/")
    responses["static"] = bot.client.get("/static/synlab/trial.js")
    responses["admin login"] = Client().get("/admin/login/")
    for name, response in responses.items():
        assert response["Content-Security-Policy"] == DEFAULT_POLICY, name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response.get("X-Frame-Options", "DENY") == "DENY", name  # static: CSP's job
        assert "camera=()" in response["Permissions-Policy"], name
        if response["Content-Type"].startswith("text/html"):
            found = inline_parts(response.content.decode())
            assert found.found == [] and found.styles == [], (name, found.found)


def test_the_html_report_may_use_its_own_style_and_nothing_else(live_study, researcher, client):
    Bot(client=Client(), study_slug=live_study.slug).take_whole_study()
    client.force_login(researcher)
    for url in (
        f"/researcher/studies/{live_study.pk}/report.html",
        f"/api/studies/{live_study.pk}/report/?as=html",
    ):
        report = client.get(url)
        found = inline_parts(report.content.decode())
        assert found.found == [] and len(found.styles) == 1
        digest = base64.b64encode(hashlib.sha256(found.styles[0].encode()).digest()).decode()
        policy = directives(report["Content-Security-Policy"])
        assert policy["style-src"] == f"'self' 'sha256-{digest}'"
        assert {name: policy[name] for name in REQUIRED if name != "style-src"} == {
            name: value for name, value in REQUIRED.items() if name != "style-src"
        }
    assert client.get("/admin/")["Content-Security-Policy"] == DEFAULT_POLICY


def proxy_header_setting(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_x_forwarded_proto_is_trusted_only_when_the_operator_says_so():
    production = {"DEBUG": "0", "SECRET_KEY": "x" * 50}
    assert proxy_header_setting(**production) == "None"
    trusted = proxy_header_setting(**production, SYNLAB_TRUST_X_FORWARDED_PROTO="1")
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_client_claiming_https_is_not_believed_by_default(live_study):
    response = Client().get(f"/s/{live_study.slug}/", HTTP_X_FORWARDED_PROTO="https")
    assert response.wsgi_request.is_secure() is False
