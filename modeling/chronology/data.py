"""Dated items for the chronological embedding: features, years, works and splits, by modality.

A ``ChronologyData`` holds a ``ModalityItems`` for music, for images, or both: one row per clip
or image with its features, year and uncertainty, its group (the work it comes from: clips of
one work share it and always land in the same split), its source (composer, artist, generator)
and its split. ``split_groups_by_period`` splits works, not rows: stratified by period so that
every era is in every split, seeded. Saved to / loaded from one ``.npz`` (a feature cache).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test")
SPLIT_RULE = (
    "works (all clips of a work together) are grouped by period (floor(year / period_years)); "
    "within each period they are shuffled with the seed and the first round(test_fraction * n) "
    "go to test, the next round(val_fraction * n) to val, the rest to train; a period with "
    "fewer than 3 works goes to train whole"
)


@dataclass
class ModalityItems:
    features: np.ndarray  # [n, ...] float32: a feature vector, or [3, S, S] pixels, per item
    years: np.ndarray  # [n] float
    uncertainty: np.ndarray  # [n] float, years
    groups: np.ndarray  # [n] str: the work
    sources: np.ndarray  # [n] str: composer, artist or generator
    split: np.ndarray  # [n] str: train / val / test
    names: np.ndarray  # [n] str: one readable id per item

    def __post_init__(self) -> None:
        self.features = np.asarray(self.features, dtype=np.float32)
        self.years = np.asarray(self.years, dtype=float)
        self.uncertainty = np.asarray(self.uncertainty, dtype=float)
        for name in ("groups", "sources", "split", "names"):
            setattr(self, name, np.asarray(getattr(self, name)).astype(str))
        sizes = {len(getattr(self, f)) for f in self.__dataclass_fields__}
        if len(sizes) != 1:
            raise ValueError("every field of ModalityItems needs one entry per item")

    def __len__(self) -> int:
        return len(self.years)

    def in_split(self, split: str) -> np.ndarray:
        return self.split == split

    def subset(self, mask: np.ndarray) -> ModalityItems:
        return ModalityItems(
            **{name: getattr(self, name)[mask] for name in self.__dataclass_fields__}
        )

    def counts(self) -> dict:
        return {
            split: {
                "items": int((self.split == split).sum()),
                "works": len(set(self.groups[self.split == split])),
            }
            for split in SPLITS
        }


@dataclass
class ChronologyData:
    music: ModalityItems | None = None
    image: ModalityItems | None = None
    description: dict = field(default_factory=dict)

    def modalities(self) -> dict[str, ModalityItems]:
        return {
            name: items
            for name, items in (("music", self.music), ("image", self.image))
            if items is not None and len(items)
        }


def split_groups_by_period(
    groups: np.ndarray,
    years: np.ndarray,
    *,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    period_years: float = 50.0,
    seed: int = 0,
) -> np.ndarray:
    """Split per item (train / val / test) such that each group lies in one split."""
    if not 0 <= val_fraction < 1 or not 0 <= test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError("val_fraction and test_fraction must be in [0, 1) and sum to less than 1")
    groups = np.asarray(groups).astype(str)
    group_year: dict[str, float] = {}
    for group, year in zip(groups, years, strict=True):
        group_year.setdefault(group, float(year))
    periods: dict[int, list[str]] = {}
    for group in sorted(group_year):
        periods.setdefault(int(np.floor(group_year[group] / period_years)), []).append(group)
    rng = np.random.default_rng(seed)
    assignment: dict[str, str] = {}
    for _, members in sorted(periods.items()):
        order = [members[i] for i in rng.permutation(len(members))]
        n_test = int(round(test_fraction * len(order))) if len(order) >= 3 else 0
        n_val = int(round(val_fraction * len(order))) if len(order) >= 3 else 0
        for position, group in enumerate(order):
            split = "test" if position < n_test else "val" if position < n_test + n_val else "train"
            assignment[group] = split
    return np.array([assignment[g] for g in groups])


def plain_values(value):
    """``value`` with numpy numbers and strings made Python ones (checkpoints hold plain values)."""
    if isinstance(value, dict):
        return {str(k): plain_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_values(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def save_data(data: ChronologyData, path: Path | str) -> Path:
    """Write every modality's arrays and the description (JSON) to one ``.npz``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for modality, items in data.modalities().items():
        for name in items.__dataclass_fields__:
            arrays[f"{modality}__{name}"] = getattr(items, name)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(temporary, description=np.array(json.dumps(data.description)), **arrays)
    temporary.replace(path)
    return path


def load_data(path: Path | str) -> ChronologyData:
    """Read what ``save_data`` wrote."""
    with np.load(path, allow_pickle=False) as stored:
        description = json.loads(str(stored["description"]))
        found: dict[str, dict] = {}
        for key in stored.files:
            if "__" in key:
                modality, name = key.split("__", 1)
                found.setdefault(modality, {})[name] = stored[key]
    return ChronologyData(
        music=ModalityItems(**found["music"]) if "music" in found else None,
        image=ModalityItems(**found["image"]) if "image" in found else None,
        description=description,
    )
