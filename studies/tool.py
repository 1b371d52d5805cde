"""The Vis2Mus browser tool: the checkpoints and anchors it offers, who may use it, and the
state of one request: ready (its files are cached), pending (a `cpu` worker renders it) or
refused (with the reason, one sentence each).

The web process never renders: it reads the cache (``MEDIA_ROOT/vis2mus-tool``, laid out by
``modeling.vis2mus.tool``) and, on a miss, sends the request to a worker
(``workers.tasks.vis2mus_tool_render_task``) and leaves a pending marker, so the page's polling
sends it once. A marker older than ``PENDING_S`` is taken for lost (a worker died, or none
runs): the next poll sends the request again. Results are written whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from modeling.vis2mus import anchors
from modeling.vis2mus import tool as rendering
from modeling.vis2mus.tool import ToolError, ToolRequest
from studies.errors import Conflict, InvalidInput
from studies.models import ModelRun, Participant, Study

logger = logging.getLogger(__name__)

TOOL_FOLDER = "vis2mus-tool"
RENDER_TASK = "workers.tasks.vis2mus_tool_render_task"
PENDING_S = 20.0
DEMO = "demo"
DEMO_CHECKPOINT = Path(settings.BASE_DIR) / "modeling" / "weights" / "vis2mus_cpu_demo.pt"
KEY_PATTERN = re.compile(r"[0-9a-f]{64}")
# Which query parameter fills which request field, per mode. Each role has its own parameter,
# so the page keeps both modes' choices while switching between them.
QUERY_FIELDS = {
    "transform": {"picture": "photo", "music": "texture"},
    "fuse": {
        "picture": "sketch",
        "style": "style",
        "music": "melody",
        "accompaniment": "accompaniment",
    },
}
PARAMETER_ROLES = {"photo": "photo", "texture": "texture", "sketch": "sketch", "style": "photo"}
PARAMETER_ROLES.update(melody="melody", accompaniment="accompaniment")
LONGEST_VALUE = 80  # no anchor key or number is longer; longer values are refused, not echoed


@dataclass(frozen=True)
class CheckpointChoice:
    value: str  # "demo" or "run-<pk>"
    label: str
    path: Path


@dataclass(frozen=True)
class AnchorChoice:
    key: str
    title: str
    source: str


@dataclass(frozen=True)
class ToolState:
    status: str  # "ready", "pending" or "refused"
    key: str
    request: ToolRequest
    notes: tuple[str, ...] = ()  # values that were clamped, a silent result
    message: str = ""  # why it was refused
    files: tuple[str, ...] = ()
    rendering: bool = False  # pending: a worker has started on it (not waiting in the queue)

    def as_json(self, *, file_url: Callable[[str, str], str]) -> dict:
        urls = {name: file_url(self.key, name) for name in self.files}
        return {
            "status": self.status,
            "rendering": self.rendering,
            "key": self.key,
            "values": {name: getattr(self.request, name) for name in rendering.SLIDERS},
            "notes": list(self.notes),
            "message": self.message,
            "picture_url": urls.get(rendering.PICTURE),
            "clip_url": urls.get(rendering.CLIP),
            "midi_url": urls.get(rendering.MIDI),
        }


# ----- what the page offers ------------------------------------------------------------------


def tool_anchor_choices() -> dict[str, list[AnchorChoice]]:
    """Every query parameter's anchors, in the order the page lists them."""
    choices = {}
    for parameter, role in PARAMETER_ROLES.items():
        found = (
            anchors.image_anchors(role)
            if role in anchors.IMAGE_ROLES
            else anchors.music_anchors(role, path=rendering.ANCHOR_SEGMENTS)
        )
        choices[parameter] = [AnchorChoice(a.key, a.title, a.source) for a in found]
    return choices


def tool_checkpoints() -> list[CheckpointChoice]:
    """The committed CPU demo, then every succeeded Vis2Mus model run, newest first."""
    runs = ModelRun.objects.filter(kind=ModelRun.Kind.VIS2MUS, status=ModelRun.Status.SUCCEEDED)
    return [demo_checkpoint()] + [
        CheckpointChoice(f"run-{run.pk}", f"Model run {run.pk}: {run.name}", Path(run.checkpoint))
        for run in runs.exclude(checkpoint="").order_by("-created_at")
    ]


def demo_checkpoint() -> CheckpointChoice:
    return CheckpointChoice(DEMO, "Committed CPU demo (vis2mus_cpu_demo.pt)", DEMO_CHECKPOINT)


def tool_checkpoint(value: str) -> CheckpointChoice:
    """The checkpoint a researcher chose ("demo" or "run-<pk>"); refused when it is not a
    trained Vis2Mus model whose file is on the server."""
    if not value or value == DEMO:
        return demo_checkpoint()
    number = value.removeprefix("run-")
    if not number.isdigit() or len(number) > 18:
        raise InvalidInput(f"There is no checkpoint {value[:LONGEST_VALUE]!r}.")
    run = ModelRun.objects.filter(pk=int(number)).first()
    if run is None:
        raise InvalidInput(f"There is no model run {number}.")
    if run.kind != ModelRun.Kind.VIS2MUS:
        raise InvalidInput(
            f"Model run {number} is a {run.get_kind_display()} model, not a Vis2Mus "
            "chord/texture VAE: choose a Vis2Mus checkpoint."
        )
    if run.status != ModelRun.Status.SUCCEEDED or not run.checkpoint:
        raise InvalidInput(f"Model run {number} has no trained checkpoint (it is {run.status}).")
    choice = CheckpointChoice(value, f"Model run {run.pk}: {run.name}", Path(run.checkpoint))
    return checked_exists(choice)


def study_tool_checkpoint(study: Study) -> CheckpointChoice:
    """What a study's participants use: its succeeded Vis2Mus model run, else the demo."""
    run_id = study.design_params.get("model_run")
    if isinstance(run_id, int) and not isinstance(run_id, bool):
        try:
            return tool_checkpoint(f"run-{run_id}")
        except InvalidInput:
            logger.warning("study %s: model run %s cannot serve the tool", study.pk, run_id)
    return demo_checkpoint()


def checked_exists(choice: CheckpointChoice) -> CheckpointChoice:
    if not choice.path.is_file():
        raise InvalidInput(f"The checkpoint of {choice.label} is missing on the server.")
    return choice


def participant_may_use_tool(participant: Participant) -> bool:
    """After the debrief, when the study offers the tool."""
    return (
        participant.stage == Participant.Stage.DONE
        and participant.study.design_params.get("tool_after_debrief") is True
    )


# ----- requests ------------------------------------------------------------------------------


def tool_request_from(query: Mapping[str, str]) -> tuple[ToolRequest, list[str]]:
    """A request from the page's parameters (missing anchors: each list's first; missing
    sliders: 0), and the sentences saying which slider values were clamped."""
    mode = short(query.get("mode") or "transform")
    if mode not in QUERY_FIELDS:
        raise InvalidInput(f"There is no mode {mode!r}; choose transform or fuse.")
    choices = tool_anchor_choices()
    chosen = {
        field: short(query.get(parameter) or choices[parameter][0].key)
        for field, parameter in QUERY_FIELDS[mode].items()
    }
    try:
        request, notes = rendering.with_strengths(
            ToolRequest(mode=mode, **chosen),
            **{name: short(query.get(name) or "0") for name in rendering.SLIDERS},
        )
    except ToolError as error:
        raise InvalidInput(error.problems[0], problems=error.problems) from error
    problems = rendering.request_problems(request)
    if problems:
        raise InvalidInput("These anchors cannot be used.", problems=problems)
    return request, notes


def short(value: str) -> str:
    return value if len(value) <= LONGEST_VALUE else value[:LONGEST_VALUE] + "..."


# ----- one request's state -------------------------------------------------------------------


def tool_render(
    *, request: ToolRequest, checkpoint: CheckpointChoice, notes: list[str] | tuple = ()
) -> ToolState:
    """The state of a checked request; on a cache miss it is sent to a worker (once)."""
    checked_exists(checkpoint)
    key = rendering.cache_key(request, rendering.file_digest(checkpoint.path))
    state = stored_state(key, request, notes)
    if state is not None:
        return state
    marker = pending_marker(key)
    if marker is not None:
        return marker_state(marker, key, request, notes)
    render_send(key=key, request=request, checkpoint=checkpoint)
    # With CELERY_TASK_ALWAYS_EAGER the result is there already.
    return stored_state(key, request, notes) or ToolState("pending", key, request, tuple(notes))


def stored_state(key: str, request: ToolRequest, notes) -> ToolState | None:
    result = rendering.read_result(results_dir(), key)
    if result is None:
        return None
    if result["problem"]:
        return ToolState("refused", key, request, tuple(notes), message=result["problem"])
    all_notes = (*notes, *result["notes"])
    return ToolState("ready", key, request, all_notes, files=tuple(result["files"]))


def marker_state(marker: dict, key: str, request: ToolRequest, notes) -> ToolState:
    if marker.get("problem"):
        return ToolState("refused", key, request, tuple(notes), message=marker["problem"])
    started = bool(marker.get("started_at"))
    return ToolState("pending", key, request, tuple(notes), rendering=started)


def render_send(*, key: str, request: ToolRequest, checkpoint: CheckpointChoice) -> None:
    from workers import queueing

    marker_write(key, {"sent_at": time.time(), "problem": None})
    payload = {"key": key, "checkpoint": str(checkpoint.path), "request": request.as_dict()}
    try:
        queueing.task_send(RENDER_TASK, payload)
    except Exception as error:
        marker_path(key).unlink(missing_ok=True)
        logger.exception("the tool's render request could not be sent")
        raise Conflict("The render queue cannot be reached: try again in a moment.") from error


def cache_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / TOOL_FOLDER


def results_dir() -> Path:
    return cache_dir() / "results"


def marker_path(key: str) -> Path:
    return cache_dir() / "pending" / key


def marker_write(key: str, content: dict) -> None:
    path = marker_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{key}.{time.monotonic_ns()}.partial")
    partial.write_text(json.dumps(content))
    partial.replace(path)


def pending_marker(key: str, *, now: float | None = None) -> dict | None:
    """The marker of a request sent less than PENDING_S ago, or None."""
    path = marker_path(key)
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
        content = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return content if age < PENDING_S else None


def tool_result_file(key: str, name: str) -> Path | None:
    """A rendered file, or None when the key or name is not one the tool writes."""
    if not KEY_PATTERN.fullmatch(key) or name not in rendering.FILES:
        return None
    path = results_dir() / key / name
    return path if path.is_file() else None


# ----- the worker's side ---------------------------------------------------------------------


def tool_render_run(*, payload: dict) -> str:
    """Render one request into the cache (a worker on the `cpu` queue). A failure nobody
    expected is told to the page through the pending marker; the next request after PENDING_S
    tries again."""
    key = payload["key"]
    rendering.remove_stale_partials(marker_path(key).parent)
    try:
        request = ToolRequest.from_dict(payload["request"])
        with MarkerHeartbeat(key):
            stored_key, result = rendering.render_into_cache(
                checkpoint=payload["checkpoint"], request=request, cache_dir=cache_dir()
            )
    except Exception as error:  # noqa: BLE001 - the page must hear of every failure
        logger.exception("the tool could not render %s", key)
        problem = f"The worker could not render this ({type(error).__name__}: {error})."
        marker_write(key, {"sent_at": time.time(), "problem": problem})
        return "failed"
    marker_path(key).unlink(missing_ok=True)
    if stored_key != key:  # the checkpoint file changed after the request was sent
        marker_path(stored_key).unlink(missing_ok=True)
    return "refused" if result["problem"] else "ready"


class MarkerHeartbeat:
    """While a worker renders, its request's marker says so and is touched every second: only
    the marker of a request nobody works on (its worker died, or it waits behind other work)
    grows old enough to be sent again, and the page knows a slow render from a missing
    worker."""

    EVERY_S = 1.0

    def __init__(self, key: str):
        self.key = key
        self.path = marker_path(key)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.beat, name="tool-marker", daemon=True)

    def __enter__(self) -> MarkerHeartbeat:
        now = time.time()
        marker_write(self.key, {"sent_at": now, "started_at": now, "problem": None})
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)

    def beat(self) -> None:
        while not self.stopped.wait(self.EVERY_S):
            self.touch()

    def touch(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.utime(self.path)
