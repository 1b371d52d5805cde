"""The chronology family's model runs (see modeling/runs.py): the chronological triplet network
on the offline music corpus. Training code is imported only inside `train`.
"""

from __future__ import annotations

from modeling.runs import RunKind, RunRequest

MAX_WORKS_RANGE = (3, 2000)
VARIANTS = ("unit", "free")


def check_chronology(params: dict) -> list[str]:
    """``variant`` (unit or free; unit when absent) and ``max_works_per_source`` (the preset's
    when absent) must be valid; fills in the variant."""
    problems = []
    params.setdefault("variant", "unit")
    if params["variant"] not in VARIANTS:
        problems.append("variant must be 'unit' (unit-norm embedding) or 'free'.")
    max_works = params.get("max_works_per_source")
    low, high = MAX_WORKS_RANGE
    if max_works is not None and (
        isinstance(max_works, bool)
        or not isinstance(max_works, int)
        or not low <= max_works <= high
    ):
        problems.append(f"max_works_per_source must be a whole number from {low} to {high}.")
    return problems


def train_chronology(request: RunRequest) -> dict:
    from modeling.chronology import train

    result = train.train_chronology(
        out=request.folder / "chronology.pt",
        preset=request.params["preset"],
        seed=request.params["seed"],
        variant=request.params.get("variant", "unit"),
        max_works_per_source=request.params.get("max_works_per_source"),
        corpus_cache=request.folder / "music_corpus.npz",
        on_progress=request.on_progress,
    )
    return {"metrics": result["metrics"], "checkpoint": result["checkpoint"]}


RUN_KINDS = (
    RunKind(
        name="chronology",
        label="Chronological triplet network (music21 corpus, by year)",
        presets=("tiny", "cpu_demo", "published"),
        train=train_chronology,
        check=check_chronology,
    ),
)
