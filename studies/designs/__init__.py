"""Experiment kinds. Each module here builds a study's phases and trials for one kind.

A design module provides:
    KIND: str                  the value stored in Study.kind
    LABEL: str                 shown to researchers
    Params                     a dataclass with `from_dict(dict) -> Params` that raises DesignError
    build(*, study) -> None    create stimuli, phases, trials, options (inside a transaction)
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


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, design_for(kind).LABEL) for kind in DESIGN_MODULES]
