"""Background jobs' rows: what every job shares (`Job`), a study's build (`GenerationJob`) and a
trained model (`ModelRun`). `studies.jobs` runs their lifecycle; studies.models re-exports them."""

import uuid

from django.db import models
from django.utils import timezone


class Job(models.Model):
    """What every background job shares; `studies.jobs` runs the lifecycle.

    queued -> running (claimed by one worker, whose heartbeat keeps the lease) -> succeeded or
    failed. A running job whose heartbeat is older than the lease (SYNLAB_JOB_LEASE_S) is lost:
    its worker died, and the sweep puts it back in the queue. `attempts` counts the claims.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0.0)
    message = models.TextField(blank=True)
    claimed_by = models.CharField(
        max_length=255, blank=True, help_text="host:pid of the process that ran the last attempt"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last attempt was claimed"
    )
    heartbeat_at = models.DateTimeField(
        default=timezone.now,
        help_text=(
            "Last sign of life: queued or sent again, or its worker's last heartbeat; older than "
            "the lease means lost"
        ),
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]
        # The sweep in every worker looks for lost jobs by these two, every few minutes.
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="%(class)s_lease")]


class GenerationJob(Job):
    """Builds a study's stimuli and trials: the model stage if its kind has one, then the build."""

    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="jobs")
    problems = models.JSONField(default=list, blank=True)
    prepared = models.JSONField(
        null=True,
        blank=True,
        help_text="The model stage's output (gpu queue), read by the build (cpu queue)",
    )

    def __str__(self) -> str:
        return f"job {self.pk} for {self.study}: {self.status}"


class ModelRun(Job):
    """A model trained by a worker (or imported from a committed checkpoint)."""

    class Kind(models.TextChoices):
        MUSICVAE = "musicvae", "MusicVAE (2-bar melodies)"
        SYNVAE = "synvae", "SynVAE (image -> music -> image)"
        BETA_GRID = "beta_grid", "SynVAE beta grid"
        VIS2MUS = "vis2mus", "Vis2Mus chord/texture VAE (2-bar polyphony)"
        CHRONOLOGY = "chronology", "Chronological triplet network (music21 corpus, by year)"
        ACPNET = "acpnet", "ACP-Net affective correspondence (picture + 193-d music)"
        RETRIEVAL = "retrieval", "Cluster-CCA + triplet network (clip <-> picture retrieval)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True, help_text="preset, seed, dataset, beta...")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The MusicVAE run a SynVAE builds on",
    )
    metrics = models.JSONField(default=dict, blank=True)
    checkpoint = models.CharField(max_length=400, blank=True, help_text="Path of the checkpoint")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.status})"
