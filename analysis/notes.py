"""Notes: what a report could not compute, what it did instead, and why.

Every step of the analysis appends to a shared list instead of raising, so a report on odd data
(an empty study, one participant, identical answers) still renders and says what is missing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

NoteLevel = Literal["info", "warning"]


@dataclass(frozen=True)
class Note:
    """One sentence for the reader of a report, tagged with the part of the analysis it concerns."""

    topic: str
    message: str
    level: NoteLevel = "info"

    def to_dict(self) -> dict:
        return asdict(self)


class Notes(list):
    """A list of `Note` with two small helpers, so analysis steps read `notes.warn(...)`."""

    def info(self, topic: str, message: str) -> None:
        self.append(Note(topic=topic, message=message, level="info"))

    def warn(self, topic: str, message: str) -> None:
        self.append(Note(topic=topic, message=message, level="warning"))
