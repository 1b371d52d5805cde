"""Reads. Views, APIs and exports get their data from functions here.

A selector returns what it found, None when there is nothing (the caller decides whether that
is a 404), or raises a domain error (studies.errors); it never answers HTTP itself.
"""

import threading
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet

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
    TrialReference,
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
        return asdict(self)


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
    return ScreenOption(
        **asdict(screen_stimulus(participant, option.stimulus, use=f"t{index}-o{position}")),
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


@dataclass(frozen=True)
class StimulusFacts:
    id: int
    kind: str
    description: str
    duration_s: float | None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class OptionFacts:
    stimulus: StimulusFacts | None  # None: a worded option (its label says it)
    is_correct: bool
    label: str = ""


@dataclass(frozen=True)
class TrialFacts:
    """What the answer path needs to know about a trial; fixed once the study is built."""

    trial_type: str
    prompt: StimulusFacts
    options: dict[int, OptionFacts]
    references: tuple[StimulusFacts, ...] = ()  # shown for reference, in order
    trial_id: int = field(default=0, kw_only=True)
    # A grouping board: the groups it offers, and whether that is the true number (told).
    groups: int = field(default=0, kw_only=True)
    groups_told: bool = field(default=False, kw_only=True)

    @property
    def minimum_listening_s(self) -> float:
        """How long the clips take to hear once: the prompt (audio prompt), or every audio
        option (image prompt: 2 clips in a transformation test, 4 pieces in a style test;
        a grouping board: every item's clip, each heard once before the board is sent; its
        pictures need no time; an audio prompt with audio options: the prompt and every
        option). Reference clips were heard in the preview; hearing them again is the
        participant's choice."""
        if self.trial_type in (Trial.Type.AUDIO_TO_IMAGE, Trial.Type.PAIR_JUDGEMENT):
            return self.prompt.duration_s or 0.0
        audio_prompt = self.trial_type == Trial.Type.AUDIO_TO_AUDIO
        prompt_s = (self.prompt.duration_s or 0.0) if audio_prompt else 0.0
        return prompt_s + sum(
            o.stimulus.duration_s or 0.0
            for o in self.options.values()
            if o.stimulus is not None and o.stimulus.kind == Stimulus.Kind.AUDIO
        )

    @property
    def correct_option_ids(self) -> list[int]:
        return [option_id for option_id, option in self.options.items() if option.is_correct]


def stimulus_facts(stimulus: Stimulus) -> StimulusFacts:
    return StimulusFacts(
        stimulus.pk,
        stimulus.kind,
        stimulus.description,
        stimulus.duration_s,
        stimulus.width,
        stimulus.height,
    )


class ProcessCache:
    """A bounded least-recently-used map kept in this process's memory, shared by its threads.

    For what never changes once written (a built trial's facts, keyed by its random public
    id): no network round trip to a shared cache, no pickling. Each gunicorn worker fills its
    own on first use."""

    def __init__(self, *, max_entries: int):
        self.max_entries = max_entries
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def put_many(self, items: dict) -> None:
        with self.lock:
            self.entries.update(items)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


TRIAL_FACTS = ProcessCache(max_entries=50_000)


def trial_facts(trial: Trial) -> TrialFacts:
    """A trial's facts, from this process's cache (trials never change once built)."""
    facts = trial_facts_by_public_id(str(trial.public_id))
    if facts is None:
        raise Trial.DoesNotExist(f"trial {trial.public_id} is gone")
    return facts


def trial_facts_by_public_id(public_id: str) -> TrialFacts | None:
    """None when there is no such trial. A miss loads every trial of the trial's study at once
    (4 queries), so a worker pays once per study, not once per trial."""
    facts = TRIAL_FACTS.get(public_id)
    if facts is None:
        TRIAL_FACTS.put_many(study_trial_facts_load(public_id))
        facts = TRIAL_FACTS.get(public_id)
    return facts


def trial_facts_forget() -> None:
    """Empty this process's cache of trial facts (a cold worker, in tests and benchmarks)."""
    TRIAL_FACTS.clear()


def study_trial_facts_load(public_id: str) -> dict[str, TrialFacts]:
    """The facts of every trial of the study that holds trial `public_id`, by public id."""
    try:
        study_id = (
            Trial.objects.filter(public_id=public_id)
            .values_list("phase__study_id", "phase__study__design_params")
            .first()
        )
    except ValidationError:  # not a UUID
        return {}
    if study_id is None:
        return {}
    trials = (
        Trial.objects.filter(phase__study_id=study_id[0])
        .select_related("prompt")
        .prefetch_related(
            Prefetch("options", TrialOption.objects.select_related("stimulus")),
            Prefetch("references", TrialReference.objects.select_related("stimulus")),
        )
    )
    return {
        str(trial.public_id): TrialFacts(
            trial_type=trial.trial_type,
            prompt=stimulus_facts(trial.prompt),
            options={
                o.pk: OptionFacts(
                    stimulus_facts(o.stimulus) if o.stimulus_id is not None else None,
                    o.is_correct,
                    o.label,
                )
                for o in trial.options.all()
            },
            references=tuple(stimulus_facts(r.stimulus) for r in trial.references.all()),
            trial_id=trial.pk,
            **board_groups(trial, design_params=study_id[1]),
        )
        for trial in trials
    }


def board_groups(trial: Trial, *, design_params) -> dict:
    """A grouping board offers its true number of groups when its study tells participants
    (style_grouping's tell_n_groups, true by default), else up to one group per item."""
    if trial.trial_type != Trial.Type.GROUPING:
        return {}
    options = trial.options.all()
    if not isinstance(design_params, dict) or design_params.get("tell_n_groups", True):
        return {"groups": len({o.identity for o in options}), "groups_told": True}
    return {"groups": len(options), "groups_told": False}
