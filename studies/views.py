"""Participant pages. Each view checks its input, calls one service or selector, and renders."""

import hashlib
import re
import secrets

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from studies import (
    answering,
    colour_vision,
    enrolment,
    flow,
    headphones,
    ratelimit,
    selectors,
    services,
)
from studies.answer_views import record_answer
from studies.errors import InvalidInput, ServiceError, StudyFull
from studies.forms import ConsentForm, DemographicsForm
from studies.grouping_answers import answer_form_for
from studies.models import Participant, Study, Trial
from studies.participant_http import (  # noqa: F401 - tool_views and admin_views use them too
    found,
    participant_or_404,
    too_many_message,
    too_many_page,
    too_many_reply,
)
from studies.screen_markup import trial_screen_html
from studies.signing import stimulus_id_from_signed

Stage = Participant.Stage
BROWSER_ID = "synlab.browser"
PROLIFIC_PARAMS = {
    "PROLIFIC_PID": "prolific_pid",
    "STUDY_ID": "prolific_study_id",
    "SESSION_ID": "prolific_session_id",
}


def session_key(study: Study) -> str:
    return f"synlab.participant.{study.slug}"


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limited("enrol", refusal=too_many_page)
def study_entry(request: HttpRequest, slug: str) -> HttpResponse:
    study = found(selectors.study_by_slug(slug), "We could not find this study.")
    if study.status != Study.Status.LIVE:
        return render(request, "participant/closed.html", {"study": study}, status=403)
    external = {
        field: request.GET.get(param, request.POST.get(param, ""))
        for param, field in PROLIFIC_PARAMS.items()
    }
    if not enrolment.external_ids_valid(*external.values()):
        return error_page(request, InvalidInput(enrolment.invalid_link_message()))
    own = selectors.participant_resuming(
        study,
        prolific_pid=external["prolific_pid"],
        session_token=request.session.get(session_key(study)),
    )
    if own:
        return continue_in_this_browser(request, own)
    browser = browser_key(request)
    holder = selectors.participant_by_prolific_pid(study, external["prolific_pid"])
    if holder:
        return resume_elsewhere(request, holder, browser=browser)
    posted = request.method == "POST"
    form = ConsentForm(request.POST if posted else None)
    welcome_page = posted and request.POST.get("welcome") == "1"
    about = DemographicsForm(request.POST if welcome_page else None)
    if posted and form.is_valid() and (not welcome_page or about.is_valid()):
        try:
            participant = enrolment.participant_enroll(
                study=study,
                label=request.GET.get("label", "")[:100],
                user_agent=request.headers.get("User-Agent", ""),
                browser_key=browser,
                welcome=welcome_answers(request, study, about) if welcome_page else None,
                **external,
            )
        except StudyFull as error:
            return render(
                request, "participant/full.html", {"study": study, "message": error.message}
            )
        except ServiceError as error:
            return error_page(request, error)
        return continue_in_this_browser(request, participant)
    return render(
        request,
        "participant/consent.html",
        {
            "study": study,
            "form": form,
            "about": about,
            "external": external,
            "instructions_here": flow.instructions_on_welcome_page(study),
        },
    )


def welcome_answers(request: HttpRequest, study: Study, about) -> enrolment.Welcome:
    """What the welcome page sent with the consent: the questionnaire, and whether it showed
    the instructions (only when no screening comes before them)."""
    return enrolment.Welcome(
        **about.cleaned_data,
        instructions_read=request.POST.get("instructions_read") == "1"
        and flow.instructions_on_welcome_page(study),
    )


def browser_key(request: HttpRequest) -> str:
    """A random id kept in this browser's session, hashed. Enrolment stores it, so that a
    consent sent twice from one browser (a double click) resumes instead of being refused."""
    secret = request.session.get(BROWSER_ID)
    if not secret:
        secret = request.session[BROWSER_ID] = secrets.token_urlsafe(18)
    return hashlib.sha256(secret.encode()).hexdigest()


def resume_elsewhere(request: HttpRequest, holder: Participant, *, browser: str) -> HttpResponse:
    """A Prolific id that has a session: the browser that started it goes on; any other browser
    must give the session's resume code (a Prolific id alone is no proof of being its owner)."""
    if holder.browser_key and holder.browser_key == browser:
        return continue_in_this_browser(request, holder)
    problem = None
    if request.method == "POST" and "resume_code" in request.POST:
        try:
            holder = enrolment.participant_resume_with_code(
                participant=holder, code=request.POST["resume_code"]
            )
        except ServiceError as error:
            problem = error.message
        else:
            return continue_in_this_browser(request, holder)
    context = {"study": holder.study, "problem": problem}
    return render(request, "participant/resume.html", context, status=403)


def continue_in_this_browser(request: HttpRequest, participant: Participant) -> HttpResponse:
    request.session[session_key(participant.study)] = participant.token
    return redirect("participant-page", token=participant.token)


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit.limited("answer", refusal=too_many_page)
def participant_page(request: HttpRequest, token: str) -> HttpResponse:
    participant = participant_or_404(token)
    if participant.released_at and participant.stage not in (Stage.DONE, Stage.SCREENED_OUT):
        minutes = settings.SYNLAB_FIRST_ANSWER_WITHIN_MINUTES
        context = page_context(participant, first_answer_minutes=minutes)
        return render(request, "participant/expired.html", context, status=410)
    services.participant_touch(participant=participant)
    if request.method == "POST" and request.POST.get("stage") == participant.stage:
        try:
            participant = STAGE_SUBMITS[participant.stage](request, participant)
        except ServiceError as error:
            return error_page(request, error)
        if isinstance(participant, HttpResponse):
            return participant
        return redirect("participant-page", token=participant.token)
    if request.method == "POST":
        # A stale form (back button, double submit of a finished page): change nothing, resume.
        return redirect("participant-page", token=participant.token)
    return STAGE_PAGES[participant.stage](request, participant)


def error_page(request: HttpRequest, error: ServiceError) -> HttpResponse:
    return render(
        request,
        "participant/error.html",
        {"message": error.message, "problems": error.problems},
        status=error.status_code,
    )


def page_context(participant: Participant, **extra) -> dict:
    shows_code = participant.prolific_pid and not participant.is_preview
    return {
        "participant": participant,
        "study": participant.study,
        "progress_percent": round(100 * flow.progress_fraction(participant)),
        "resume_code": enrolment.participant_resume_code(participant) if shows_code else None,
        **extra,
    }


def demographics_page(request, participant, form=None):
    form = form or DemographicsForm()
    return render(request, "participant/demographics.html", page_context(participant, form=form))


def demographics_submit(request, participant):
    form = DemographicsForm(request.POST)
    if not form.is_valid():
        return demographics_page(request, participant, form=form)
    return services.participant_save_demographics(participant=participant, **form.cleaned_data)


def screening_page(request, participant, missing: bool = False):
    trials = headphones.trials_for(secret=services.screening_secret(participant))
    sections = [
        {
            "test": test,
            "questions": [
                {
                    "number": trial.number,
                    "urls": [
                        reverse("headphone-audio", args=[participant.token, test, trial.number, i])
                        for i in range(headphones.INTERVALS)
                    ],
                }
                for trial in trials[test]
            ],
        }
        for test in headphones.TESTS
    ]
    context = page_context(
        participant,
        sections=sections,
        missing=missing,
        calibration_url=reverse("headphone-calibration", args=[participant.token]),
    )
    return render(request, "participant/screening.html", context)


SOUND_CHOICES = {str(interval): interval for interval in range(headphones.INTERVALS)}


def screening_submit(request, participant):
    """Each question's answer is one of the sounds offered; anything else counts as missing."""
    answers = {test: {} for test in headphones.TESTS}
    for test in headphones.TESTS:
        for number in range(headphones.TRIALS_PER_TEST):
            value = request.POST.get(f"{test}-{number}", "")
            if value in SOUND_CHOICES:
                answers[test][number] = SOUND_CHOICES[value]
    expected = len(headphones.TESTS) * headphones.TRIALS_PER_TEST
    if sum(len(chosen) for chosen in answers.values()) < expected:
        return screening_page(request, participant, missing=True)
    return services.participant_submit_screening(participant=participant, answers=answers)


def colour_check_page(request, participant, missing: bool = False):
    plates = [
        reverse("colour-plate", args=[participant.token, number])
        for number in range(colour_vision.PLATES)
    ]
    context = page_context(participant, plates=plates, missing=missing)
    return render(request, "participant/colour_check.html", context)


PLATE_ANSWER = re.compile(r"[0-9]{1,2}")


def colour_check_submit(request, participant):
    """Each plate is read as a number of one or two digits; anything else counts as missing."""
    answers = [request.POST.get(f"plate-{n}", "").strip() for n in range(colour_vision.PLATES)]
    if not all(PLATE_ANSWER.fullmatch(answer) for answer in answers):
        return colour_check_page(request, participant, missing=True)
    return services.participant_submit_colour_check(participant=participant, answers=answers)


@require_GET
def colour_plate(request: HttpRequest, token: str, number: int) -> HttpResponse:
    participant = participant_or_404(token)
    if number >= colour_vision.PLATES:
        raise Http404("No such plate.")
    secret = services.screening_secret(participant)
    digit = colour_vision.plate_digits(secret=secret)[number]
    response = HttpResponse(
        colour_vision.plate_png(digit=digit, seed=f"{secret}:{number}"), content_type="image/png"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


def screened_out_page(request, participant):
    return render(request, "participant/screened_out.html", page_context(participant))


def instructions_page(request, participant):
    return render(request, "participant/instructions.html", page_context(participant))


def continue_submit(request, participant):
    current = participant.stage
    participant = services.participant_advance(
        participant=participant, from_stage=current, to_stage=flow.stage_after(participant, current)
    )
    return participant


def preview_page(request, participant):
    examples = selectors.preview_examples(participant)
    return render(request, "participant/preview.html", page_context(participant, examples=examples))


def trial_page(request, participant):
    screen = found(selectors.trial_screen(participant, participant.next_index), "No trial left.")
    answering.assignment_mark_served(participant=participant, sequence=screen.index)
    grouping = screen.trial_type == Trial.Type.GROUPING
    template = "participant/grouping.html" if grouping else "participant/trial.html"
    context = page_context(participant, screen=screen, screen_html=trial_screen_html(screen))
    return render(request, template, context)


def answer_submit(request, participant):
    form = answer_form_for(request.POST)
    if not form.is_valid():
        messages.error(request, form.refusal())
        return participant
    record_answer(participant, form.cleaned_data)
    return participant


def done_page(request, participant):
    return render(request, "participant/done.html", page_context(participant))


STAGE_PAGES = {
    Stage.DEMOGRAPHICS: demographics_page,
    Stage.SCREENING: screening_page,
    Stage.COLOUR_CHECK: colour_check_page,
    Stage.SCREENED_OUT: screened_out_page,
    Stage.INSTRUCTIONS: instructions_page,
    Stage.PREVIEW: preview_page,
    Stage.TEST: trial_page,
    Stage.DONE: done_page,
}
STAGE_SUBMITS = {
    Stage.DEMOGRAPHICS: demographics_submit,
    Stage.SCREENING: screening_submit,
    Stage.COLOUR_CHECK: colour_check_submit,
    Stage.SCREENED_OUT: lambda request, participant: participant,
    Stage.INSTRUCTIONS: continue_submit,
    Stage.PREVIEW: continue_submit,
    Stage.TEST: answer_submit,
    Stage.DONE: lambda request, participant: participant,
}


@require_GET
def participant_media(request: HttpRequest, token: str, signed: str) -> HttpResponse:
    participant = participant_or_404(token)
    stimulus_id = stimulus_id_from_signed(participant, signed)
    stimulus = selectors.stimulus_for_participant(participant, stimulus_id) if stimulus_id else None
    if stimulus is None:
        raise Http404("This media link is not valid (it may have expired: reload the page).")
    response = FileResponse(stimulus.file.open("rb"), content_type=stimulus.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def headphone_audio(request: HttpRequest, token: str, test: str, number: int, interval: int):
    participant = participant_or_404(token)
    valid = test in headphones.TESTS and number < headphones.TRIALS_PER_TEST
    if not valid or interval >= headphones.INTERVALS:
        raise Http404("No such sound.")
    audio = headphones.interval_audio(
        secret=services.screening_secret(participant), test=test, number=number, interval=interval
    )
    return wav_response(headphones.wav_bytes(audio))


@require_GET
def headphone_calibration(request: HttpRequest, token: str):
    participant_or_404(token)
    return wav_response(headphones.wav_bytes(headphones.calibration_noise()))


def wav_response(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="audio/wav")
    response["Cache-Control"] = "private, max-age=3600"
    return response
