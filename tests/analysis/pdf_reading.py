"""Read the pages of a report PDF in tests: each page's size and the text its text layer holds.

No PDF library is installed, and the reports are written by matplotlib alone, so this reads
just what matplotlib writes: the page tree, each page's MediaBox, and the strings shown by the
text operators (Tj, TJ, ', ") of its Flate-compressed content streams. Glyphs outside Latin-1
(kappa, CJK) are drawn as shapes by matplotlib and are not in the text layer.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

A4_POINTS = (595.28, 841.89)  # 210 x 297 mm

OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
# matplotlib ends a stream's data with "\nendstream"; the data's own last byte may be "\r"
STREAM = re.compile(rb"stream\r?\n(.*?)\nendstream", re.S)
REFERENCE = re.compile(rb"(\d+) 0 R")
TEXT_BLOCK = re.compile(rb"BT(.*?)ET", re.S)
SHOWN = re.compile(rb"(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|\[(?:[^\]\\]|\\.)*\])\s*(?:Tj|TJ|'|\")")
LITERAL = re.compile(rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclass(frozen=True)
class PdfPage:
    width: float  # points
    height: float
    text: str  # one line per text-showing operation

    def is_a4_portrait(self) -> bool:
        return abs(self.width - A4_POINTS[0]) < 2 and abs(self.height - A4_POINTS[1]) < 2


def pdf_pages(data: bytes) -> list[PdfPage]:
    objects = {int(number): body for number, body in OBJECT.findall(data)}
    pages = []
    for number in page_order(objects):
        body = objects[number]
        box = re.search(rb"/MediaBox\s*\[\s*([-\d.\s]+)\]", body).group(1).split()
        x0, y0, x1, y1 = (float(v) for v in box)
        contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+ 0 R)", body).group(1)
        streams = [content_stream(objects[int(ref)]) for ref in REFERENCE.findall(contents)]
        pages.append(PdfPage(x1 - x0, y1 - y0, "\n".join(shown_text(s) for s in streams)))
    return pages


def pdf_text(data: bytes) -> str:
    """Every page's text layer, in page order."""
    return "\n".join(page.text for page in pdf_pages(data))


def page_order(objects: dict[int, bytes]) -> list[int]:
    """Page object numbers in reading order, walking /Kids from the root /Pages node."""
    kinds = {n: re.search(rb"/Type\s*/(Pages|Page)\b", body) for n, body in objects.items()}
    children = {
        kid
        for n, found in kinds.items()
        if found and found.group(1) == b"Pages"
        for kid in kids_of(objects[n])
    }
    roots = [n for n, f in kinds.items() if f and f.group(1) == b"Pages" and n not in children]

    def walk(number: int) -> list[int]:
        if kinds[number].group(1) == b"Page":
            return [number]
        return [page for kid in kids_of(objects[number]) for page in walk(kid)]

    return [page for root in roots for page in walk(root)]


def kids_of(body: bytes) -> list[int]:
    kids = re.search(rb"/Kids\s*\[([^\]]*)\]", body)
    return [int(n) for n in REFERENCE.findall(kids.group(1))] if kids else []


def content_stream(body: bytes) -> bytes:
    raw = STREAM.search(body).group(1)
    # decompressobj stops at the end of the compressed data (a writer's "\r" after it is left)
    return zlib.decompressobj().decompress(raw) if b"/FlateDecode" in body else raw


def shown_text(stream: bytes) -> str:
    lines = []
    for block in TEXT_BLOCK.findall(stream):
        for operand in SHOWN.findall(block):
            lines.append("".join(decode(part) for part in LITERAL.findall(operand)))
    return "\n".join(lines)


def decode(literal: bytes) -> str:
    if literal.startswith(b"<"):
        digits = re.sub(rb"\s", b"", literal[1:-1])
        return bytes.fromhex(digits.decode()).decode("latin-1")
    out, body, i = bytearray(), literal[1:-1], 0
    while i < len(body):
        if body[i : i + 1] == b"\\":
            following = body[i + 1 : i + 2]
            octal = re.match(rb"[0-7]{1,3}", body[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(0), 8))
                i += 1 + len(octal.group(0))
                continue
            out += ESCAPES.get(following, following)
            i += 2
        else:
            out += body[i : i + 1]
            i += 1
    return out.decode("latin-1")
