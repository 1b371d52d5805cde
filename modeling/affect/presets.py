"""How much to train ACP-Net, by preset name (plain values only; the sizes live with the model,
``ACPNetConfig.preset``).

``per_class`` is the size of the generated affect set (items per emotion class); ``pairs_per_image``
the true and the false clips drawn for each training picture; ``keep_best`` ends with the weights
of the best validation loss (the default) instead of the last. The paper trained with Adam at
1e-4 for at most 50 epochs, keeping the best validation accuracy; the CPU presets take a higher
rate to finish in minutes.
"""

from __future__ import annotations

TRAINING: dict[str, dict] = {
    "tiny": {
        "steps": 1500,
        "batch_size": 32,
        "per_class": 20,
        "pairs_per_image": 6,
        "lr": 1e-3,
        "keep_best": False,  # a handful of validation items would pick at random
    },
    "cpu_demo": {
        "steps": 3000,
        "batch_size": 64,
        "per_class": 100,
        "pairs_per_image": 20,
        "lr": 3e-4,
        "time_limit_s": 1200.0,
    },
    "published": {
        "epochs": 50,
        "batch_size": 128,
        "per_class": 400,
        "pairs_per_image": 20,
        "lr": 1e-4,
    },
}


def training_values(preset: str, **overrides) -> dict:
    """The preset's training values, non-None overrides replacing them."""
    if preset not in TRAINING:
        raise ValueError(f"unknown ACP-Net preset {preset!r}; choose from {sorted(TRAINING)}")
    values = dict(TRAINING[preset])
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "steps" in overrides and overrides["steps"] is not None:
        values.pop("epochs", None)
    return values
