"""How much to train the chord/texture VAE, by preset name (plain values only).

The model sizes live with the model (``Vis2MusConfig.preset``); the corpus size (music21 works
parsed; the generated set is always whole) with the data here.
"""

from __future__ import annotations

TRAINING: dict[str, dict] = {
    "tiny": {"steps": 20, "batch_size": 16, "max_works": 0},
    "cpu_demo": {"steps": 8000, "batch_size": 64, "max_works": 150, "time_limit_s": 2700.0},
    "published": {"steps": 60_000, "batch_size": 128, "max_works": None},
}


def training_values(preset: str, **overrides) -> dict:
    """The preset's steps / batch size / corpus size / time limit, non-None overrides replacing."""
    if preset not in TRAINING:
        raise ValueError(f"unknown Vis2Mus preset {preset!r}; choose from {sorted(TRAINING)}")
    values = dict(TRAINING[preset])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return values
