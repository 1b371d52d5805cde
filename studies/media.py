"""Checks that uploaded media really are what they claim, and measures them."""

import hashlib
import io
import re
from dataclasses import dataclass
from math import isqrt

from django.conf import settings

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


def reason(error: Exception) -> str:
    """The decoder's own words, without the in-memory file object it names."""
    text = re.sub(r"Error opening <[^>]*>: ", "", str(error))
    return (
        re.sub(r" ?<_io\.BytesIO object at 0x[0-9a-f]+>", "", text).strip() or type(error).__name__
    )


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def extension_of(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


def probe_image(data: bytes, *, name: str) -> MediaInfo:
    """Check that the bytes are an image of the type the name says and decode it."""
    from PIL import Image

    width, height = identify_image(data, name=name)
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise MediaError(f"{name}: not a readable image ({reason(error)})") from error
    return MediaInfo(
        kind="image",
        extension=extension_of(name),
        content_type=IMAGE_TYPES[extension_of(name)],
        sha256=sha256_of(data),
        size_bytes=len(data),
        width=width,
        height=height,
    )


def identify_image(data: bytes, *, name: str) -> tuple[int, int]:
    """From the header only (nothing is decoded): the image's size, once its type is the one
    its name says and its size is within SYNLAB_MAX_IMAGE_PIXELS."""
    from PIL import Image, UnidentifiedImageError

    extension = extension_of(name)
    if extension not in IMAGE_TYPES:
        raise MediaError(f"{name}: unsupported image type {extension or '(none)'}")
    try:
        with Image.open(io.BytesIO(data)) as image:
            found, (width, height) = image.format, image.size
    except UnidentifiedImageError as error:
        raise MediaError(f"{name}: not a readable image (not a PNG, JPEG or WebP file)") from error
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise MediaError(f"{name}: not a readable image ({reason(error)})") from error
    check_image_type(name, extension, found)
    check_image_size(name, width, height)
    return width, height


# What Pillow and libsndfile call the formats each accepted extension must really hold.
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
AUDIO_FORMATS = {
    ".wav": ("WAV", "WAVEX"),  # WAVEX: a WAV with the extensible header (more channels, 24 bit)
    ".ogg": ("OGG",),
    ".mp3": ("MP3",),
    ".flac": ("FLAC",),
}


def check_image_type(name: str, extension: str, found: str | None) -> None:
    if found != IMAGE_FORMATS[extension]:
        raise MediaError(
            f"{name}: the file is {found or 'not an image'}, not the {IMAGE_FORMATS[extension]} "
            f"its name says"
        )


def check_image_size(name: str, width: int, height: int) -> None:
    """Refused before decoding: a small compressed image can unpack to gigabytes of pixels."""
    limit = settings.SYNLAB_MAX_IMAGE_PIXELS
    if width * height > limit:
        raise MediaError(
            f"{name}: the image is {width} x {height} pixels; at most {limit:,} pixels "
            f"(e.g. {isqrt(limit)} x {isqrt(limit)}) are allowed"
        )


def probe_audio(data: bytes, *, name: str) -> MediaInfo:
    """Check that the bytes are audio of the type the name says and decode it."""
    import soundfile

    identify_audio(data, name=name)
    try:
        samples, sample_rate = soundfile.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise MediaError(f"{name}: not a readable audio file ({reason(error)})") from error
    if len(samples) == 0:
        raise MediaError(f"{name}: the audio file is empty")
    if not samples.any():
        raise MediaError(f"{name}: the clip is silent")
    return MediaInfo(
        kind="audio",
        extension=extension_of(name),
        content_type=AUDIO_TYPES[extension_of(name)],
        sha256=sha256_of(data),
        size_bytes=len(data),
        duration_s=round(len(samples) / sample_rate, 3),
    )


def identify_audio(data: bytes, *, name: str) -> None:
    """From the header only (nothing is decoded): the type is the one the name says and the
    clip is within SYNLAB_MAX_CLIP_SECONDS."""
    import soundfile

    extension = extension_of(name)
    if extension not in AUDIO_TYPES:
        raise MediaError(f"{name}: unsupported audio type {extension or '(none)'}")
    try:
        found = soundfile.info(io.BytesIO(data))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as error:
        raise MediaError(f"{name}: not a readable audio file ({reason(error)})") from error
    check_audio_type(name, extension, found.format)
    check_clip_length(name, found.frames, found.channels, found.samplerate)


def identify_media(data: bytes, *, name: str, kind: str) -> None:
    """identify_image or identify_audio: a quick check of what a file is, nothing decoded."""
    if kind == "image":
        identify_image(data, name=name)
    else:
        identify_audio(data, name=name)


def check_audio_type(name: str, extension: str, found: str) -> None:
    expected = AUDIO_FORMATS[extension]
    if found not in expected:
        raise MediaError(f"{name}: the file is {found}, not the {expected[0]} its name says")


# A clip may hold at most as many samples as a stereo 48 kHz clip of SYNLAB_MAX_CLIP_SECONDS
# (decoded as 32-bit floats: 230 MB for the default 600 s).
CLIP_BUDGET_RATE, CLIP_BUDGET_CHANNELS = 48_000, 2


def check_clip_length(name: str, frames: int, channels: int, sample_rate: int) -> None:
    """Refused before decoding: a small compressed file can unpack to hours of samples."""
    limit_s = settings.SYNLAB_MAX_CLIP_SECONDS
    if frames * channels > limit_s * CLIP_BUDGET_RATE * CLIP_BUDGET_CHANNELS:
        seconds = frames / sample_rate if sample_rate else float("inf")
        raise MediaError(
            f"{name}: the clip is {seconds:.0f} s long ({channels} channel(s) at "
            f"{sample_rate} Hz), more than can be decoded: at most {limit_s} s of stereo at "
            "48 kHz (or as many samples) are allowed"
        )


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
