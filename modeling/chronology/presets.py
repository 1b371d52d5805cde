"""How much to train a chronological triplet network, by preset name (plain values only).

The network sizes live with the model (``ChronologyConfig.preset``); the corpus (music21
sources, works per source; ``None``: the corpus' defaults) and the training length here.
``published`` trains as the thesis did (batch 4, Adam at 1e-5), for a GPU and a researcher's
imported data.
"""

from __future__ import annotations

TRAINING: dict[str, dict] = {
    "tiny": {
        "steps": 60,
        "batch_size": 32,
        "learning_rate": 1e-3,
        "max_works_per_source": 4,
        "sources": ("bach", "josquin", "palestrina", "trecento"),  # quick to parse
        "per_anchor": 4,
    },
    "cpu_demo": {
        "steps": 3000,
        "batch_size": 64,
        "learning_rate": 1e-3,
        "max_works_per_source": 100,
        "per_anchor": 16,
        "time_limit_s": 1200.0,
    },
    "published": {
        "steps": 50_000,
        "batch_size": 4,
        "learning_rate": 1e-5,
        "max_works_per_source": None,
        "per_anchor": 16,
    },
}


def training_values(preset: str, **overrides) -> dict:
    """The preset's training values, non-None overrides replacing them."""
    if preset not in TRAINING:
        raise ValueError(f"unknown chronology preset {preset!r}; choose from {sorted(TRAINING)}")
    values = dict(TRAINING[preset])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values
