"""Reads. Views, APIs and exports get their data from functions here.

A selector returns what it found, None when there is nothing (the caller decides whether that
is a 404), or raises a domain error (studies.errors); it never answers HTTP itself.
"""

from collections import Counter
from dataclasses import dataclass, field, fields, is_dataclass

from django.db.models import Count, Q, QuerySet

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
    """A stimulus as the participant's browser gets it: a personal link, its alt text and, for
    a picture, its size (so the page keeps its place while it loads)."""

    kind: str
    url: str
    description: str
    width: int | None = field(default=None, kw_only=True)
    height: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class ScreenOption(ScreenStimulus):
    position: int  # 0-based place on the screen: the answer's `choice`
    number: int  # what the participant sees and presses: position + 1
    label: str = field(default="", kw_only=True)  # a worded option's words (kind "worded")


WORDED = "worded"  # ScreenOption.kind of an option with words and no medium (no link)


@dataclass(frozen=True)
class TrialScreen:
    """One trial as one participant sees it. The trial page and the script's answer reply both
    show this (templates/participant/trial_screen.html); `prefetch` holds the links of the
    next trial's media, which that trial will use; `references` are shown for reference (e.g.
    the anchor pair of a transformation test), never an answer."""

    index: int
    number: int
    total: int
    trial: str  # the public id the answer names
    trial_type: str
    prompt: ScreenStimulus
    options: tuple[ScreenOption, ...]
    prefetch: tuple[str, ...]
    references: tuple[ScreenStimulus, ...] = ()
    groups: int = field(default=0, kw_only=True)  # a grouping board's groups (TrialFacts)
    groups_told: bool = field(default=False, kw_only=True)

    @property
    def reference_pairs(self) -> list[tuple[ScreenStimulus | None, ScreenStimulus | None]]:
        """The references as (picture, clip) pairs: an image followed by a clip is one pair."""
        pairs: list[list] = []
        for stimulus in self.references:
            if stimulus.kind == Stimulus.Kind.AUDIO and pairs and pairs[-1][1] is None:
                pairs[-1][1] = stimulus
            elif stimulus.kind == Stimulus.Kind.AUDIO:
                pairs.append([None, stimulus])
            else:
                pairs.append([stimulus, None])
        return [(picture, clip) for picture, clip in pairs]

    def as_json(self) -> dict:
        return plain_values(self)


def plain_values(value):
    """A dataclass as dicts, lists and plain values (asdict, without its deep copies)."""
    if is_dataclass(value):
        return {item.name: plain_values(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, tuple | list):
        return [plain_values(item) for item in value]
    return value


@dataclass(frozen=True)
class ScheduledTrial:
    """An assignment as the screen needs it: its place in the list, trial and option order."""

    sequence: int
    trial_public_id: str
    option_order: list[int]


def trial_screen(participant: Participant, index: int) -> TrialScreen | None:
    """Trial `index` of the participant's list, options in their screen order; None past the end.

    One query (this assignment and the next); the trials' options come from trial_facts.
    """
    scheduled = [
        ScheduledTrial(sequence, str(public_id), option_order)
        for sequence, public_id, option_order in Assignment.objects.filter(
            participant_id=participant.pk, sequence__in=[index, index + 1]
        ).values_list("sequence", "trial__public_id", "option_order")
    ]
    return trial_screen_of(participant, index, scheduled)


def trial_screen_of(
    participant: Participant, index: int, scheduled: list[ScheduledTrial]
) -> TrialScreen | None:
    """trial_screen from assignments already read (the answer path's statement returns them):
    no query while the trials' facts are in this process's cache."""
    by_sequence = {item.sequence: item for item in scheduled}
    current = by_sequence.get(index)
    if current is None:
        return None
    facts = trial_facts_by_public_id(current.trial_public_id)
    upcoming = by_sequence.get(index + 1)
    return TrialScreen(
        index=index,
        number=index + 1,
        total=participant.trial_count,
        trial=current.trial_public_id,
        trial_type=facts.trial_type,
        prompt=screen_stimulus(participant, facts.prompt, use=f"t{index}-prompt"),
        options=tuple(
            screen_option(participant, facts.options[option_id], index=index, position=position)
            for position, option_id in enumerate(current.option_order)
        ),
        prefetch=tuple(prefetch_urls(participant, upcoming)),
        references=tuple(
            screen_stimulus(participant, stimulus, use=f"t{index}-r{number}")
            for number, stimulus in enumerate(facts.references)
        ),
        groups=facts.groups,
        groups_told=facts.groups_told,
    )


def screen_option(
    participant: Participant, option: "OptionFacts", *, index: int, position: int
) -> ScreenOption:
    """An option in its screen place: its medium's link for that place, or its words."""
    if option.stimulus is None:
        return ScreenOption(
            kind=WORDED,
            url="",
            description="",
            label=option.label,
            position=position,
            number=position + 1,
        )
    stimulus = option.stimulus
    return ScreenOption(
        kind=stimulus.kind,
        url=media_url(participant, stimulus, use=f"t{index}-o{position}"),
        description=stimulus.description,
        width=stimulus.width,
        height=stimulus.height,
        position=position,
        number=position + 1,
    )


def screen_stimuli(facts: "TrialFacts", option_order: list[int]) -> list["StimulusFacts | None"]:
    """The options' stimuli in screen order (None for a worded option)."""
    return [facts.options[option_id].stimulus for option_id in option_order]


def prefetch_urls(participant: Participant, upcoming: ScheduledTrial | None) -> list[str]:
    """The links trial_screen will give the next trial's media (the browser cache serves them)."""
    if upcoming is None:
        return []
    facts = trial_facts_by_public_id(upcoming.trial_public_id)
    index = upcoming.sequence
    # A grouping board shows its prompt only as one of its items: no link of its own.
    grouping = facts.trial_type == Trial.Type.GROUPING
    links = [] if grouping else [media_url(participant, facts.prompt, use=f"t{index}-prompt")]
    for position, stimulus in enumerate(screen_stimuli(facts, upcoming.option_order)):
        if stimulus is not None:
            links.append(media_url(participant, stimulus, use=f"t{index}-o{position}"))
    for number, stimulus in enumerate(facts.references):
        links.append(media_url(participant, stimulus, use=f"t{index}-r{number}"))
    return links


def screen_stimulus(participant: Participant, stimulus: "StimulusFacts", *, use: str):
    return ScreenStimulus(
        kind=stimulus.kind,
        url=media_url(participant, stimulus, use=use),
        description=stimulus.description,
        width=stimulus.width,
        height=stimulus.height,
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


def study_has_grouping_boards(study: Study) -> bool:
    return Trial.objects.filter(phase__study=study, trial_type=Trial.Type.GROUPING).exists()


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


def participants_with_answer_counts(participants: QuerySet) -> QuerySet:
    """Participants annotated with `n_answers` (the admin's list and withdrawal page)."""
    return participants.annotate(n_answers=Count("responses", distinct=True))


def study_has_answers(study_id: int) -> bool:
    """Whether anyone but a researcher previewing has answered (the build is evidence now)."""
    return Response.objects.filter(
        trial__phase__study_id=study_id, participant__is_preview=False
    ).exists()


def study_contents(study: Study) -> dict[str, int]:
    """What deleting the study removes, counted (nothing is loaded)."""
    return {
        "participants": Participant.objects.filter(study=study).count(),
        "answers": Response.objects.filter(participant__study=study).count(),
        "trials": Trial.objects.filter(phase__study=study).count(),
        "stimuli": Stimulus.objects.filter(study=study).count(),
    }


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


# The per-process trial facts live in their own module; re-exported for the views and tests.
from studies.trial_facts import (  # noqa: E402, F401
    TRIAL_FACTS,
    OptionFacts,
    ProcessCache,
    StimulusFacts,
    TrialFacts,
    board_groups,
    stimulus_facts,
    study_trial_facts_load,
    trial_facts,
    trial_facts_by_public_id,
    trial_facts_forget,
)
