"""What the answer path knows about a built trial, cached in each process.

Trials never change once built, so their facts (prompt, options, references, what must be
heard) are loaded once per study per worker process (4 queries) and kept in a bounded
least-recently-used map keyed by the trial's random public id. studies.selectors re-exports
these names.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from studies.models import Stimulus, Trial, TrialOption, TrialReference


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
