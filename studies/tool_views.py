"""The Vis2Mus browser tool: one page, its JSON render endpoint and its files, for researchers
(staff) and, when a study allows it, for its participants after the debrief. Each view checks
its input, calls the service (studies.tool) and renders."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from modeling.vis2mus import tool as rendering
from studies import ratelimit, tool
from studies.errors import ServiceError
from studies.models import Participant
from studies.views import participant_or_404, too_many_reply

CONTENT_TYPES = {rendering.PICTURE: "image/png", rendering.CLIP: "audio/flac"}
CONTENT_TYPES[rendering.MIDI] = "audio/midi"


@dataclass(frozen=True)
class Viewer:
    """Who uses the tool: what they may choose and where their requests and files go."""

    checkpoints: list[tool.CheckpointChoice]
    render_url: str
    participant: Participant | None = None

    def file_url(self, key: str, name: str) -> str:
        if self.participant is None:
            return reverse("vis2mus-tool-file", args=[key, name])
        return reverse("participant-tool-file", args=[self.participant.token, key, name])

    def checkpoint(self, request: HttpRequest) -> tool.CheckpointChoice:
        if self.participant is not None:
            return self.checkpoints[0]
        return tool.tool_checkpoint(request.GET.get("checkpoint", tool.DEMO))


def researcher(request: HttpRequest) -> Viewer:
    return Viewer(tool.tool_checkpoints(), reverse("vis2mus-tool-render"))


def participant_viewer(token: str) -> Viewer:
    participant = participant_or_404(token)
    if not tool.participant_may_use_tool(participant):
        raise Http404("The tool opens after the study, when the study offers it.")
    render_url = reverse("participant-tool-render", args=[participant.token])
    return Viewer([tool.study_tool_checkpoint(participant.study)], render_url, participant)


def state_for(request: HttpRequest, viewer: Viewer) -> tool.ToolState:
    tool_request, notes = tool.tool_request_from(request.GET)
    return tool.tool_render(
        request=tool_request, checkpoint=viewer.checkpoint(request), notes=notes
    )


# ----- the page ------------------------------------------------------------------------------


@never_cache
@require_GET
def researcher_tool(request: HttpRequest) -> HttpResponse:
    return tool_page(request, researcher(request))


@never_cache
@require_GET
def participant_tool(request: HttpRequest, token: str) -> HttpResponse:
    return tool_page(request, participant_viewer(token))


def tool_page(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = page_context(request, viewer)
    try:
        state = state_for(request, viewer)
    except ServiceError as error:
        context["problems"] = error.problems
        return render(request, "tool/vis2mus.html", context, status=error.status_code)
    context["state"] = state
    context["reply"] = state.as_json(file_url=viewer.file_url)
    context["values"] = context["reply"]["values"]
    return render(request, "tool/vis2mus.html", context)


def page_context(request: HttpRequest, viewer: Viewer) -> dict:
    """The form as asked for (each list's first anchor where nothing was chosen)."""
    choices = tool.tool_anchor_choices()
    chosen = {name: request.GET.get(name) or items[0].key for name, items in choices.items()}
    participant = viewer.participant
    return {
        "viewer": viewer,
        "participant": participant,
        "study": participant.study if participant else None,
        "choices": choices,
        "chosen": chosen,
        "mode": request.GET.get("mode") or "transform",
        "checkpoint": request.GET.get("checkpoint") or tool.DEMO,
        "values": {name: 0.0 for name in rendering.SLIDERS},
    }


# ----- the script's requests and the files ---------------------------------------------------


@never_cache
@require_GET
def researcher_tool_render(request: HttpRequest) -> JsonResponse:
    return render_reply(request, researcher(request))


@never_cache
@require_GET
def participant_tool_render(request: HttpRequest, token: str) -> JsonResponse:
    viewer = participant_viewer(token)
    if ratelimit.wait_needed(request, "answer") is not None:
        return too_many_reply(request)
    return render_reply(request, viewer)


def render_reply(request: HttpRequest, viewer: Viewer) -> JsonResponse:
    try:
        state = state_for(request, viewer)
    except ServiceError as error:
        reply = {"status": "refused", "message": error.message, "problems": error.problems}
        return JsonResponse(reply, status=error.status_code)
    return JsonResponse(state.as_json(file_url=viewer.file_url))


@require_GET
def researcher_tool_file(request: HttpRequest, key: str, name: str) -> FileResponse:
    return file_response(key, name)


@require_GET
def participant_tool_file(request: HttpRequest, token: str, key: str, name: str):
    participant_viewer(token)
    return file_response(key, name)


def file_response(key: str, name: str) -> FileResponse:
    path = tool.tool_result_file(key, name)
    if path is None:
        raise Http404("There is no such rendered file.")
    response = FileResponse(
        path.open("rb"),
        content_type=CONTENT_TYPES[name],
        as_attachment=name == rendering.MIDI,
        filename=f"vis2mus-{key[:12]}.mid" if name == rendering.MIDI else None,
    )
    response["Cache-Control"] = "private, max-age=86400, immutable"  # a key's files never change
    return response
