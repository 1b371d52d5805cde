"""The retrieval family's model runs (see modeling/runs.py): Cluster-CCA + triplet network.
Training code is imported only inside ``train``.
"""

from __future__ import annotations

from modeling.affect.runs import check_affect_data
from modeling.runs import RunKind, RunRequest


def train_retrieval(request: RunRequest) -> dict:
    from modeling.retrieval import train

    result = train.train_retrieval(
        out=request.folder / "retrieval.pt",
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
        name="retrieval",
        label="Cluster-CCA + triplet network (clip <-> picture retrieval)",
        presets=("tiny", "cpu_demo", "published"),
        train=train_retrieval,
        check=check_affect_data,
    ),
)
