"""The Vis2Mus browser tool's rendering, Django-free: one request (a checkpoint, anchors and two
slider values) -> a picture and a clip, cached on disk under a key that names all of them.

Two modes:

- ``transform``: a photograph and a texture; brightness then contrast act on the picture (per
  colour channel) and on the texture's feature map, which is encoded and decoded with the
  texture's own chords (at 0 / 0 this is the reconstruction).
- ``fuse``: a sketch in a style photograph's colours and textures (``style.py``, ~4 s, cached
  apart from the sliders), and a melody over an accompaniment's texture (the paper's music style
  transfer, ``generate.fuse_with_melody``); the sliders act on the fused picture and on the
  accompaniment's feature map, the melody stays on top.

The web process imports this module for requests, keys and cached results: nothing here imports
torch at module level. ``render_into_cache`` runs in a worker and keeps loaded models per
process, so a slider move does not reload the checkpoint.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from modeling.vis2mus import anchors
from modeling.vis2mus.generate import anchor_problems
from modeling.vis2mus.transforms import STRENGTH_RANGE, clamp_strength

RENDER_VERSION = 1  # part of every key: bump it when the rendering changes
MODES = ("transform", "fuse")
ROLES = {
    "transform": {"picture": "photo", "music": "texture"},
    "fuse": {
        "picture": "sketch",
        "style": "photo",
        "music": "melody",
        "accompaniment": "accompaniment",
    },
}
SLIDERS = ("brightness", "contrast")
STRENGTH_DECIMALS = 2
PICTURE, CLIP, MIDI, RESULT = "picture.png", "clip.flac", "clip.mid", "result.json"
FILES = (PICTURE, CLIP, MIDI)
# One thread per render: the decoder is a chain of small steps that a second thread hardly
# speeds up, and on a busy 2-core machine two spinning threads made the style transfer 5x
# slower (118 s against 21 s at a load average of 9; measured for docs/vis2mus-tool.md).
RENDER_THREADS = 1
PARTIAL_LIFETIME_S = 600  # a partial folder this old belongs to a worker that died
# The music anchors the tool reads; tests point it at a file with broken segments.
ANCHOR_SEGMENTS = anchors.ANCHOR_FILE


class ToolError(ValueError):
    """A request the tool cannot render; ``problems`` are sentences for the page."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ToolRequest:
    mode: str
    picture: str  # photo/<name> (transform) or sketch/<name> (fuse)
    music: str  # texture/<n> (transform) or melody/<n> (fuse)
    style: str = ""  # fuse: photo/<name> lending the sketch its colours and textures
    accompaniment: str = ""  # fuse: accompaniment/<n> lending the melody its texture
    brightness: float = 0.0
    contrast: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ToolRequest:
        names = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in names})

    def anchor_keys(self) -> dict[str, str]:
        """field -> anchor key, for the fields this mode uses."""
        return {field: getattr(self, field) for field in ROLES.get(self.mode, {})}


@dataclass(frozen=True)
class Rendering:
    picture_png: bytes
    clip_flac: bytes | None  # None: the model plays no note at these values
    midi: bytes | None
    notes: tuple[str, ...] = ()


# ----- requests ------------------------------------------------------------------------------


def strength_used(name: str, value) -> tuple[float, str | None]:
    """A slider value as used: a number clamped to [-1, 1] and rounded to hundredths, and the
    sentence saying it was clamped (None when it was not)."""
    low, high = STRENGTH_RANGE
    try:
        clamped, message = clamp_strength(float(value))
    except (TypeError, ValueError):
        problem = f"{name.capitalize()} must be a number from {low:g} to {high:g}."
        raise ToolError([problem]) from None
    if message:
        message = f"{name.capitalize()} {float(value):g} is outside [{low:g}, {high:g}]; "
        message += f"{clamped:g} was used."
    return round(clamped, STRENGTH_DECIMALS) + 0.0, message  # + 0.0: no -0.0 in keys


def with_strengths(request: ToolRequest, **values) -> tuple[ToolRequest, list[str]]:
    """The request with each given slider value clamped and rounded; the clamping sentences."""
    used, notes = {}, []
    for name in SLIDERS:
        if name in values:
            used[name], message = strength_used(name, values[name])
            notes += [message] if message else []
    return replace(request, **used), notes


def request_problems(request: ToolRequest) -> list[str]:
    """Everything that stops a request from being rendered, one sentence each."""
    if request.mode not in MODES:
        return [f"There is no mode {request.mode!r}; choose {' or '.join(MODES)}."]
    problems = []
    for field, role in ROLES[request.mode].items():
        key = getattr(request, field)
        if not key:
            problems.append(f"Choose {_article(role)} {role} for the {field}.")
        elif not isinstance(key, str) or key.split("/", 1)[0] != role:
            problems.append(f"The {field} must be {_article(role)} {role} anchor, not {key!r}.")
        elif role in anchors.IMAGE_ROLES:
            problems += _image_anchor_problems(key)
        else:
            problems += _music_anchor_problems(key)
    return problems


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _image_anchor_problems(key: str) -> list[str]:
    try:
        anchors.image_anchor(key)
    except anchors.AnchorError as error:
        return [str(error)]
    return []


def _music_anchor_problems(key: str) -> list[str]:
    try:
        anchor = anchors.music_anchor(key, path=ANCHOR_SEGMENTS)
    except anchors.AnchorError as error:
        return [str(error)]
    return [
        f"{anchor.title} cannot be used: {p}." for p in anchor_problems(anchor.roll, anchor.chords)
    ]


# ----- cache keys and cached results -----------------------------------------------------------


def file_digest(path: Path | str) -> str:
    """sha256 of a file: the checkpoint, the music anchors (once per file version and
    process)."""
    stat = os.stat(path)
    return _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_key(request: ToolRequest, checkpoint_sha256: str) -> str:
    """The same for the same checkpoint contents, anchors and slider values: 64 hex digits.
    Rebuilding the music anchors file changes every key (its keys may name other segments)."""
    described = {
        "version": RENDER_VERSION,
        "music_anchors": file_digest(ANCHOR_SEGMENTS),
        "checkpoint": checkpoint_sha256,
        "mode": request.mode,
        "anchors": request.anchor_keys(),
        "brightness": round(float(request.brightness), STRENGTH_DECIMALS) + 0.0,
        "contrast": round(float(request.contrast), STRENGTH_DECIMALS) + 0.0,
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def read_result(results_dir: Path, key: str) -> dict | None:
    """The stored result of a key (its files lie beside it), or None when there is none yet."""
    try:
        return json.loads((Path(results_dir) / key / RESULT).read_text())
    except FileNotFoundError:
        return None


def write_result(results_dir: Path, key: str, result: dict, files: dict[str, bytes]) -> Path:
    """Write a result whole or not at all: into a partial folder, then one rename. When another
    worker got there first, its result stays and this one is dropped."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    partial = results_dir / f".{key}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial"
    partial.mkdir()
    try:
        for name, data in files.items():
            (partial / name).write_bytes(data)
        (partial / RESULT).write_text(json.dumps({**result, "files": sorted(files)}))
        os.rename(partial, results_dir / key)
    except OSError:
        if not (results_dir / key / RESULT).exists():
            raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return results_dir / key


def remove_stale_partials(folder: Path, *, older_than_s: float = PARTIAL_LIFETIME_S) -> int:
    """Remove the partial files and folders of workers killed while writing them; how many
    were removed."""
    removed = 0
    for partial in Path(folder).glob(".*.partial"):
        try:
            stale = time.time() - partial.stat().st_mtime > older_than_s
        except FileNotFoundError:
            continue
        if stale and partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        elif stale:
            partial.unlink(missing_ok=True)
        removed += stale
    return removed


# ----- rendering (in a worker) ---------------------------------------------------------------


def render_into_cache(
    *, checkpoint: Path | str, request: ToolRequest, cache_dir: Path
) -> tuple[str, dict]:
    """Render a request unless its result is stored; (key, stored result). A request that
    cannot be rendered (a broken anchor, a checkpoint of another family) is stored as a result
    with its ``problem`` and no files."""
    results_dir = Path(cache_dir) / "results"
    key = cache_key(request, file_digest(checkpoint))
    stored = read_result(results_dir, key)
    if stored is not None:
        return key, stored
    for folder in (results_dir, Path(cache_dir) / "fused"):
        remove_stale_partials(folder)
    started = time.perf_counter()
    result = {"request": request.as_dict(), "problem": None, "notes": []}
    files: dict[str, bytes] = {}
    try:
        problems = request_problems(request)
        if problems:
            raise ToolError(problems)
        with torch_threads(RENDER_THREADS):
            model = loaded_model(checkpoint)
            rendering = render(model, request, bases_dir=Path(cache_dir) / "fused")
    except ToolError as error:
        result["problem"] = " ".join(error.problems)
    else:
        files = {PICTURE: rendering.picture_png}
        if rendering.clip_flac is not None:
            files.update({CLIP: rendering.clip_flac, MIDI: rendering.midi})
        result["notes"] = list(rendering.notes)
    result["render_seconds"] = round(time.perf_counter() - started, 3)
    write_result(results_dir, key, result, files)
    return key, read_result(results_dir, key)


@contextlib.contextmanager
def torch_threads(count: int):
    """Torch's intra-op threads set to ``count`` inside, given back after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def loaded_model(checkpoint: Path | str):
    """The Vis2Mus model of a checkpoint, loaded once per file version and process."""
    stat = os.stat(checkpoint)
    return _loaded_model(str(checkpoint), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _loaded_model(path: str, size: int, mtime_ns: int):
    from modeling.checkpoint_io import CheckpointError, load_checkpoint, load_model

    try:
        return load_model(path, expected_kind="vis2mus")[0]
    except CheckpointError as error:
        try:
            kind = load_checkpoint(path, expected_kind=None).kind
        except CheckpointError:
            raise ToolError(["The checkpoint is not a readable Synlab checkpoint."]) from error
        raise ToolError(
            [
                f"The checkpoint holds a {kind!r} model, not a Vis2Mus chord/texture VAE: "
                "choose a Vis2Mus checkpoint."
            ]
        ) from error


def render(model, request: ToolRequest, *, bases_dir: Path) -> Rendering:
    """The picture and the clip of a checked request."""
    from modeling.vis2mus.media import picture_png, roll_clip

    picture = adjusted_picture(base_picture(request, bases_dir=bases_dir), request)
    roll = rendered_roll(model, request)
    if not roll.any():
        note = "At these slider values the model plays no note: there is nothing to hear."
        return Rendering(picture_png(picture), None, None, (note,))
    clip, midi = roll_clip(roll)
    return Rendering(picture_png(picture), clip, midi)


def base_picture(request: ToolRequest, *, bases_dir: Path) -> np.ndarray:
    """The picture before the sliders: the photograph, or the fused sketch (cached on disk)."""
    if request.mode == "transform":
        return anchors.image_anchor(request.picture).pixels()
    return fused_picture(request.picture, request.style, bases_dir=bases_dir)


def fused_picture(sketch_key: str, style_key: str, *, bases_dir: Path) -> np.ndarray:
    from modeling.vis2mus.style import style_transfer_image

    name = hashlib.sha256(f"{RENDER_VERSION}|{sketch_key}|{style_key}".encode()).hexdigest()
    path = Path(bases_dir) / f"{name}.npy"
    if path.exists():
        return np.load(path)
    pixels = style_transfer_image(
        anchors.image_anchor(sketch_key).pixels(), anchors.image_anchor(style_key).pixels()
    ).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    with open(partial, "wb") as handle:
        np.save(handle, pixels)
    os.replace(partial, path)
    return pixels


def adjusted_picture(pixels: np.ndarray, request: ToolRequest) -> np.ndarray:
    """Brightness, then contrast, per colour channel (eq. 1 and 2), clipped for showing."""
    from modeling.vis2mus.transforms import as_display_image, transform

    channels = np.asarray(pixels, dtype=np.float32).transpose(2, 0, 1)
    for name in SLIDERS:
        if getattr(request, name):
            channels = transform(channels, name, getattr(request, name))
    return as_display_image(channels).astype(np.float32) / 255.0


def rendered_roll(model, request: ToolRequest) -> np.ndarray:
    """The music of a request: a texture roll [32, 128]."""
    from modeling.vis2mus.generate import below_melody

    music = anchors.music_anchor(request.music, path=ANCHOR_SEGMENTS)
    if request.mode == "transform":
        return decoded_with_sliders(model, music.roll, music.chords, request)
    accompaniment = anchors.music_anchor(request.accompaniment, path=ANCHOR_SEGMENTS)
    lowered = below_melody(np.asarray(accompaniment.roll), np.asarray(music.roll))
    decoded = decoded_with_sliders(model, lowered, music.chords, request)
    return np.where(music.roll > 0, music.roll, decoded).astype(np.uint8)


def decoded_with_sliders(model, texture: np.ndarray, chords: np.ndarray, request: ToolRequest):
    """Decode ``chords`` in ``texture`` after brightness, then contrast, on its feature map."""
    import torch

    from modeling.vis2mus.transforms import transform

    device = str(next(model.parameters()).device)
    with torch.no_grad():
        z_chd, _ = model.encode_chords(torch.as_tensor(np.array(chords)[None]).float().to(device))
        feature_map = model.texture_feature_map(torch.as_tensor(np.array(texture)[None]).to(device))
        for name in SLIDERS:
            if getattr(request, name):
                feature_map = transform(feature_map, name, getattr(request, name))
        z_txt, _ = model.encode_feature_map(feature_map)
        return model.decode(z_chd, z_txt)[0].cpu().numpy().astype(np.uint8)
