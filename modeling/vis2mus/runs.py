"""The Vis2Mus family's model runs (see modeling/runs.py): the chord/texture VAE. Training code
is imported only inside `train`. A trained run becomes a draft brightness test (the researcher
may switch the draft to the contrast or style test: all three read the same checkpoint).
"""

from __future__ import annotations

from modeling.runs import RunKind, RunRequest

MAX_WORKS_RANGE = (2, 500)


def check_vis2mus(params: dict) -> list[str]:
    """``max_works`` (music21 works to parse; the preset's when absent) must be in range."""
    max_works = params.get("max_works")
    low, high = MAX_WORKS_RANGE
    if max_works is not None and (
        isinstance(max_works, bool)
        or not isinstance(max_works, int)
        or not low <= max_works <= high
    ):
        return [f"max_works must be a whole number from {low} to {high}."]
    return []


def train_vis2mus(request: RunRequest) -> dict:
    from modeling.vis2mus import train

    result = train.train_vis2mus(
        out=request.folder / "vis2mus.pt",
        preset=request.params["preset"],
        seed=request.params["seed"],
        max_works=request.params.get("max_works"),
        corpus_cache=request.folder / "segments.npz",
        on_progress=request.on_progress,
    )
    return {"metrics": result["metrics"], "checkpoint": result["checkpoint"]}


def transformation_study_params(params: dict, run_id: int) -> dict:
    return {"model_run": run_id}


RUN_KINDS = (
    RunKind(
        name="vis2mus",
        label="Vis2Mus chord/texture VAE (2-bar polyphony)",
        presets=("tiny", "cpu_demo", "published"),
        train=train_vis2mus,
        check=check_vis2mus,
        study_kind="vis2mus_brightness",
        study_params=transformation_study_params,
    ),
)
