"""Which checkpoint file a model-backed study kind reads: the one its parameters name, or the
one a succeeded model run of the right kind wrote."""

from pathlib import Path

from django.conf import settings

from studies.designs import DesignError
from studies.models import ModelRun


def model_checkpoint(*, checkpoint: str, model_run: int | None, kind: str, family: str) -> Path:
    """`model_run` (when given) must be a succeeded run of `kind`; else `checkpoint` is a path,
    relative to the project when not absolute, that must exist."""
    if model_run is not None:
        run = ModelRun.objects.filter(pk=model_run).first()
        if run is None or run.kind != kind or run.status != ModelRun.Status.SUCCEEDED:
            raise DesignError([f"Model run {model_run} is not a succeeded {family} run."])
        return Path(run.checkpoint)
    path = Path(checkpoint)
    path = path if path.is_absolute() else Path(settings.BASE_DIR) / path
    if not path.exists():
        raise DesignError([f"The checkpoint {checkpoint} does not exist."])
    return path
