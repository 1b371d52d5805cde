"""Researcher downloads outside the admin's changelist actions."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from studies.exports import download_response
from studies.models import Stimulus, Study


def responses_export(request, pk: int, extension: str):
    if extension not in ("csv", "json"):
        raise Http404("Unknown export format.")
    return download_response(get_object_or_404(Study, pk=pk), extension)


def stimulus_file(request, pk: int):
    """Researchers listen to and look at stored stimuli (participants use signed links)."""
    stimulus = get_object_or_404(Stimulus, pk=pk)
    return FileResponse(stimulus.file.open("rb"), content_type=stimulus.content_type)
