"""Participants never see Django's debug pages.

With DEBUG on (the demo), Django answers an unknown address or a failing view with its
technical page, which lists every URL pattern or a traceback. Outside the researchers' places
(the admin, the API, /researcher/), this middleware puts the friendly, translated page in its
place (templates/404.html, templates/500.html); with DEBUG off Django uses those pages itself.
"""

from django.conf import settings
from django.shortcuts import render

RESEARCHER_PREFIXES = ("/admin/", "/api/", "/researcher/")
FRIENDLY_PAGES = {404: "404.html", 500: "500.html"}


class FriendlyErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and self.shows_debug_page(request, response):
            page = FRIENDLY_PAGES[response.status_code]
            return render(request, page, status=response.status_code)
        return response

    @staticmethod
    def shows_debug_page(request, response) -> bool:
        return (
            response.status_code in FRIENDLY_PAGES
            and response.get("Content-Type", "").startswith("text/html")
            and not request.path.startswith(RESEARCHER_PREFIXES)
        )
