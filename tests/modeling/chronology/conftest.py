"""Generated dated music and images (planted year signal or none) and tiny networks on them."""

import pytest

from modeling.chronology.data import save_data
from modeling.chronology.synthetic import planted_year_set

# 80 music and 120 image works over 150 years, 30% of the works held out: enough for K = 5.
PLANTED = dict(music_works=80, image_works=120, year_range=(1700, 1850), test_fraction=0.3)
EVALUATION = dict(k=5, permutations=499)


@pytest.fixture(scope="session")
def planted_data():
    return planted_year_set(signal=True, seed=0, **PLANTED)


@pytest.fixture(scope="session")
def unplanted_data():
    return planted_year_set(signal=False, seed=0, **PLANTED)


@pytest.fixture(scope="session")
def planted_file(tmp_path_factory, planted_data):
    return save_data(planted_data, tmp_path_factory.mktemp("chronology") / "planted.npz")


def train_tiny(folder, data, **options):
    from modeling.chronology.train import train_chronology

    return train_chronology(
        out=folder / "chronology.pt",
        preset="tiny",
        data=data,
        steps=300,
        device="cpu",
        **EVALUATION,
        **options,
    )


@pytest.fixture(scope="session")
def planted_run(tmp_path_factory, planted_data):
    return train_tiny(tmp_path_factory.mktemp("planted_run"), planted_data)


@pytest.fixture(scope="session")
def unplanted_run(tmp_path_factory, unplanted_data):
    return train_tiny(tmp_path_factory.mktemp("unplanted_run"), unplanted_data)
