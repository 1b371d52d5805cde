import pytest


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path_factory):
    """Every test writes its media to its own folder."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture
def researcher(django_user_model):
    return django_user_model.objects.create_user(
        username="researcher", password="a-long-test-password", is_staff=True, is_superuser=True
    )
