"""Researcher downloads outside the admin's changelist actions."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from studies.exports import download_response
from studies.models import Study


def responses_export(request, pk: int, extension: str):
    if extension not in ("csv", "json"):
        raise Http404("Unknown export format.")
    return download_response(get_object_or_404(Study, pk=pk), extension)
