"""Storing stimuli: every design saves its files the same way (cleaned, hashed, opaque names).

A build gets a StimulusStore. Each file is re-encoded and written to storage as the design
hands it over, outside any database transaction; the rows wait in `store.stimuli` and are
created with the plan (services.study_plan_create), in short steps. So a build that takes
minutes never holds the database, and every file it wrote is known for clean-up.
"""

from collections.abc import Callable

from django.core.files.base import ContentFile

from studies.media import MediaError, MediaInfo, cleaned_for_participants, sha256_of
from studies.models import Stimulus, Study


class StimulusStore:
    """Where one build attempt puts its stimuli.

    `check` is called before each file is written (the build's "do I still hold my job?": a
    build that lost its job stops instead of writing on); `remove_written` deletes the files of
    this attempt when it fails.
    """

    def __init__(self, *, study: Study, check: Callable[[], None] = lambda: None):
        self.study = study
        self.check = check
        self.stimuli: list[Stimulus] = []  # unsaved rows, their files written

    def media(
        self,
        *,
        key: str,
        data: bytes,
        original: MediaInfo,
        class_label: str = "",
        description: str = "",
        provenance: dict | None = None,
    ) -> Stimulus:
        """Re-encode for participants (no metadata, even loudness), save under a hashed name."""
        cleaned, info = cleaned_for_participants(data, original)
        stimulus = Stimulus(
            study=self.study,
            kind=info.kind,
            key=key,
            extension=info.extension,
            content_type=info.content_type,
            sha256=info.sha256,
            size_bytes=info.size_bytes,
            duration_s=info.duration_s,
            width=info.width,
            height=info.height,
            class_label=class_label,
            description=description,
            provenance={
                **(provenance or {}),
                "original_sha256": original.sha256,
                "cleaning": "re-encoded without metadata; audio loudness-normalised to -20 dBFS",
            },
        )
        return self.keep(stimulus, cleaned)

    def midi(self, *, key: str, data: bytes, class_label: str, provenance: dict) -> Stimulus:
        """MIDI files are kept for researchers (never shown to participants) as they are."""
        stimulus = Stimulus(
            study=self.study,
            kind=Stimulus.Kind.MIDI,
            key=key,
            extension=".mid",
            content_type="audio/midi",
            sha256=sha256_of(data),
            size_bytes=len(data),
            class_label=class_label,
            provenance=provenance,
        )
        return self.keep(stimulus, data)

    def keep(self, stimulus: Stimulus, data: bytes) -> Stimulus:
        self.check()
        stimulus.file.save(stimulus.key, ContentFile(data), save=False)
        self.stimuli.append(stimulus)
        return stimulus

    def remove_written(self) -> None:
        for stimulus in self.stimuli:
            stimulus.file.storage.delete(stimulus.file.name)
        self.stimuli.clear()


__all__ = ["MediaError", "StimulusStore"]
