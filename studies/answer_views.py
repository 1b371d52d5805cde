"""The page script's answer endpoint, and recording an answer from either path (the script's JSON
or the page's form)."""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from studies import answering, flow, ratelimit, selectors
from studies.errors import ServiceError
from studies.grouping_answers import answer_form_for
from studies.models import Participant
from studies.participant_http import participant_or_404, too_many_reply
from studies.screen_markup import trial_screen_html

Stage = Participant.Stage


@never_cache
@require_http_methods(["POST"])
@ratelimit.limited("answer", refusal=too_many_reply)
def participant_answer(request: HttpRequest, token: str) -> JsonResponse:
    """The script's answer path: record the answer, reply with the next trial in one request.

    The script sends JSON (CSRF token in its header), so nothing parses a multipart body. An
    answer the one-statement path takes needs no further query while the worker's trial facts
    are warm; anything else (a repeat, a refusal, an implausible reading to note) goes the
    long way, which gives the same reply as before.
    """
    form = answer_form_for(answer_fields(request))
    if not form.is_valid():
        participant_or_404(token)
        return JsonResponse({"error": form.refusal()}, status=400)
    data = form.cleaned_data
    taken = None
    if not data["implausible"] and data.get("placements") is None:  # a grouping: the long way
        taken = answering.answer_record_at_once(
            token=token,
            trial_public_id=str(data["trial"]),
            position=data["choice"],
            readings=answer_readings(data),
        )
    if taken is not None:
        screen = selectors.trial_screen_of(
            taken.participant, taken.participant.next_index, taken.upcoming
        )
        return next_trial_reply(taken.participant, screen)
    return answer_reply_the_long_way(token, data)


def answer_reply_the_long_way(token: str, data: dict) -> JsonResponse:
    participant = participant_or_404(token)
    try:
        record_answer(participant, data)
    except ServiceError as error:
        return JsonResponse({"error": error.message}, status=error.status_code)
    screen = (
        selectors.trial_screen(participant, participant.next_index)
        if participant.stage == Stage.TEST
        else None
    )
    if screen is not None:
        answering.assignment_mark_served(participant=participant, sequence=screen.index)
    return next_trial_reply(participant, screen)


def next_trial_reply(participant: Participant, screen) -> JsonResponse:
    page = reverse("participant-page", args=[participant.token])
    if screen is None:
        return JsonResponse({"next": None, "redirect": page})
    html = trial_screen_html(screen)
    return JsonResponse(
        {
            "next": {**screen.as_json(), "html": html},
            "progress_percent": round(100 * flow.progress_fraction(participant)),
            "redirect": page,
        }
    )


def answer_fields(request: HttpRequest) -> dict:
    """The answer's fields: a JSON object of plain values (the script) or a posted form.

    JSON values are turned into the strings a form would carry, so one form reads both; a body
    that is not such an object reads as no fields (the form then says it could not be read)."""
    if request.content_type != "application/json":
        return request.POST
    try:
        sent = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(sent, dict):
        return {}
    return {name: form_text(value) for name, value in sent.items() if is_plain(value)}


def is_plain(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def form_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    return "" if value is None else str(value)


def answer_readings(data: dict) -> answering.Readings:
    return answering.Readings(
        rt_ms=data["rt_ms"],
        audio_rt_ms=data["audio_rt_ms"],
        plays=data["plays"] or 0,
        heard_to_end=data["heard_to_end"],
        fraction_heard=data["fraction_heard"],
        pauses=data["pauses"] or 0,
        hidden_while_playing=data["hidden_while_playing"],
        client_sent_at=data["client_sent_at"],
    )


def record_answer(participant: Participant, data: dict) -> None:
    if data.get("placements") is not None:
        answering.grouping_record(
            participant=participant,
            trial_public_id=str(data["trial"]),
            placements=data["placements"],
            readings=answer_readings(data),
            implausible=data["implausible"],
        )
        return
    answering.response_record(
        participant=participant,
        trial_public_id=str(data["trial"]),
        position=data["choice"],
        rt_ms=data["rt_ms"],
        audio_rt_ms=data["audio_rt_ms"],
        plays=data["plays"] or 0,
        heard_to_end=data["heard_to_end"],
        fraction_heard=data["fraction_heard"],
        pauses=data["pauses"] or 0,
        hidden_while_playing=data["hidden_while_playing"],
        client_sent_at=data["client_sent_at"],
        implausible=data["implausible"],
    )
