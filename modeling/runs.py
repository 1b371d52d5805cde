"""What a model family tells the platform about the models its workers train (no torch here).

Each family lists its run kinds in ``modeling/<family>/runs.py`` as ``RUN_KINDS``, and its
module path goes into ``FAMILY_RUN_MODULES`` below. The platform (``studies.training``) checks a
researcher's request with ``check``, trains with ``train`` on a `gpu` queue worker, and, where
the kind names a study kind, turns a trained run into a draft study. Nothing here imports
torch: the web process reads these declarations, and ``train`` imports the family's training
code only when a worker calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

FAMILY_RUN_MODULES = (
    "modeling.synvae.runs",
    "modeling.vis2mus.runs",
    "modeling.chronology.runs",
    "modeling.affect.runs",
    "modeling.retrieval.runs",
)


@dataclass(frozen=True)
class RunRequest:
    """One training attempt, as a worker hands it to the family."""

    params: dict  # checked and completed by RunKind.check
    folder: Path  # an empty folder for this attempt's files
    parent_checkpoint: str | None  # the checkpoint of the run this one builds on
    on_progress: Callable[[dict], None]  # call often; it may raise to stop the training


@dataclass(frozen=True)
class RunKind:
    """A kind of model run: what it needs, how it trains, what it can generate.

    - ``check(params)`` fills in defaults (in place) and returns the problems, one sentence
      each; the platform adds the common ones (preset, seed, parent).
    - ``train(request)`` returns ``{"metrics": dict, "checkpoint": path or ""}``.
    - ``study_kind`` and ``study_params(params, run_id)``: the study kind a trained run of this
      kind generates stimuli for, and the design parameters of that draft study.
    """

    name: str
    label: str
    presets: tuple[str, ...]
    train: Callable[[RunRequest], dict]
    check: Callable[[dict], list[str]] = lambda params: []
    default_preset: str = "cpu_demo"
    parent_kind: str | None = None
    study_kind: str | None = None
    study_params: Callable[[dict, int], dict] | None = None


def run_kinds() -> dict[str, RunKind]:
    """Every run kind of every family, by name."""
    kinds = {}
    for module in FAMILY_RUN_MODULES:
        for kind in import_module(module).RUN_KINDS:
            if kind.name in kinds:
                raise ValueError(f"Two families declare the run kind {kind.name!r}")
            kinds[kind.name] = kind
    return kinds


def run_kind(name: str) -> RunKind | None:
    return run_kinds().get(name)
