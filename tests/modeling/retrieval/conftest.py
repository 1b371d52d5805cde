"""The session's generated affect set (made once, shared with the affect tests) and tiny
TNN-C-CCA models trained on it."""

import pytest

from tests.modeling.affect.conftest import session_affect_set, session_var_dir


@pytest.fixture(scope="session")
def affect_set(tmp_path_factory):
    return session_affect_set(tmp_path_factory)


@pytest.fixture(scope="session")
def affect_var_dir(tmp_path_factory, affect_set):
    return session_var_dir(tmp_path_factory)


def tiny_run(tmp_path_factory, affect_set, *, shuffle_labels: bool) -> dict:
    from modeling.retrieval.train import train_retrieval

    folder = tmp_path_factory.mktemp("retrieval")
    return train_retrieval(
        out=folder / "tiny.pt",
        preset="tiny",
        seed=0,
        affect=affect_set,
        shuffle_labels=shuffle_labels,
        device="cpu",
    )


@pytest.fixture(scope="session")
def tiny_retrieval(tmp_path_factory, affect_set):
    return tiny_run(tmp_path_factory, affect_set, shuffle_labels=False)


@pytest.fixture(scope="session")
def shuffled_retrieval(tmp_path_factory, affect_set):
    return tiny_run(tmp_path_factory, affect_set, shuffle_labels=True)
