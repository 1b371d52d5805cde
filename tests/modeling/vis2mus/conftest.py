"""A tiny chord/texture VAE trained for a few steps on the generated accompaniments only."""

import pytest

from modeling.vis2mus.data import build_segment_corpus


@pytest.fixture(scope="session")
def generated_corpus_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("vis2mus") / "segments.npz"
    build_segment_corpus(max_works=0, seed=0, cache_path=path)
    return path


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, generated_corpus_cache):
    from modeling.vis2mus.train import train_vis2mus

    out = tmp_path_factory.mktemp("vis2mus_run") / "tiny.pt"
    train_vis2mus(
        out=out,
        preset="tiny",
        corpus_cache=generated_corpus_cache,
        device="cpu",
        evaluate=False,
    )
    return out
