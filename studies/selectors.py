"""Reads. Views, APIs and exports get their data from functions here.

A selector returns what it found, None when there is nothing (the caller decides whether that
is a 404), or raises a domain error (studies.errors); it never answers HTTP itself.
"""

import json
import math
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, TextField
from django.db.models.functions import Cast

from studies.models import (
    Assignment,
    GenerationJob,
    ModelRun,
    Participant,
    Phase,
    Response,
    Stimulus,
    Study,
    Trial,
    TrialOption,
)
from studies.signing import media_url


def participant_by_token(token: str) -> Participant | None:
    return Participant.objects.select_related("study").filter(token=token).first()


def participant_resuming(
    study: Study, *, prolific_pid: str, session_token: str | None
) -> Participant | None:
    """The session this browser started (its session cookie names it); when the link carries
    a Prolific id, only if the session is that id's."""
    if not session_token:
        return None
    participant = Participant.objects.filter(study=study, token=session_token).first()
    if participant and prolific_pid and participant.prolific_pid != prolific_pid:
        return None
    return participant


def participant_by_prolific_pid(study: Study, prolific_pid: str) -> Participant | None:
    if not prolific_pid:
        return None
    return (
        Participant.objects.select_related("study")
        .filter(study=study, prolific_pid=prolific_pid)
        .first()
    )


def study_by_slug(slug: str) -> Study | None:
    return Study.objects.filter(slug=slug).first()


def study_by_pk(pk: int) -> Study | None:
    return Study.objects.filter(pk=pk).first()


def stimulus_by_pk(pk: int, *, kind: str | None = None) -> Stimulus | None:
    stimuli = Stimulus.objects.filter(pk=pk)
    return (stimuli.filter(kind=kind) if kind else stimuli).first()


@dataclass(frozen=True)
class ScreenStimulus:
    """A stimulus as the participant's browser gets it: a personal link and its alt text."""

    kind: str
    url: str
    description: str


@dataclass(frozen=True)
class ScreenOption(ScreenStimulus):
    position: int  # 0-based place on the screen: the answer's `choice`
    number: int  # what the participant sees and presses: position + 1


@dataclass(frozen=True)
class TrialScreen:
    """One trial as one participant sees it. The trial page and the script's answer reply both
    show this (templates/participant/trial_screen.html); `prefetch` holds the links of the
    next trial's media, which that trial will use."""

    index: int
    number: int
    total: int
    trial: str  # the public id the answer names
    trial_type: str
    prompt: ScreenStimulus
    options: tuple[ScreenOption, ...]
    prefetch: tuple[str, ...]

    def as_json(self) -> dict:
        return asdict(self)


def trial_screen(participant: Participant, index: int) -> TrialScreen | None:
    """Trial `index` of the participant's list, options in their screen order; None past the end.

    One query (this assignment and the next); the trials' options come from trial_facts.
    """
    assignments = {
        assignment.sequence: assignment
        for assignment in Assignment.objects.filter(
            participant_id=participant.pk, sequence__in=[index, index + 1]
        ).select_related("trial")
    }
    current = assignments.get(index)
    if current is None:
        return None
    facts = trial_facts(current.trial)
    upcoming = assignments.get(index + 1)
    return TrialScreen(
        index=index,
        number=index + 1,
        total=participant.trial_count,
        trial=str(current.trial.public_id),
        trial_type=facts.trial_type,
        prompt=screen_stimulus(participant, facts.prompt, use=f"t{index}-prompt"),
        options=tuple(
            ScreenOption(
                **asdict(screen_stimulus(participant, stimulus, use=f"t{index}-o{position}")),
                position=position,
                number=position + 1,
            )
            for position, stimulus in enumerate(screen_stimuli(facts, current.option_order))
        ),
        prefetch=tuple(prefetch_urls(participant, upcoming)),
    )


def screen_stimuli(facts: "TrialFacts", option_order: list[int]) -> list["StimulusFacts"]:
    return [facts.options[option_id].stimulus for option_id in option_order]


def prefetch_urls(participant: Participant, upcoming: Assignment | None) -> list[str]:
    """The links trial_screen will give the next trial's media (the browser cache serves them)."""
    if upcoming is None:
        return []
    facts = trial_facts(upcoming.trial)
    index = upcoming.sequence
    links = [media_url(participant, facts.prompt, use=f"t{index}-prompt")]
    for position, stimulus in enumerate(screen_stimuli(facts, upcoming.option_order)):
        links.append(media_url(participant, stimulus, use=f"t{index}-o{position}"))
    return links


def screen_stimulus(participant: Participant, stimulus: "StimulusFacts", *, use: str):
    return ScreenStimulus(
        kind=stimulus.kind,
        url=media_url(participant, stimulus, use=use),
        description=stimulus.description,
    )


@dataclass(frozen=True)
class PreviewExample:
    """A worked example: an image and the clip that belongs with it."""

    image: ScreenStimulus
    clip: ScreenStimulus


def preview_examples(participant: Participant) -> list[PreviewExample]:
    trials = (
        Trial.objects.filter(phase__study_id=participant.study_id, phase__kind=Phase.Kind.PREVIEW)
        .select_related("prompt")
        .prefetch_related("options__stimulus")
        .order_by("phase__order", "order")
    )
    examples = []
    for number, trial in enumerate(trials):
        prompt = stimulus_facts(trial.prompt)
        answer = stimulus_facts(trial.options.all()[0].stimulus)
        pair = {
            "prompt": screen_stimulus(participant, prompt, use=f"e{number}-prompt"),
            "answer": screen_stimulus(participant, answer, use=f"e{number}-answer"),
        }
        audio_prompt = prompt.kind == Stimulus.Kind.AUDIO
        image, clip = ("answer", "prompt") if audio_prompt else ("prompt", "answer")
        examples.append(PreviewExample(image=pair[image], clip=pair[clip]))
    return examples


def study_has_preview(study: Study) -> bool:
    return Trial.objects.filter(phase__study=study, phase__kind=Phase.Kind.PREVIEW).exists()


def stimulus_for_participant(participant: Participant, stimulus_id: int) -> Stimulus | None:
    """Only stimuli of the participant's own study are ever served to them."""
    return Stimulus.objects.filter(pk=stimulus_id, study_id=participant.study_id).first()


def studies_with_participant_counts(studies: QuerySet) -> QuerySet:
    """Studies annotated with n_started and n_completed (researcher previews left out)."""
    real = Q(participants__is_preview=False)
    done = Q(participants__is_preview=False, participants__stage=Participant.Stage.DONE)
    return studies.annotate(
        n_started=Count("participants", filter=real, distinct=True),
        n_completed=Count("participants", filter=done, distinct=True),
    )


def study_stimuli(study: Study) -> QuerySet:
    return Stimulus.objects.filter(study=study).order_by("pk")


def study_participants(study: Study) -> QuerySet:
    """Participants with `n_answers` (one query, however many there are)."""
    return (
        Participant.objects.filter(study=study)
        .annotate(n_answers=Count("responses"))
        .order_by("pk")
    )


def study_jobs(study: Study) -> QuerySet:
    return GenerationJob.objects.filter(study=study).order_by("-created_at")


COMPARED_METRICS = ("mse", "kl", "p_at_10", "accuracy", "mi_nats")


@dataclass(frozen=True)
class ModelRunComparison:
    runs: list[ModelRun]
    rows: list[dict]  # {"label": "synvae kl", "values": [one per run, None where missing]}


def model_run_comparison(runs: QuerySet) -> ModelRunComparison:
    """The selected runs' metrics side by side, oldest first; metrics no run has are left out."""
    ordered = list(runs.order_by("created_at"))
    rows = []
    for part in ("visvae", "synvae"):
        for metric in COMPARED_METRICS:
            values = [(run.metrics.get(part) or {}).get(metric) for run in ordered]
            if any(value is not None for value in values):
                rows.append({"label": f"{part} {metric}", "values": values})
    return ModelRunComparison(runs=ordered, rows=rows)


@dataclass(frozen=True)
class StudyProgress:
    started: int
    completed: int
    answers: int
    answers_per_trial: dict[int, int]


def study_progress(study: Study) -> StudyProgress:
    counts = Participant.objects.filter(study=study, is_preview=False).aggregate(
        started=Count("pk"), completed=Count("pk", filter=Q(stage=Participant.Stage.DONE))
    )
    per_trial = Counter(
        dict(
            Response.objects.filter(participant__study=study, participant__is_preview=False)
            .values_list("trial__order")
            .annotate(n=Count("pk"))
            .values_list("trial__order", "n")
        )
    )
    return StudyProgress(
        started=counts["started"],
        completed=counts["completed"],
        answers=sum(per_trial.values()),
        answers_per_trial=dict(sorted(per_trial.items())),
    )


RESPONSE_COLUMNS = (
    "participant",
    "trial",
    "item",
    "condition",
    "class",
    "n_options",
    "chosen",
    "correct",
    "is_correct",
    "position",
    "sequence",
    "rt_ms",
    "audio_rt_ms",
    "plays",
    "heard_to_end",
    "fraction_heard",
    "pauses",
    "hidden_while_playing",
    "too_fast",
    "is_catch",
    "gender",
    "age_band",
    "musical_level",
    "prolific_pid",
    "participant_status",
    "failed_catch",
    "failed_screening",
    "chosen_class",
    "correct_position",
    "participant_flags",
    "client_sent_at",
    "received_at",
)


def response_table_for_study(study: Study, *, include_previews: bool = False) -> list[dict]:
    """One row per answer, in the documented analysis table format (see docs/analysis.md).

    Read as plain values, never as model instances, so that whatever a client managed to store
    still exports: a time Python cannot hold (year 10000 in UTC) is read as the database's text,
    a non-finite number becomes empty, flags that are not text are written out as text.
    """
    responses = Response.objects.filter(participant__study=study)
    if not include_previews:
        responses = responses.filter(participant__is_preview=False)
    rows = responses.order_by("participant_id", "sequence").values(
        "participant_id",
        "trial_id",
        "is_correct",
        "position",
        "sequence",
        *EXPORTED_NUMBERS,
        "heard_to_end",
        "hidden_while_playing",
        "too_fast",
        chosen_identity=F("chosen__identity"),
        chosen_class=F("chosen__stimulus__class_label"),
        client_sent=Cast("client_sent_at", TextField()),
        received=Cast("received_at", TextField()),
    )
    context = export_context(study)
    return [response_row(row, context) for row in rows]


# Numbers a client sends; stored as they came, exported only when finite.
EXPORTED_NUMBERS = ("rt_ms", "audio_rt_ms", "plays", "fraction_heard", "pauses")


@dataclass(frozen=True)
class ExportContext:
    """Per-study lookups made once for the whole export: trials, participants, screens."""

    trials: dict[int, dict]
    participants: dict[int, dict]
    failed_catch: dict[int, int]
    screens: dict[tuple[int, int], object]  # (participant, trial) -> option ids in screen order


def export_context(study: Study) -> ExportContext:
    trials = {
        row["pk"]: row
        for row in Trial.objects.filter(phase__study=study)
        .values("pk", "order", "condition", "class_label", "is_catch", item=F("prompt__key"))
        .annotate(n_options=Count("options"))
    }
    for trial_id, identity, option_id in TrialOption.objects.filter(
        trial__phase__study=study, is_correct=True
    ).values_list("trial_id", "identity", "pk"):
        trials[trial_id] |= {"correct_identity": identity, "correct_option": option_id}
    participants = {
        row["pk"]: row
        for row in Participant.objects.filter(study=study).values(
            "pk",
            "gender",
            "age_band",
            "musical_level",
            "prolific_pid",
            "stage",
            "flags",
            completed=ExpressionWrapper(Q(completed_at__isnull=False), BooleanField()),
            released=ExpressionWrapper(Q(released_at__isnull=False), BooleanField()),
        )
    }
    failed_catch = dict(
        Response.objects.filter(participant__study=study, trial__is_catch=True, is_correct=False)
        .values_list("participant_id")
        .annotate(n=Count("pk"))
    )
    screens = {
        (participant_id, trial_id): order
        for participant_id, trial_id, order in Assignment.objects.filter(
            participant__study=study
        ).values_list("participant_id", "trial_id", "option_order")
    }
    return ExportContext(trials, participants, failed_catch, screens)


def response_row(response: dict, context: ExportContext) -> dict:
    trial = context.trials[response["trial_id"]]
    participant = context.participants[response["participant_id"]]
    screen = context.screens.get((participant["pk"], trial["pk"]))
    numbers = {name: finite_or_none(response[name]) for name in EXPORTED_NUMBERS}
    return {
        "participant": f"P{participant['pk']}",
        "trial": trial["order"],
        "item": trial["item"],
        "condition": trial["condition"],
        "class": trial["class_label"],
        "n_options": trial["n_options"],
        "chosen": response["chosen_identity"],
        "correct": trial.get("correct_identity", ""),
        "is_correct": response["is_correct"],
        "position": response["position"],
        "sequence": response["sequence"],
        "rt_ms": numbers["rt_ms"],
        "audio_rt_ms": numbers["audio_rt_ms"],
        "plays": numbers["plays"],
        "heard_to_end": response["heard_to_end"],
        "fraction_heard": numbers["fraction_heard"],
        "pauses": numbers["pauses"],
        "hidden_while_playing": response["hidden_while_playing"],
        "too_fast": response["too_fast"],
        "is_catch": trial["is_catch"],
        "gender": participant["gender"],
        "age_band": participant["age_band"],
        "musical_level": participant["musical_level"],
        "prolific_pid": participant["prolific_pid"],
        "participant_status": participant_status(participant),
        "failed_catch": context.failed_catch.get(participant["pk"], 0),
        "failed_screening": participant["stage"] == Participant.Stage.SCREENED_OUT,
        "chosen_class": response["chosen_class"],
        "correct_position": index_or_none(screen, trial.get("correct_option")),
        "participant_flags": flags_text(participant["flags"]),
        "client_sent_at": stored_time_text(response["client_sent"]),
        "received_at": stored_time_text(response["received"]),
    }


def participant_status(participant: dict) -> str:
    if participant["completed"]:
        return "complete"
    return "abandoned" if participant["released"] else "in_progress"


def finite_or_none(value):
    """A stored number as exported: NaN and infinities (which JSON cannot carry) become empty."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def index_or_none(screen, option_id: int | None) -> int | None:
    try:
        return screen.index(option_id)
    except (AttributeError, ValueError):
        return None


def flags_text(flags) -> str:
    """The participant's quality flags as one text cell, whatever JSON was stored."""
    if isinstance(flags, list):
        return "; ".join(flag if isinstance(flag, str) else json.dumps(flag) for flag in flags)
    return "" if flags in (None, "") else json.dumps(flags)


def stored_time_text(text: str | None) -> str:
    """A stored time as ISO 8601 in UTC; the database's own text when Python cannot hold it.

    The times are read as text (not as datetimes) so that one out-of-range value, e.g. a
    client's 9999-12-31T23:59:59-14:00 (year 10000 in UTC), cannot fail the whole export.
    """
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:  # SQLite keeps UTC without an offset
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    except (ValueError, OverflowError):
        return text


@dataclass(frozen=True)
class StimulusFacts:
    id: int
    kind: str
    description: str
    duration_s: float | None


@dataclass(frozen=True)
class OptionFacts:
    stimulus: StimulusFacts
    is_correct: bool


@dataclass(frozen=True)
class TrialFacts:
    """What the answer path needs to know about a trial; fixed once the study is built."""

    trial_type: str
    prompt: StimulusFacts
    options: dict[int, OptionFacts]

    @property
    def minimum_listening_s(self) -> float:
        """How long the clips take to hear once: the prompt, or every audio option."""
        if self.trial_type == Trial.Type.AUDIO_TO_IMAGE:
            return self.prompt.duration_s or 0.0
        return sum(o.stimulus.duration_s or 0.0 for o in self.options.values())


def stimulus_facts(stimulus: Stimulus) -> StimulusFacts:
    return StimulusFacts(stimulus.pk, stimulus.kind, stimulus.description, stimulus.duration_s)


def trial_facts(trial: Trial) -> TrialFacts:
    """Cached per trial (keyed by its random public id): trials never change once built."""
    key = f"synlab.trial-facts.{trial.public_id}"
    facts = cache.get(key)
    if facts is None:
        options = trial.options.select_related("stimulus")
        facts = TrialFacts(
            trial_type=trial.trial_type,
            prompt=stimulus_facts(Stimulus.objects.get(pk=trial.prompt_id)),
            options={o.pk: OptionFacts(stimulus_facts(o.stimulus), o.is_correct) for o in options},
        )
        cache.set(key, facts, timeout=3600)
    return facts
