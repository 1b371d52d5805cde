"""Security headers on every response: a Content-Security-Policy without 'unsafe-inline'.

Pages load scripts, styles, images, sounds and data only from this site (images and sounds may
also come from data: and blob: URLs the page makes itself). No inline script or style runs, so
markup that slipped into a page (a researcher's text, a participant's input) cannot act. A
response that needs one inline style (the self-contained HTML report) sets its own policy that
allows exactly that style by its hash (policy_allowing_styles); the middleware leaves a policy a
view set alone.
"""

import base64
import hashlib

from django.http import HttpRequest, HttpResponse

DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def policy(**changes: str) -> str:
    """The policy as a header value; `style_src="..."` replaces the style-src sources."""
    directives = {**DIRECTIVES, **{name.replace("_", "-"): v for name, v in changes.items()}}
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def policy_allowing_styles(*styles: str) -> str:
    """The policy, plus these exact inline <style> contents (CSP level 2 hash sources)."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
        for style in styles
    ]
    return policy(style_src=" ".join(["'self'", *hashes]))


DEFAULT_POLICY = policy()


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", DEFAULT_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
