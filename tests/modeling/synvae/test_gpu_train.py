"""The GPU plan's pieces that must not fail on the device for a silly reason."""

import json
import math

import numpy as np
import pytest

from modeling.synvae import gpu_train
from modeling.synvae.musicvae import beta_at, teacher_forcing_probability
from tests.modeling.synvae.tiny import synthetic_images


@pytest.mark.parametrize("steps", [50, 3000, 40_000])
def test_compressed_schedules_anneal_beta_and_hand_over_from_teacher_forcing_within_the_run(steps):
    schedule = gpu_train.compressed_schedule(steps)
    assert beta_at(step=steps, max_beta=0.2, beta_rate=schedule["beta_rate"]) == pytest.approx(
        0.19, rel=1e-3
    )
    handover = teacher_forcing_probability(
        step=round(0.7 * steps), schedule="inverse_sigmoid", rate=schedule["sampling_rate"]
    )
    assert handover == pytest.approx(0.05, abs=0.01)
    assert (
        teacher_forcing_probability(
            step=0, schedule="inverse_sigmoid", rate=schedule["sampling_rate"]
        )
        > 0.5
    )


def test_checkpoints_come_back_in_parts_that_join_to_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(gpu_train, "PART_BYTES", 1000)
    source = tmp_path / "model.pt"
    source.write_bytes(np.random.default_rng(0).bytes(2500))
    out = tmp_path / "out"
    out.mkdir()
    names = gpu_train.write_parts(source, out)
    assert names == ["model.pt.part-aa", "model.pt.part-ab", "model.pt.part-ac"]
    assert b"".join((out / n).read_bytes() for n in sorted(names)) == source.read_bytes()


def test_carried_mnist_is_the_same_image_set_as_the_one_it_was_made_from(tmp_path, monkeypatch):
    import modeling.data.images as images_module
    from modeling.data.corpus import save_corpus
    from tests.modeling.synvae.tiny import synthetic_corpus

    images = synthetic_images()
    for split in ("train", "val", "test"):
        x = getattr(images, f"{split}_x")
        setattr(images, f"{split}_x", (np.round(x * 255) / 256).astype(np.float32))
    monkeypatch.setattr(images_module, "load_mnist", lambda seed=0: images)
    save_corpus(synthetic_corpus(), tmp_path / "corpus.npz")

    sizes = gpu_train.prepare(corpus_cache=tmp_path / "corpus.npz", data=tmp_path / "gpu")
    assert set(sizes) == {"mnist.npz.xz", "melody_corpus.npz"}
    carried = gpu_train.load_carried_mnist(tmp_path / "gpu")
    for split in ("train", "val", "test"):
        assert np.array_equal(getattr(carried, f"{split}_x"), getattr(images, f"{split}_x"))
        assert np.array_equal(getattr(carried, f"{split}_y"), getattr(images, f"{split}_y"))
    assert carried.description == images.description and carried.classes == images.classes
    assert json.loads(json.dumps(carried.description)) == images.description
    assert math.isfinite(float(carried.train_x.sum()))
