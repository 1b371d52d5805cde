"""How much to train the triplet network, by preset (the sizes live in ``RetrievalConfig``).

The dissertation trained 20 epochs with Adam at 1e-3, the training set cut into 300 to 1,000
batches; on the small generated set the batches are of 64 items instead, so each batch holds
every class.
"""

from __future__ import annotations

TRAINING: dict[str, dict] = {
    "tiny": {"steps": 600, "batch_size": 48, "per_class": 20, "lr": 1e-3},
    "cpu_demo": {"steps": 2000, "batch_size": 64, "per_class": 100, "lr": 1e-3},
    "published": {"epochs": 20, "batch_size": 64, "per_class": 400, "lr": 1e-3},
}


def training_values(preset: str, **overrides) -> dict:
    """The preset's values, non-None overrides replacing them (``steps`` replaces ``epochs``)."""
    if preset not in TRAINING:
        raise ValueError(f"unknown retrieval preset {preset!r}; choose from {sorted(TRAINING)}")
    values = dict(TRAINING[preset])
    values.update({k: v for k, v in overrides.items() if v is not None})
    if overrides.get("steps") is not None:
        values.pop("epochs", None)
    return values
