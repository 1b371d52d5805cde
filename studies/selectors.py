"""Reads. Views, APIs and exports get their data from functions here."""

from collections import Counter
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404

from studies.models import (
    Assignment,
    Participant,
    Phase,
    Response,
    Stimulus,
    Study,
    Trial,
    TrialOption,
)


def participant_by_token(token: str) -> Participant:
    participant = Participant.objects.select_related("study").filter(token=token).first()
    if participant is None:
        raise Http404("We could not find your session.")
    return participant


def study_by_slug(slug: str) -> Study:
    study = Study.objects.filter(slug=slug).first()
    if study is None:
        raise Http404("We could not find this study.")
    return study


@dataclass(frozen=True)
class ScreenTrial:
    """A trial as one participant sees it: options in their screen order."""

    trial: Trial
    options: list[TrialOption]
    index: int
    total: int


def trial_for_participant(participant: Participant, index: int) -> ScreenTrial | None:
    assignment = (
        Assignment.objects.filter(participant=participant, sequence=index)
        .select_related("trial__prompt")
        .first()
    )
    if assignment is None:
        return None
    trial = assignment.trial
    options = {o.pk: o for o in trial.options.select_related("stimulus")}
    ordered = [options[pk] for pk in assignment.option_order]
    return ScreenTrial(trial=trial, options=ordered, index=index, total=participant.trial_count)


def trial_next_for_participant(participant: Participant) -> ScreenTrial | None:
    return trial_for_participant(participant, participant.next_index)


def preview_trials_for_study(study: Study) -> list[Trial]:
    return list(
        Trial.objects.filter(phase__study=study, phase__kind=Phase.Kind.PREVIEW)
        .select_related("prompt")
        .prefetch_related("options__stimulus")
        .order_by("phase__order", "order")
    )


def study_has_preview(study: Study) -> bool:
    return Trial.objects.filter(phase__study=study, phase__kind=Phase.Kind.PREVIEW).exists()


def stimulus_for_participant(participant: Participant, stimulus_id: int) -> Stimulus | None:
    """Only stimuli of the participant's own study are ever served to them."""
    return Stimulus.objects.filter(pk=stimulus_id, study_id=participant.study_id).first()


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
    """One row per answer, in the documented analysis table format (see docs/analysis.md)."""
    responses = (
        Response.objects.filter(participant__study=study)
        .select_related("participant", "trial__prompt", "chosen__stimulus")
        .order_by("participant_id", "sequence")
    )
    if not include_previews:
        responses = responses.filter(participant__is_preview=False)
    correct_identity = dict(
        TrialOption.objects.filter(trial__phase__study=study, is_correct=True).values_list(
            "trial_id", "identity"
        )
    )
    n_options = dict(
        Trial.objects.filter(phase__study=study).annotate(n=Count("options")).values_list("pk", "n")
    )
    failed_catch = dict(
        Response.objects.filter(participant__study=study, trial__is_catch=True, is_correct=False)
        .values_list("participant_id")
        .annotate(n=Count("pk"))
    )
    correct_option = dict(
        TrialOption.objects.filter(trial__phase__study=study, is_correct=True).values_list(
            "trial_id", "pk"
        )
    )
    screens = {
        (participant_id, trial_id): order
        for participant_id, trial_id, order in Assignment.objects.filter(
            participant__study=study
        ).values_list("participant_id", "trial_id", "option_order")
    }
    context = ExportContext(correct_identity, n_options, failed_catch, correct_option, screens)
    return [response_row(r, context) for r in responses]


@dataclass(frozen=True)
class ExportContext:
    """Per-study lookups made once for the whole export."""

    correct_identity: dict
    n_options: dict
    failed_catch: dict
    correct_option: dict
    screens: dict


def response_row(response: Response, context: "ExportContext") -> dict:
    participant, trial = response.participant, response.trial
    correct_identity, n_options, failed_catch = (
        context.correct_identity,
        context.n_options,
        context.failed_catch,
    )
    correct_option, screens = context.correct_option, context.screens
    return {
        "participant": f"P{participant.pk}",
        "trial": trial.order,
        "item": trial.prompt.key,
        "condition": trial.condition,
        "class": trial.class_label,
        "n_options": n_options[trial.pk],
        "chosen": response.chosen.identity,
        "correct": correct_identity.get(trial.pk, ""),
        "is_correct": response.is_correct,
        "position": response.position,
        "sequence": response.sequence,
        "rt_ms": response.rt_ms,
        "audio_rt_ms": response.audio_rt_ms,
        "plays": response.plays,
        "heard_to_end": response.heard_to_end,
        "fraction_heard": response.fraction_heard,
        "pauses": response.pauses,
        "hidden_while_playing": response.hidden_while_playing,
        "too_fast": response.too_fast,
        "is_catch": trial.is_catch,
        "gender": participant.gender,
        "age_band": participant.age_band,
        "musical_level": participant.musical_level,
        "prolific_pid": participant.prolific_pid,
        "participant_status": participant_status(participant),
        "failed_catch": failed_catch.get(participant.pk, 0),
        "failed_screening": participant.stage == Participant.Stage.SCREENED_OUT,
        "chosen_class": response.chosen.stimulus.class_label,
        "correct_position": screens[(participant.pk, trial.pk)].index(correct_option[trial.pk]),
        "participant_flags": "; ".join(participant.flags),
        "client_sent_at": response.client_sent_at.isoformat() if response.client_sent_at else "",
        "received_at": response.received_at.isoformat(),
    }


def participant_status(participant: Participant) -> str:
    if participant.completed_at:
        return "complete"
    return "abandoned" if participant.released_at else "in_progress"


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
