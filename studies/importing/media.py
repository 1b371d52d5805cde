"""Turning a row's media file into what an import stores (no Django settings needed): images
decoded, scaled down to a largest side and re-encoded as PNG without metadata; MIDI files
checked and kept as they are; audio cut into fixed-length clips, each written as FLAC. Each
result carries the sha256 of the bytes stored.

Every problem raises MediaError with a short phrase (no file name): the service turns it into
the row's refusal, "<file> cannot be used: <phrase>.".
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from studies.importing.rows import MediaRef
from studies.media import (
    AUDIO_FORMATS,
    MediaError,
    check_image_type,
    extension_of,
    reason,
    sha256_of,
)

# A clip whose loudest sample stays below -60 dBFS is silence (room noise, a fade).
SILENT_PEAK = 0.001
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class PreparedMedia:
    """One file to store: an image, a MIDI file or one audio clip."""

    kind: str
    extension: str
    data: bytes
    sha256: str
    clip_start_s: float | None = None
    duration_s: float | None = None


def locate(media_dir: Path, name: str) -> Path:
    """The file a row names, inside the media folder (never outside it)."""
    root = media_dir.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise MediaError("the file is outside the media folder")
    if not path.is_file():
        raise MediaError("there is no such file in the media folder")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def prepare(
    ref: MediaRef,
    path: Path,
    *,
    clip_seconds: float,
    max_clips: int | None,
    image_max_side: int,
    max_pixels: int,
) -> list[PreparedMedia]:
    """What a row's file becomes: one image, one MIDI file, or one or more audio clips."""
    if ref.kind == "image":
        return [prepare_image(path, max_side=image_max_side, max_pixels=max_pixels)]
    if ref.kind == "midi":
        return [prepare_midi(path)]
    return cut_audio(path, clip_seconds=clip_seconds, max_clips=max_clips)


def prepare_image(path: Path, *, max_side: int, max_pixels: int) -> PreparedMedia:
    """Decode, check, scale down so neither side exceeds `max_side`, re-encode as PNG."""
    from PIL import Image, UnidentifiedImageError

    extension = extension_of(path.name)
    try:
        with Image.open(path) as image:
            check_image_type(path.name, extension, image.format)
            if image.width * image.height > max_pixels:
                raise MediaError(
                    f"the image is {image.width} x {image.height} pixels, more than the "
                    f"{max_pixels:,} allowed"
                )
            image.load()
            mode = (
                "RGBA" if image.mode in ("RGBA", "LA", "P") else "L" if image.mode == "L" else "RGB"
            )
            pixels = image.convert(mode)
    except UnidentifiedImageError as error:
        raise MediaError("it is not a readable image (not a PNG, JPEG or WebP file)") from error
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        if isinstance(error, MediaError):
            raise MediaError(without_name(str(error), path.name)) from error
        raise MediaError(f"the image cannot be decoded ({reason(error)})") from error
    pixels.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    pixels.save(buffer, format="PNG")
    data = buffer.getvalue()
    return PreparedMedia(kind="image", extension=".png", data=data, sha256=sha256_of(data))


def prepare_midi(path: Path) -> PreparedMedia:
    """Check that the file is a MIDI file with notes; keep its bytes as they are."""
    import mido

    data = path.read_bytes()
    try:
        midi = mido.MidiFile(file=io.BytesIO(data))
        length = midi.length if midi.type != 2 else None
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as error:
        raise MediaError(f"it is not a readable MIDI file ({reason(error)})") from error
    has_notes = any(
        message.type == "note_on" and message.velocity > 0
        for track in midi.tracks
        for message in track
    )
    if not has_notes:
        raise MediaError("the MIDI file has no notes")
    return PreparedMedia(
        kind="midi",
        extension=".mid",
        data=data,
        sha256=sha256_of(data),
        duration_s=round(length, 3) if length is not None else None,
    )


def cut_audio(path: Path, *, clip_seconds: float, max_clips: int | None) -> list[PreparedMedia]:
    """The recording's whole clips of `clip_seconds` from its start, each as FLAC (same
    sample rate and channels); silent clips are skipped; at most `max_clips`."""
    import soundfile

    extension = extension_of(path.name)
    if extension not in AUDIO_FORMATS:
        raise MediaError(f"{extension or 'a file without extension'} is not an audio type")
    clips: list[PreparedMedia] = []
    try:
        with soundfile.SoundFile(path) as sound:
            if sound.format not in AUDIO_FORMATS[extension]:
                raise MediaError(
                    f"the file is {sound.format}, not the {AUDIO_FORMATS[extension][0]} its "
                    "name says"
                )
            rate, clip_frames = sound.samplerate, round(clip_seconds * sound.samplerate)
            if sound.frames < clip_frames:
                raise MediaError(
                    f"the recording is {sound.frames / rate:.1f} s long, shorter than one "
                    f"{clip_seconds:g} s clip"
                )
            for index in range(sound.frames // clip_frames):
                if max_clips is not None and len(clips) >= max_clips:
                    break
                sound.seek(index * clip_frames)
                samples = sound.read(clip_frames, dtype="float32", always_2d=True)
                if len(samples) < clip_frames or abs(samples).max() < SILENT_PEAK:
                    continue
                clips.append(audio_clip(samples, rate, start_s=index * clip_seconds))
    except MediaError:
        raise
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise MediaError(f"it is not a readable audio file ({reason(error)})") from error
    if not clips:
        raise MediaError("the recording is silent")
    return clips


def audio_clip(samples, sample_rate: int, *, start_s: float) -> PreparedMedia:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate, format="FLAC", subtype="PCM_16")
    data = buffer.getvalue()
    return PreparedMedia(
        kind="audio",
        extension=".flac",
        data=data,
        sha256=sha256_of(data),
        clip_start_s=round(start_s, 3),
        duration_s=round(len(samples) / sample_rate, 3),
    )


def pixel_mode(mode: str) -> str:
    """RGBA where the image may be transparent, L for greyscale, RGB otherwise."""
    if mode in ("RGBA", "LA", "P"):
        return "RGBA"
    return "L" if mode == "L" else "RGB"


def without_name(message: str, name: str) -> str:
    """studies.media's messages start with the file's name; the refusal names it already."""
    prefix = f"{name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
