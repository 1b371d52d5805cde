"""Researcher downloads outside the admin's changelist actions."""

from django.http import FileResponse, Http404

from studies import selectors
from studies.exports import download_groupings, download_response
from studies.models import Stimulus
from studies.views import found


def responses_export(request, pk: int, extension: str):
    if extension not in ("csv", "json"):
        raise Http404("Unknown export format.")
    return download_response(found(selectors.study_by_pk(pk), "No such study."), extension)


def groupings_export(request, pk: int):
    """The grouping boards' answers, one row per item (the answers CSV has no board rows)."""
    return download_groupings(found(selectors.study_by_pk(pk), "No such study."))


def stimulus_file(request, pk: int):
    """Researchers listen to and look at stored stimuli (participants use signed links)."""
    stimulus = found(selectors.stimulus_by_pk(pk), "No such stimulus.")
    return FileResponse(stimulus.file.open("rb"), content_type=stimulus.content_type)


def study_report(request, pk: int, fmt: str):
    from studies.errors import ServiceError
    from studies.reports import report_response
    from studies.reports import study_report as render_report

    study = found(selectors.study_by_pk(pk), "No such study.")
    try:
        report = render_report(study=study, fmt=fmt)
    except ServiceError as error:
        raise Http404(error.message) from error
    return report_response(report, disposition="inline" if fmt == "html" else "attachment")


def power_planner(request):
    """Participants and trials needed to detect an accuracy against chance."""
    from django.template.response import TemplateResponse

    from studies.forms import PowerPlanForm

    form = PowerPlanForm(request.GET or None)
    plan = None
    if form.is_valid():
        from analysis import plan_sample_size

        plan = plan_sample_size(**form.cleaned_data, n_simulations=60, max_participants=150)
    context = {"form": form, "plan": plan, "title": "Power and sample size planner"}
    return TemplateResponse(request, "admin/power_planner.html", context)


def stimulus_piano_roll(request, pk: int):
    """A MIDI stimulus drawn as a piano roll, so researchers can inspect generated melodies."""
    import tempfile
    from pathlib import Path

    import pretty_midi
    from django.http import HttpResponse

    from modeling.render import piano_roll_png

    stimulus = found(selectors.stimulus_by_pk(pk, kind=Stimulus.Kind.MIDI), "No such melody.")
    with stimulus.file.open("rb") as handle, tempfile.TemporaryDirectory() as folder:
        image = Path(folder) / "roll.png"
        piano_roll_png(pretty_midi.PrettyMIDI(handle), image, width=480, height=180)
        return HttpResponse(image.read_bytes(), content_type="image/png")
