"""Study kinds. Each module here is one kind of experiment; this docstring is their contract.

A design module provides:

    KIND: str      the value stored in Study.kind (and its key in DESIGN_MODULES below)
    LABEL: str     what researchers see in the kind menu
    Params         a frozen dataclass subclassing DesignParams: every field is declared with
                   `param(default, "what it means")` (the admin's add form shows each kind's
                   parameters, defaults and meanings from this declaration, described()), and
                   `problems()` lists what is wrong, one sentence each. DesignParams.from_dict
                   refuses unknown names and raises DesignError with every problem; Study.clean()
                   runs it, so the admin, the API and services.study_create all refuse bad
                   parameters before anything is stored, and the study stores
                   `params.to_dict()` (defaults filled in).
    build(*, study, store[, prepared]) -> StudyPlan
                   the build stage, on the `cpu` queue, outside any transaction: it hands its
                   stimuli to `store` (a studies.stimuli.StimulusStore) and returns the plan of
                   phases and trials; services.study_plan_create then writes the stimulus,
                   Phase, Trial and TrialOption rows in short steps (the design writes no row).

A kind whose stimuli come from a model also provides

    prepare(*, study) -> dict
                   the model stage, on the `gpu` queue (torch is imported inside it, never at
                   module level): it returns JSON values (melodies, chosen images, ...) that are
                   stored on the GenerationJob and reach build(*, study, prepared) on the `cpu`
                   queue. Kinds without `prepare` are built from what the study already holds
                   (an upload) and their build takes no `prepared`.

Stimuli: the build stores its media through the StimulusStore it is given (`store.media`
re-encodes for participants: no metadata, even loudness, opaque hashed names; `store.midi`
keeps MIDI for researchers). The files are large, so each is written as soon as the design
hands it over instead of being held in the plan; their rows are written with the plan. Each
stimulus has a `key` unique within its study; the plan refers to stimuli by that key. A build
that fails (DesignError or a crash) leaves no row and no file; one that is killed leaves them
to the job's redo, which removes them first. The study stays `generating` meanwhile, which
no participant can open.

Bounds: every parameter has them, integers an upper one too (the API takes any JSON number;
`whole_number` checks both), and no design plans more than SYNLAB_MAX_TEST_TRIALS test trials.

The plan (plain dataclasses, no ORM):

    StudyPlan(phases=[PhasePlan(kind="preview" | "test", title, trials=[TrialPlan(...)])])
    TrialPlan(trial_type, prompt=<stimulus key>, options=[OptionPlan(stimulus=<key>,
              is_correct, identity)], class_label, condition="main", is_catch=False,
              references=[<stimulus key>, ...])

A worded option has no stimulus: `OptionPlan(stimulus=None, is_correct, identity,
label="Yes, it fits")` (the pair_judgement screen's Yes / No); its label is stored on the
TrialOption and shown through gettext, so a design marks it with gettext_noop.

`references` are stimuli shown with the trial for reference, never an answer (the anchor pair
of a Vis2Mus transformation test, the four pairs of a style test): in order, an image followed
by a clip shown as one pair, each clip playable (key R plays the first) but not required.

Options are listed in their canonical order; each participant sees them in a counterbalanced
order (studies.assignment). A preview phase shows worked examples (its first option is the
answer); the test phase holds the trials that are answered and analysed.

The trial screen: a trial is shown by the one participant template,
templates/participant/trial_screen.html, chosen by `trial_type` (Trial.Type: an audio prompt
with image options; an image prompt with audio options; "transformation" and "style_fusion",
an image prompt with audio options under the references, worded for the Vis2Mus tests;
"pair_judgement", a clip prompt shown with a picture, its one reference, and worded Yes / No
options; up to 6 options, keys 1-6). A kind that needs another screen adds a Trial.Type and
its branch in that template (and in TrialFacts.minimum_listening_s: what must be heard
before answering: the prompt clip of an audio prompt or a pair judgement, every audio option
of an image prompt, never the references). Every medium on the screen gets its own signed
link per place (selectors: `use="t<i>-prompt"`, `"t<i>-o<position>"`, `"t<i>-r<n>"`), so a
clip that is the answer in one trial and a distractor in the next has a different address in
each; a worded option has no medium and no link.

Analysis: every answer becomes one row of answer_table.response_table_for_study (see
docs/analysis.md), except a grouping board's (Trial.Type.GROUPING: its options are the items,
each option's identity the item's true group; the answer is placements, scored by the
adjusted Rand index), whose items are rows of studies/grouping_table.py. A design decides the
columns through its plan:

    condition     TrialPlan.condition; every statistic is computed per condition, so a kind
                  with several conditions (e.g. 2-AFC and 4-AFC tests, or affect vs. style
                  matching) names them here
    is_catch      attention checks: given to every participant, kept out of the statistics,
                  used by the exclusion rules
    n_options     len(options); the chance level of a trial is 1 / n_options, and a condition
                  mixing option counts is analysed per count
    chosen/correct the chosen option's `identity` and the correct option's (the categories of
                  rater agreement); exactly one option per test trial has is_correct=True
    item, class   the prompt stimulus's key and TrialPlan.class_label

Registering a new kind means adding its module to DESIGN_MODULES.
"""

from dataclasses import asdict, dataclass, field, fields
from importlib import import_module
from types import ModuleType
from typing import Self

DESIGN_MODULES = {
    "uploaded_set": "studies.designs.uploaded_set",
    "synvae_matching": "studies.designs.synvae_matching",
    "vis2mus_brightness": "studies.designs.vis2mus_brightness",
    "vis2mus_contrast": "studies.designs.vis2mus_contrast",
    "vis2mus_style": "studies.designs.vis2mus_style",
    "style_grouping": "studies.designs.style_grouping",
    "affect_matching": "studies.designs.affect_matching",
    "emotion_matching": "studies.designs.emotion_matching",
    "retrieval_check": "studies.designs.retrieval_check",
    "period_matching": "studies.designs.period_matching",
}


class DesignError(ValueError):
    """The study cannot be built; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def param(default, meaning: str):
    """A design parameter: its default and what it means to the researcher (one sentence that
    says the bounds and what an empty value does)."""
    return field(default=default, metadata={"meaning": meaning})


@dataclass(frozen=True)
class ParamInfo:
    name: str
    default: object
    meaning: str


@dataclass(frozen=True)
class DesignParams:
    """Base of every design's `Params`: subclass it as a frozen dataclass whose fields are
    declared with `param(default, meaning)`."""

    @classmethod
    def described(cls) -> list[ParamInfo]:
        """Every parameter with its default and meaning, in declaration order."""
        return [ParamInfo(f.name, f.default, f.metadata.get("meaning", "")) for f in fields(cls)]

    @classmethod
    def from_dict(cls, values: dict) -> Self:
        known = [f.name for f in fields(cls)]
        problems = [
            f"Unknown design parameter {name!r}; this kind takes {', '.join(known)}."
            for name in values
            if name not in known
        ]
        params = cls(**{name: value for name, value in values.items() if name in known})
        problems += params.problems()
        if problems:
            raise DesignError(problems)
        return params

    def problems(self) -> list[str]:
        return []

    def to_dict(self) -> dict:
        """What the study stores: the parameters that have a value."""
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class OptionPlan:
    stimulus: str | None  # the key of a stimulus of the study; None for a worded option
    is_correct: bool
    identity: str  # the category compared across raters (usually the class)
    label: str = ""  # what a worded option says ("Yes, it fits"); shown through gettext


@dataclass(frozen=True)
class TrialPlan:
    trial_type: str  # a Trial.Type value
    prompt: str  # the key of a stimulus of the study
    options: list[OptionPlan]
    class_label: str = ""
    condition: str = "main"
    is_catch: bool = False
    references: list[str] = field(default_factory=list)  # stimulus keys shown for reference


@dataclass(frozen=True)
class PhasePlan:
    kind: str  # a Phase.Kind value
    title: str
    trials: list[TrialPlan] = field(default_factory=list)


@dataclass(frozen=True)
class StudyPlan:
    """What a design's build asks for; services.study_plan_create creates the rows."""

    phases: list[PhasePlan]

    def stimulus_keys(self) -> set[str]:
        return {
            key
            for phase in self.phases
            for trial in phase.trials
            for key in (
                trial.prompt,
                *(option.stimulus for option in trial.options if option.stimulus is not None),
                *trial.references,
            )
        }


def whole_number(value, low: int, high: int) -> bool:
    """A design parameter that must be an int within bounds (JSON's true is not 1 here)."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def design_for(kind: str) -> ModuleType:
    try:
        return import_module(DESIGN_MODULES[kind])
    except KeyError as error:
        raise DesignError([f"Unknown study kind {kind!r}"]) from error


def needs_model(kind: str) -> bool:
    """Whether the kind's stimuli come from a model (a `prepare` stage on the gpu queue)."""
    return hasattr(design_for(kind), "prepare")


def model_kinds() -> list[str]:
    return [kind for kind in DESIGN_MODULES if needs_model(kind)]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, design_for(kind).LABEL) for kind in DESIGN_MODULES]


def kind_parameters() -> list[tuple[str, str, list[ParamInfo]]]:
    """Every kind with its label and its parameters (default, meaning), as declared."""
    return [
        (kind, design_for(kind).LABEL, design_for(kind).Params.described())
        for kind in DESIGN_MODULES
    ]
