"""Storing stimuli: every design saves its files the same way (cleaned, hashed, opaque names)."""

from django.core.files.base import ContentFile

from studies.media import MediaError, MediaInfo, cleaned_for_participants, sha256_of
from studies.models import Stimulus, Study


def stimulus_store(
    *,
    study: Study,
    key: str,
    data: bytes,
    original: MediaInfo,
    class_label: str = "",
    description: str = "",
    provenance: dict | None = None,
) -> Stimulus:
    """Re-encode for participants (no metadata, even loudness) and save under a hashed name."""
    cleaned, info = cleaned_for_participants(data, original)
    stimulus = Stimulus(
        study=study,
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
    stimulus.file.save(key, ContentFile(cleaned), save=False)
    stimulus.save()
    return stimulus


def midi_store(
    *, study: Study, key: str, data: bytes, class_label: str, provenance: dict
) -> Stimulus:
    """MIDI files are kept for researchers (never shown to participants) as they are."""
    stimulus = Stimulus(
        study=study,
        kind=Stimulus.Kind.MIDI,
        key=key,
        extension=".mid",
        content_type="audio/midi",
        sha256=sha256_of(data),
        size_bytes=len(data),
        class_label=class_label,
        provenance=provenance,
    )
    stimulus.file.save(key, ContentFile(data), save=False)
    stimulus.save()
    return stimulus


__all__ = ["MediaError", "midi_store", "stimulus_store"]
