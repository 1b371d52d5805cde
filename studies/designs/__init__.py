"""Experiment kinds. Each module here builds a study's phases and trials for one kind.

A design module provides:
    KIND: str                  the value stored in Study.kind
    LABEL: str                 shown to researchers
    Params                     a dataclass with `from_dict(dict) -> Params` that raises DesignError
    build(*, study) -> None    create stimuli, phases, trials, options (inside a transaction)
A design that runs a model first also provides
    prepare(*, study) -> dict  the model's part (JSON values), run on the `gpu` queue; its result
                               reaches build(*, study, prepared) on the `cpu` queue
Registering a new kind means adding its module to DESIGN_MODULES.
"""

from importlib import import_module
from types import ModuleType

DESIGN_MODULES = {
    "uploaded_set": "studies.designs.uploaded_set",
    "synvae_matching": "studies.designs.synvae_matching",
}


class DesignError(ValueError):
    """The study cannot be built; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


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
