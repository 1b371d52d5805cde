"""Checks that uploaded media really are what they claim, and measures them."""

import hashlib
import io
from dataclasses import dataclass

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".ogg": "audio/ogg",
    ".mp3": "audio/mpeg",
    ".flac": "audio/flac",
}
MIDI_TYPES = {".mid": "audio/midi", ".midi": "audio/midi"}


class MediaError(ValueError):
    """A file that cannot be used as a stimulus; the message says why."""


@dataclass(frozen=True)
class MediaInfo:
    kind: str
    extension: str
    content_type: str
    sha256: str
    size_bytes: int
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def extension_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def probe_image(data: bytes, *, name: str) -> MediaInfo:
    from PIL import Image, UnidentifiedImageError

    extension = extension_of(name)
    if extension not in IMAGE_TYPES:
        raise MediaError(f"{name}: unsupported image type {extension or '(none)'}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise MediaError(f"{name}: not a readable image ({error})") from error
    return MediaInfo(
        kind="image",
        extension=extension,
        content_type=IMAGE_TYPES[extension],
        sha256=sha256_of(data),
        size_bytes=len(data),
        width=width,
        height=height,
    )


def probe_audio(data: bytes, *, name: str) -> MediaInfo:
    import soundfile

    extension = extension_of(name)
    if extension not in AUDIO_TYPES:
        raise MediaError(f"{name}: unsupported audio type {extension or '(none)'}")
    try:
        samples, sample_rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise MediaError(f"{name}: not a readable audio file ({error})") from error
    if len(samples) == 0:
        raise MediaError(f"{name}: the audio file is empty")
    return MediaInfo(
        kind="audio",
        extension=extension,
        content_type=AUDIO_TYPES[extension],
        sha256=sha256_of(data),
        size_bytes=len(data),
        duration_s=round(len(samples) / sample_rate, 3),
    )


def probe_media(data: bytes, *, name: str) -> MediaInfo:
    extension = extension_of(name)
    if extension in IMAGE_TYPES:
        return probe_image(data, name=name)
    if extension in AUDIO_TYPES:
        return probe_audio(data, name=name)
    raise MediaError(f"{name}: unsupported file type {extension or '(none)'}")


def clean_image(data: bytes) -> bytes:
    """Re-encode as PNG with no metadata (EXIF, text chunks, ICC names, timestamps)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB" if image.mode != "L" else "L"
        pixels = Image.new(mode, image.size)
        pixels.paste(image.convert(mode))
    buffer = io.BytesIO()
    pixels.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


# Sample rates an MP3 can carry; anything else is resampled to 44.1 kHz first.
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
MP3_QUALITY = 0.4  # libsndfile's compression level: 0 = 320 kbit/s ... 1 = the lowest rate


def clean_audio(data: bytes, *, target_dbfs_rms: float = -20.0) -> bytes:
    """Decode, normalise loudness, re-encode as mono constant-bitrate MP3 with no tags.

    Every clip then plays at the same loudness, every browser can play it (Safari has no Ogg),
    and neither its tags, its volume nor its size (constant bitrate: size follows duration
    only) can hint at which option is right.
    """
    import soundfile

    from modeling.render import normalise_loudness

    samples, sample_rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    mono, sample_rate = mp3_ready(samples.mean(axis=1), sample_rate)
    try:
        mono = normalise_loudness(mono, target_dbfs_rms=target_dbfs_rms)
    except ValueError as error:
        raise MediaError(f"the clip is silent ({error})") from error
    buffer = io.BytesIO()
    soundfile.write(
        buffer,
        mono,
        sample_rate,
        format="MP3",
        subtype="MPEG_LAYER_III",
        bitrate_mode="CONSTANT",
        compression_level=MP3_QUALITY,
    )
    return buffer.getvalue()


def mp3_ready(mono, sample_rate: int):
    """The samples at a rate MP3 supports (44.1 kHz when the original's is not one)."""
    if sample_rate in MP3_SAMPLE_RATES:
        return mono, sample_rate
    from math import gcd

    from scipy.signal import resample_poly

    target = 44100
    common = gcd(sample_rate, target)
    return resample_poly(mono, target // common, sample_rate // common).astype("float32"), target


def cleaned_for_participants(data: bytes, info: MediaInfo) -> tuple[bytes, MediaInfo]:
    """The bytes participants receive, and their description (sha256 of the cleaned file)."""
    if info.kind == "image":
        cleaned, extension = clean_image(data), ".png"
    else:
        cleaned, extension = clean_audio(data), ".mp3"
    return cleaned, MediaInfo(
        kind=info.kind,
        extension=extension,
        content_type=IMAGE_TYPES.get(extension) or AUDIO_TYPES[extension],
        sha256=sha256_of(cleaned),
        size_bytes=len(cleaned),
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
    )
