"""The affect family's model runs (see modeling/runs.py): ACP-Net. Training code is imported
only inside ``train``.
"""

from __future__ import annotations

from modeling.runs import RunKind, RunRequest

DATASETS = ("generated",)
PER_CLASS_RANGE = (6, 2000)


def check_whole_number(params: dict, name: str, bounds: tuple[int, int]) -> list[str]:
    value = params.get(name)
    low, high = bounds
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
    ):
        return [f"{name} must be a whole number from {low} to {high}."]
    return []


def check_affect_data(params: dict) -> list[str]:
    """``dataset`` (only the generated affect set so far), ``per_class`` (items per emotion
    class; the preset's when absent) and ``shuffle_labels`` (the control run)."""
    problems = []
    if params.setdefault("dataset", "generated") not in DATASETS:
        problems.append("dataset must be 'generated' (the generated affect set).")
    problems += check_whole_number(params, "per_class", PER_CLASS_RANGE)
    if not isinstance(params.setdefault("shuffle_labels", False), bool):
        problems.append("shuffle_labels must be true or false.")
    return problems


def train_acpnet(request: RunRequest) -> dict:
    from modeling.affect import train

    result = train.train_acpnet(
        out=request.folder / "acpnet.pt",
        preset=request.params["preset"],
        seed=request.params["seed"],
        per_class=request.params.get("per_class"),
        shuffle_labels=request.params.get("shuffle_labels", False),
        data_cache=request.folder / "affect_set.npz",
        on_progress=request.on_progress,
    )
    return {"metrics": result["metrics"], "checkpoint": result["checkpoint"]}


RUN_KINDS = (
    RunKind(
        name="acpnet",
        label="ACP-Net affective correspondence (picture + 193-d music)",
        presets=("tiny", "cpu_demo", "published"),
        train=train_acpnet,
        check=check_affect_data,
    ),
)
