"""The front door, `/`: researchers see their studies; everyone else reads what this is."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from studies import selectors
from studies.models import Study


def front_page(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_authenticated and request.user.is_staff):
        return render(request, "front/welcome.html")
    studies = selectors.studies_with_participant_counts(Study.objects.order_by("-pk"))
    rows = [study_row(request, study) for study in studies]
    return render(request, "front/studies.html", {"rows": rows})


def study_row(request: HttpRequest, study: Study) -> dict:
    live = study.status == Study.Status.LIVE
    return {
        "study": study,
        "admin_url": reverse("admin:studies_study_change", args=[study.pk]),
        "report_url": reverse("study-report", args=[study.pk, "html"]),
        "participant_url": (
            request.build_absolute_uri(reverse("study-entry", args=[study.slug])) if live else ""
        ),
    }
