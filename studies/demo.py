"""The demo matching set: what it is, said plainly.

Images: handwritten digits 0, 1 and 7 from scikit-learn's `load_digits` (8x8 scans, enlarged to
112x112). Audio: two-bar melodies rendered with pretty_midi's bundled General MIDI soundfont,
one musical character per digit class (0: slow, low, falling; 1: fast, high, rising; 7: mid,
repeated leaps). The pairing is a made-up convention so that a person can learn it from the
examples, not a model's output; the SynVAE study kind replaces it with generated pairs.
"""

import io
import random
import zipfile

import numpy as np

DEMO_CLASSES = ("0", "1", "7")
DESCRIPTIONS = {"0": "A handwritten zero", "1": "A handwritten one", "7": "A handwritten seven"}


def digit_png(pixels: np.ndarray) -> bytes:
    from PIL import Image

    grey = (255 - pixels / 16.0 * 255).clip(0, 255).astype("uint8")
    buffer = io.BytesIO()
    Image.fromarray(grey, mode="L").resize((112, 112), Image.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def class_melody(label: str, rng: random.Random) -> list[int]:
    """32 sixteenth-note tokens (see modeling.data.melody): 0 no event, 1 note-off, 2+ pitch."""
    from modeling.data.melody import NO_EVENT, pitch_to_token

    if label == "0":
        start = rng.choice([48, 50, 52])
        pitches, step_len = [start + 7 - 2 * i for i in range(4)], 8
    elif label == "1":
        start = rng.choice([72, 74, 76])
        pitches, step_len = [start + d for d in (0, 2, 4, 5, 7, 9, 11, 12)] * 2, 2
    else:
        start = rng.choice([60, 62, 64])
        pitches, step_len = (
            [start, start + 7, start, start + 7, start + 12, start + 7, start, start],
            4,
        )
    tokens = [NO_EVENT] * 32
    for index, pitch in enumerate(pitches):
        if index * step_len < 32:
            tokens[index * step_len] = pitch_to_token(pitch)
    return tokens


def clip_wav(label: str, rng: random.Random) -> bytes:
    from modeling.render import melody_audio

    audio, _ = melody_audio(class_melody(label, rng), sample_rate=22050, format="ogg")
    return audio


def demo_set_zip(*, test_per_class: int = 7, preview_per_class: int = 4, seed: int = 0) -> bytes:
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = random.Random(seed)
    files, lines = {}, ["image,audio,class,role,description"]
    for label in DEMO_CLASSES:
        indices = [i for i, target in enumerate(digits.target) if str(target) == label]
        rng.shuffle(indices)
        roles = ["preview"] * preview_per_class + ["test"] * test_per_class
        for number, (index, role) in enumerate(zip(indices, roles, strict=False)):
            stem = f"{label}_{number:02d}"
            files[f"images/{stem}.png"] = digit_png(digits.images[index])
            files[f"audio/{stem}.ogg"] = clip_wav(label, rng)
            lines.append(f"images/{stem}.png,audio/{stem}.ogg,{label},{role},{DESCRIPTIONS[label]}")
    files["manifest.csv"] = ("\n".join(lines) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
