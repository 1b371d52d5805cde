"""Image sets: the digits stand-in, real MNIST, and the CSV + image-folder importer."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from modeling.data.images import (
    ImageSet,
    load_digits_28,
    load_image_folder,
    load_image_set,
    load_mnist,
    validate_image_set,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits_28(seed=0)


def test_digits_are_mnist_shaped_and_scaled(digits):
    assert digits.image_shape == (1, 28, 28)
    for x, y in ((digits.train_x, digits.train_y), (digits.test_x, digits.test_y)):
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert x.min() >= 0.0 and x.max() <= 1.0
    # Like MNIST, the digit sits in the middle 20x20 with an empty 4-pixel frame.
    assert digits.train_x[:, :, :4, :].max() == 0.0
    assert digits.train_x[:, :, :, -4:].max() == 0.0
    assert digits.train_x[:, :, 4:24, 4:24].mean() > 0.1
    assert "not MNIST" in digits.description["note"]


def test_image_sets_load_by_name_and_an_unknown_name_is_refused(digits):
    named = load_image_set("digits", seed=0)
    assert named.description == digits.description
    assert np.array_equal(named.test_x, digits.test_x)
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_image_set("cifar")


def test_digits_split_is_stratified_70_15_15_and_seeded(digits):
    sizes = [len(digits.train_y), len(digits.val_y), len(digits.test_y)]
    assert sum(sizes) == 1797
    assert sizes[0] / 1797 == pytest.approx(0.70, abs=0.01)
    for labels in (digits.val_y, digits.test_y):
        counts = np.bincount(labels, minlength=10)
        assert counts.max() - counts.min() <= 2  # every class equally represented
    again = load_digits_28(seed=0)
    np.testing.assert_array_equal(again.val_x, digits.val_x)
    assert not np.array_equal(load_digits_28(seed=1).val_y, digits.val_y)
    seen = {x.tobytes() for x in digits.train_x}
    assert not any(x.tobytes() in seen for x in digits.test_x[:50])


def test_real_mnist_has_its_standard_split():
    mnist = load_mnist()
    assert (len(mnist.train_y), len(mnist.val_y), len(mnist.test_y)) == (50000, 10000, 10000)
    assert mnist.image_shape == (1, 28, 28)
    assert sorted(np.unique(mnist.test_y)) == list(range(10))
    limited = load_mnist(limit=300, seed=4)
    assert (len(limited.train_y), len(limited.val_y)) == (300, 300)
    assert limited.description["limit_per_split"] == 300
    index = {x.tobytes(): y for x, y in zip(mnist.train_x, mnist.train_y, strict=True)}
    pairs = zip(limited.train_x, limited.train_y, strict=True)
    assert all(index[x.tobytes()] == y for x, y in pairs)  # a subset of real MNIST, labels kept


def write_png(path, colour, size=(30, 20)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def write_manifest(path, rows, header="path,label"):
    path.write_text(header + "\n" + "\n".join(",".join(row) for row in rows) + "\n")


@pytest.fixture
def painting_folder(tmp_path):
    rows = []
    for i in range(10):
        for label, colour in (("gloomy", (20, 20, 160)), ("happy", (230, 40, 30))):
            name = f"img/{label}_{i}.png"
            write_png(tmp_path / name, colour, size=(30 + i, 20))
            rows.append((name, label))
    write_manifest(tmp_path / "manifest.csv", rows)
    return tmp_path


def test_folder_import_resizes_to_square_rgb_and_keeps_labels(painting_folder):
    images = load_image_folder(
        root=painting_folder, manifest_csv=painting_folder / "manifest.csv", size=16
    )
    assert images.classes == ["gloomy", "happy"]
    assert images.image_shape == (3, 16, 16)
    all_x = np.concatenate([images.train_x, images.val_x, images.test_x])
    all_y = np.concatenate([images.train_y, images.val_y, images.test_y])
    assert len(all_y) == 20
    red = all_x[:, 0].mean(axis=(1, 2))
    blue = all_x[:, 2].mean(axis=(1, 2))
    assert np.all((red > blue) == (all_y == images.classes.index("happy")))
    assert (len(images.train_y), len(images.val_y), len(images.test_y)) == (14, 4, 2)


def test_folder_import_honours_a_split_column(tmp_path):
    rows = []
    for i, split in enumerate(["train", "train", "val", "test"] * 2):
        label = "a" if i < 4 else "b"
        write_png(tmp_path / f"{i}.png", (i * 30, 0, 0))
        rows.append((f"{i}.png", label, split))
    write_manifest(tmp_path / "m.csv", rows, header="path,label,split")
    images = load_image_folder(root=tmp_path, manifest_csv=tmp_path / "m.csv", size=8)
    assert (len(images.train_y), len(images.val_y), len(images.test_y)) == (4, 2, 2)
    assert images.description["split"] == "from the manifest's split column"


def test_folder_import_names_missing_files(painting_folder):
    (painting_folder / "img/happy_3.png").unlink()
    with pytest.raises(ValueError, match="missing.*happy_3.png"):
        load_image_folder(root=painting_folder, manifest_csv=painting_folder / "manifest.csv")


def test_folder_import_names_unreadable_images(painting_folder):
    (painting_folder / "img/gloomy_2.png").write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match="cannot read image .*gloomy_2.png"):
        load_image_folder(root=painting_folder, manifest_csv=painting_folder / "manifest.csv")


def test_folder_import_refuses_a_single_class(tmp_path):
    for i in range(3):
        write_png(tmp_path / f"{i}.png", (0, 0, 0))
    write_manifest(tmp_path / "m.csv", [(f"{i}.png", "calm") for i in range(3)])
    with pytest.raises(ValueError, match="only one class"):
        load_image_folder(root=tmp_path, manifest_csv=tmp_path / "m.csv")


def test_folder_import_explains_a_wrong_manifest(tmp_path):
    write_manifest(tmp_path / "m.csv", [("a.png", "x")], header="file,emotion")
    with pytest.raises(ValueError, match="'path' and 'label' columns"):
        load_image_folder(root=tmp_path, manifest_csv=tmp_path / "m.csv")
    with pytest.raises(ValueError, match="does not exist"):
        load_image_folder(root=tmp_path, manifest_csv=tmp_path / "absent.csv")


def test_validation_refuses_one_class_nan_and_wrong_sizes(digits):
    validate_image_set(digits, expected_shape=(1, 28, 28))
    with pytest.raises(ValueError, match="expected"):
        validate_image_set(digits, expected_shape=(3, 64, 64))

    one_class = dataclasses.replace(digits, train_y=np.zeros_like(digits.train_y))
    with pytest.raises(ValueError, match="only one class"):
        validate_image_set(one_class)

    with_nan = digits.train_x.copy()
    with_nan[3, 0, 10, 10] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        validate_image_set(dataclasses.replace(digits, train_x=with_nan))

    bigger = np.zeros((len(digits.val_y), 1, 32, 32), dtype=np.float32)
    with pytest.raises(ValueError, match="different image sizes"):
        validate_image_set(dataclasses.replace(digits, val_x=bigger))

    flat = ImageSet(
        digits.train_x.reshape(len(digits.train_x), -1),
        digits.train_y,
        digits.val_x,
        digits.val_y,
        digits.test_x,
        digits.test_y,
        classes=digits.classes,
    )
    with pytest.raises(ValueError, match=r"\[N, C, H, W\]"):
        validate_image_set(flat)
