"""Real media and upload sets for tests: PNG images and WAV/OGG tones, made on the fly."""

import io
import zipfile

import numpy as np
import soundfile
from PIL import Image

CLASS_COLOURS = {
    "red": (200, 30, 30),
    "green": (30, 160, 60),
    "blue": (30, 60, 200),
    "gold": (200, 160, 20),
}
CLASS_PITCH_HZ = {"red": 220.0, "green": 330.0, "blue": 440.0, "gold": 550.0}


def png_bytes(colour=(128, 128, 128), size=(32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_broken_after_header(colour=(128, 128, 128)) -> bytes:
    """A PNG whose header reads fine (type, size) but whose pixels are cut off."""
    return png_bytes(colour, size=(64, 64))[:-20]


def tone_bytes(frequency_hz=440.0, seconds=0.4, sample_rate=16000, format="WAV") -> bytes:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.02)
    samples = (0.3 * np.sin(2 * np.pi * frequency_hz * t) * fade).astype("float32")
    buffer = io.BytesIO()
    soundfile.write(buffer, samples, sample_rate, format=format)
    return buffer.getvalue()


def silent_wav(seconds=0.5, sample_rate=16000) -> bytes:
    """A well-formed WAV that holds only silence (a clip no one can hear)."""
    buffer = io.BytesIO()
    soundfile.write(
        buffer, np.zeros(int(seconds * sample_rate), "float32"), sample_rate, format="WAV"
    )
    return buffer.getvalue()


def manifest_line(
    image: str, audio: str, label: str, role: str = "test", description: str = ""
) -> str:
    return f"{image},{audio},{label},{role},{description}\n"


def upload_zip(
    *,
    classes=("red", "green", "blue"),
    test_per_class: int = 3,
    preview_per_class: int = 1,
    seconds: float = 0.4,
    extra_rows: str = "",
    replace_files: dict[str, bytes] | None = None,
    drop_files: tuple[str, ...] = (),
) -> bytes:
    """A valid matching set (image + clip per row) that tests can damage on purpose."""
    files: dict[str, bytes] = {}
    manifest = "image,audio,class,role,description\n"
    for label in classes:
        for role, count in (("preview", preview_per_class), ("test", test_per_class)):
            for index in range(count):
                stem = f"{label}_{role}_{index}"
                shade = tuple(min(255, c + 8 * index) for c in CLASS_COLOURS[label])
                files[f"images/{stem}.png"] = png_bytes(shade)
                files[f"audio/{stem}.wav"] = tone_bytes(
                    CLASS_PITCH_HZ[label] * (1 + 0.05 * index), seconds
                )
                manifest += manifest_line(
                    f"images/{stem}.png", f"audio/{stem}.wav", label, role, f"A {label} square"
                )
    files["manifest.csv"] = (manifest + extra_rows).encode()
    files.update(replace_files or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            if name not in drop_files:
                archive.writestr(name, data)
    return buffer.getvalue()
