"""An optional colour-vision check: pseudo-isochromatic plates made in-house.

Each plate is a disc of coloured dots; the dots inside a digit take red-green confusion colours of
the same lightness as the background dots, so the digit stands out by hue alone. People with
red-green colour deficiency (about 8% of men) often cannot read it. Which digits are shown is
derived from a keyed hash of the participant's token, so the answers never reach the browser.
"""

import hashlib
import io
import random

PLATES = 3
SIZE = 320
FIGURE = [(92, 146, 62), (110, 160, 70), (80, 135, 60), (120, 150, 66)]  # greens
GROUND = [(190, 110, 70), (205, 125, 80), (180, 100, 65), (200, 140, 90)]  # oranges and reds


def plate_digits(*, secret: str) -> list[int]:
    rng = random.Random(hashlib.sha256(f"{secret}:colour".encode()).hexdigest())
    return [rng.randrange(1, 10) for _ in range(PLATES)]


def plate_png(*, digit: int, seed: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    mask = Image.new("L", (SIZE, SIZE), 0)
    font = ImageFont.load_default(size=int(SIZE * 0.62))
    ImageDraw.Draw(mask).text((SIZE / 2, SIZE / 2), str(digit), fill=255, font=font, anchor="mm")
    plate = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    draw = ImageDraw.Draw(plate)
    rng = random.Random(seed)
    centre, radius = SIZE / 2, SIZE / 2 - 4
    for _ in range(2600):
        x, y, r = rng.uniform(0, SIZE), rng.uniform(0, SIZE), rng.uniform(3, 7)
        if (x - centre) ** 2 + (y - centre) ** 2 > (radius - r) ** 2:
            continue
        palette = FIGURE if mask.getpixel((int(x), int(y))) > 127 else GROUND
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(palette))
    buffer = io.BytesIO()
    plate.save(buffer, format="PNG")
    return buffer.getvalue()


def score(*, secret: str, answers: list[str]) -> int:
    digits = plate_digits(secret=secret)
    return sum(answer.strip() == str(digit) for answer, digit in zip(answers, digits, strict=False))
