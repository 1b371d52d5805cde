"""One small generated affect set per test session (shared with the retrieval tests), and
ACP-Nets trained on it for a few seconds."""

from pathlib import Path

import pytest

from modeling.affect.generated import generate_affect_set, generated_set_name

TEST_SET = {"per_class": 24, "seed": 0, "image_size": 32}


def session_var_dir(tmp_path_factory) -> Path:
    """A SYNLAB_VAR_DIR for the session; the set is cached where the command line looks."""
    return tmp_path_factory.getbasetemp() / "affect-var"


def session_affect_set(tmp_path_factory):
    cache = session_var_dir(tmp_path_factory) / "affect" / generated_set_name(**TEST_SET)
    return generate_affect_set(**TEST_SET, cache_path=cache)


@pytest.fixture(scope="session")
def affect_set(tmp_path_factory):
    return session_affect_set(tmp_path_factory)


@pytest.fixture(scope="session")
def affect_var_dir(tmp_path_factory, affect_set):
    return session_var_dir(tmp_path_factory)


def tiny_run(tmp_path_factory, affect_set, *, shuffle_labels: bool) -> dict:
    from modeling.affect.train import train_acpnet

    folder = tmp_path_factory.mktemp("acpnet")
    return train_acpnet(
        out=folder / "tiny.pt",
        preset="tiny",
        seed=0,
        affect=affect_set,
        shuffle_labels=shuffle_labels,
        device="cpu",
    )


@pytest.fixture(scope="session")
def tiny_acpnet(tmp_path_factory, affect_set):
    return tiny_run(tmp_path_factory, affect_set, shuffle_labels=False)


@pytest.fixture(scope="session")
def shuffled_acpnet(tmp_path_factory, affect_set):
    return tiny_run(tmp_path_factory, affect_set, shuffle_labels=True)
