"""What the participant views share: the friendly 404 for what is not there, and the replies to a
client that sent too many requests (studies.ratelimit)."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from studies import selectors
from studies.models import Participant


def found(value, message: str):
    """What a selector found; nothing found is the friendly 404 page (templates/404.html)."""
    if value is None:
        raise Http404(message)
    return value


def participant_or_404(token: str) -> Participant:
    return found(selectors.participant_by_token(token), "We could not find your session.")


def too_many_page(request: HttpRequest) -> HttpResponse:
    return render(request, "participant/too_many.html", status=429)


def too_many_reply(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"error": too_many_message()}, status=429)


def too_many_message() -> str:
    return _(
        "Too many requests came from your network just now. Please wait a minute, then try again."
    )
