"""MIDI -> audio files and piano-roll pictures, melodies -> stimulus clips, pixels -> PNG, with no
system libraries.

Synthesis uses TinySoundFont (the ``tinysoundfont`` wheel) with the General MIDI soundfont
that ships inside pretty_midi (TimGM6mb.sf2), rendered offline, never through an audio
device. Only if tinysoundfont cannot be imported does :func:`synthesize` fall back to
pretty_midi's sine-wave synthesis; :func:`synthesis_backend` says which one is in use, so
stimulus provenance can record it. Files are written by soundfile (libsndfile) with no
title, artist or comment tags: a participant must not learn a condition from a file.
"""

from __future__ import annotations

import copy
import functools
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from modeling.data.melody import melody_to_midi

SOUNDFONT = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
DEFAULT_SAMPLE_RATE = 22050
DRUM_CHANNEL = 9
MIDI_CHANNELS = 16
AUDIO_FORMATS = {
    "wav": ("WAV", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "flac": ("FLAC", "PCM_16"),
}
# Stereo interleaved float32, as tinysoundfont renders it.
_CHANNELS = 2
_BYTES_PER_FRAME = _CHANNELS * 4


@dataclass(frozen=True, order=True)
class _MidiEvent:
    seconds: float
    order: int  # at one instant: program changes, then controls, then note-offs, then note-ons
    kind: str
    channel: int
    data1: int = 0
    data2: int = 0


def synthesis_backend() -> str:
    """``"tinysoundfont"`` when the soundfont synthesiser is usable, else ``"sine"``."""
    return "tinysoundfont" if _tinysoundfont_module() is not None else "sine"


def synthesize(
    pm: pretty_midi.PrettyMIDI,
    *,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    tail_s: float = 0.5,
) -> np.ndarray:
    """Mono float32 audio of the MIDI, lasting its end time plus ``tail_s`` seconds.

    Uses tinysoundfont with pretty_midi's TimGM6mb.sf2 (General MIDI programs, drums on
    channel 10). Falls back to ``pm.synthesize`` (sine waves) only if tinysoundfont cannot be
    imported. Raises ValueError for a MIDI without notes.
    """
    _require_notes(pm)
    if sample_rate <= 0 or tail_s < 0:
        raise ValueError(f"need sample_rate > 0 and tail_s >= 0, got {sample_rate}, {tail_s}")
    total_frames = int(round((pm.get_end_time() + tail_s) * sample_rate))
    module = _tinysoundfont_module()
    if module is None:
        audio = pm.synthesize(fs=sample_rate).astype(np.float32)
        return _fit_length(audio, total_frames)
    return _render_with_tinysoundfont(module, pm, sample_rate=sample_rate, frames=total_frames)


def rms_dbfs(audio: np.ndarray) -> float:
    """Loudness as 20*log10(RMS), full scale = 1.0 (a full-scale sine reads about -3 dB)."""
    rms = float(np.sqrt(np.mean(np.square(np.asarray(audio, dtype=np.float64)))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def normalise_loudness(
    audio: np.ndarray,
    *,
    target_dbfs_rms: float = -20.0,
    peak_limit: float = 0.98,
) -> np.ndarray:
    """Audio scaled so its RMS level is ``target_dbfs_rms`` (see :func:`rms_dbfs`).

    If that gain would push a sample past ``peak_limit``, the gain is lowered until the peak
    equals the limit, so the result is quieter than the target rather than distorted.
    Raises ValueError for silent audio.
    """
    audio = np.asarray(audio, dtype=np.float32)
    current = rms_dbfs(audio)
    if not np.isfinite(current):
        raise ValueError("cannot normalise silent audio (RMS is zero)")
    gain = 10.0 ** ((target_dbfs_rms - current) / 20.0)
    peak = float(np.max(np.abs(audio))) * gain
    if peak > peak_limit:
        gain *= peak_limit / peak
    return (audio * gain).astype(np.float32)


def write_audio(
    audio: np.ndarray,
    path: Path,
    *,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    format: str = "mp3",
) -> None:
    """Write mono audio as ``mp3``, ``ogg`` (Vorbis), ``flac`` or ``wav`` (16-bit), no tags."""
    import soundfile

    if format not in AUDIO_FORMATS:
        raise ValueError(f"unknown audio format {format!r}; use one of {sorted(AUDIO_FORMATS)}")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1 or audio.size == 0:
        raise ValueError(f"expected non-empty mono audio, got shape {audio.shape}")
    container, subtype = AUDIO_FORMATS[format]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    # No soundfile string fields (title, artist, comment, software, date...) are ever set.
    soundfile.write(
        str(path), np.clip(audio, -1.0, 1.0), sample_rate, format=container, subtype=subtype
    )


def render_midi_to_files(
    pm: pretty_midi.PrettyMIDI,
    *,
    out_dir: Path,
    stem: str,
    formats: tuple[str, ...] = ("mp3", "ogg"),
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    target_dbfs_rms: float = -20.0,
) -> dict[str, Path]:
    """Write ``<stem>.mid`` and loudness-normalised ``<stem>.<format>`` files; return their paths.

    The result maps ``"mid"`` and each format to its path. ``stem`` becomes the file name, so
    it should say nothing about the condition (use an id or hash). The written MIDI has track
    names, lyrics and text events removed for the same reason.
    """
    _require_notes(pm)
    unknown = [f for f in formats if f not in AUDIO_FORMATS]
    if unknown:
        raise ValueError(f"unknown audio formats {unknown}; use {sorted(AUDIO_FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"mid": out_dir / f"{stem}.mid"}
    anonymous_midi(pm).write(str(paths["mid"]))
    audio = normalise_loudness(
        synthesize(pm, sample_rate=sample_rate), target_dbfs_rms=target_dbfs_rms
    )
    for audio_format in formats:
        paths[audio_format] = out_dir / f"{stem}.{audio_format}"
        write_audio(audio, paths[audio_format], sample_rate=sample_rate, format=audio_format)
    return paths


def melody_audio(
    tokens: Sequence[int],
    *,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    format: str = "flac",
    tempo_bpm: float = 120.0,
    program: int = 0,
) -> tuple[bytes, bytes]:
    """(audio file, MIDI file) of a 2-bar melody, as every study renders it.

    Synthesised with a 0.3 s tail, padded with silence to the full two bars (however early the
    last note ends), loudness-normalised, and written as ``format`` (FLAC by default: lossless,
    so the platform encodes what participants hear).
    """
    midi = melody_to_midi(tokens, tempo_bpm=tempo_bpm, program=program)
    return clip_files(midi, length_s=2 * 4 * 60 / tempo_bpm, sample_rate=sample_rate, format=format)


def clip_files(
    midi: pretty_midi.PrettyMIDI,
    *,
    length_s: float,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    format: str = "flac",
    tail_s: float = 0.3,
) -> tuple[bytes, bytes]:
    """(audio file, MIDI file) of a clip ``length_s`` long plus a ``tail_s`` release: padded
    with silence however early the last note ends, loudness-normalised, no tags."""
    _require_notes(midi)
    audio = synthesize(midi, sample_rate=sample_rate, tail_s=tail_s)
    full = int((length_s + tail_s) * sample_rate)
    audio = normalise_loudness(np.pad(audio, (0, max(0, full - len(audio))))[:full])
    with tempfile.TemporaryDirectory() as folder:
        clip, mid = Path(folder) / f"clip.{format}", Path(folder) / "clip.mid"
        write_audio(audio, clip, sample_rate=sample_rate, format=format)
        anonymous_midi(midi).write(str(mid))
        return clip.read_bytes(), mid.read_bytes()


def image_png(pixels: np.ndarray, *, scale: int = 4) -> bytes:
    """[C, H, W] in [0, 1] -> PNG (dark ink on white for one channel), enlarged `scale` times."""
    from PIL import Image

    array = np.clip(pixels, 0, 1)
    if array.shape[0] == 1:
        picture = Image.fromarray((255 - array[0] * 255).astype("uint8"), mode="L")
    else:
        picture = Image.fromarray(
            (np.transpose(array, (1, 2, 0)) * 255).astype("uint8"), mode="RGB"
        )
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def anonymous_midi(pm: pretty_midi.PrettyMIDI) -> pretty_midi.PrettyMIDI:
    """A copy of the MIDI without instrument names, lyrics and text events."""
    clean = copy.deepcopy(pm)
    for instrument in clean.instruments:
        instrument.name = ""
    clean.lyrics = []
    if hasattr(clean, "text_events"):
        clean.text_events = []
    return clean


def piano_roll_png(
    pm: pretty_midi.PrettyMIDI,
    path: Path,
    *,
    width: int = 640,
    height: int = 240,
) -> None:
    """Draw the notes (time x pitch, one colour per instrument) as a ``width`` x ``height`` PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _require_notes(pm)
    dpi = 100
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    left, bottom, right, top = 55, 40, 10, 10  # margins in pixels, room for the axis labels
    axes = figure.add_axes(
        (left / width, bottom / height, 1 - (left + right) / width, 1 - (bottom + top) / height)
    )
    pitches = [n.pitch for inst in pm.instruments for n in inst.notes]
    for index, instrument in enumerate(pm.instruments):
        colour = f"C{index % 10}"
        for note in instrument.notes:
            axes.add_patch(
                _note_rectangle(note, colour=colour, alpha=0.4 + 0.6 * note.velocity / 127)
            )
    axes.set_xlim(0.0, max(pm.get_end_time(), 1e-3))
    axes.set_ylim(min(pitches) - 1.5, max(pitches) + 1.5)
    axes.set_xlabel("seconds")
    axes.set_ylabel("MIDI pitch")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(str(path), dpi=dpi, format="png")


def _note_rectangle(note: pretty_midi.Note, *, colour: str, alpha: float):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (note.start, note.pitch - 0.4), note.end - note.start, 0.8, color=colour, alpha=alpha
    )


def _require_notes(pm: pretty_midi.PrettyMIDI) -> None:
    if not any(instrument.notes for instrument in pm.instruments):
        raise ValueError("the MIDI has no notes, so there is nothing to render")


@functools.cache
def _tinysoundfont_module():
    try:
        import tinysoundfont
    except ImportError:
        return None
    return tinysoundfont


@functools.cache
def _soundfont_bytes() -> bytes:
    return SOUNDFONT.read_bytes()


def _render_with_tinysoundfont(module, pm: pretty_midi.PrettyMIDI, *, sample_rate: int, frames):
    synth = module.Synth(samplerate=sample_rate)
    soundfont_id = synth.sfload(_soundfont_bytes())
    events = _midi_events(pm, synth=synth, soundfont_id=soundfont_id)
    stereo = np.zeros((frames, _CHANNELS), dtype=np.float32)
    buffer = memoryview(stereo).cast("B")
    rendered = 0
    for event in events:
        target = min(frames, int(round(event.seconds * sample_rate)))
        if target > rendered:
            synth.generate_simple(
                target - rendered,
                buffer=buffer[rendered * _BYTES_PER_FRAME : target * _BYTES_PER_FRAME],
            )
            rendered = target
        _send(synth, event)
    if frames > rendered:
        synth.generate_simple(frames - rendered, buffer=buffer[rendered * _BYTES_PER_FRAME :])
    return stereo.mean(axis=1).astype(np.float32)


def _midi_events(pm: pretty_midi.PrettyMIDI, *, synth, soundfont_id: int) -> list[_MidiEvent]:
    """Time-sorted events; one channel per instrument (drums share channel 10; past 15
    melodic instruments, channels are reused and the later program wins)."""
    events = []
    melodic_channels = [c for c in range(MIDI_CHANNELS) if c != DRUM_CHANNEL]
    for index, instrument in enumerate(pm.instruments):
        if instrument.is_drum:
            channel = DRUM_CHANNEL
        else:
            channel = melodic_channels[index % len(melodic_channels)]
        _select_program(synth, soundfont_id, channel=channel, instrument=instrument)
        for control in instrument.control_changes:
            events.append(
                _MidiEvent(control.time, 1, "control", channel, control.number, control.value)
            )
        for bend in instrument.pitch_bends:
            events.append(_MidiEvent(bend.time, 1, "bend", channel, bend.pitch + 8192))
        for note in (n for n in instrument.notes if n.end > n.start):
            events.append(_MidiEvent(note.end, 2, "off", channel, note.pitch))
            events.append(_MidiEvent(note.start, 3, "on", channel, note.pitch, note.velocity))
    return sorted(events)


def _select_program(synth, soundfont_id: int, *, channel: int, instrument) -> None:
    if instrument.is_drum:
        synth.program_select(channel, soundfont_id, 128, 0, is_drums=True)
        return
    try:
        synth.program_select(channel, soundfont_id, 0, instrument.program)
    except RuntimeError:  # program missing from the soundfont: fall back to the piano
        synth.program_select(channel, soundfont_id, 0, 0)


def _send(synth, event: _MidiEvent) -> None:
    if event.kind == "on":
        synth.noteon(event.channel, event.data1, event.data2)
    elif event.kind == "off":
        synth.noteoff(event.channel, event.data1)
    elif event.kind == "control":
        synth.control_change(event.channel, event.data1, event.data2)
    elif event.kind == "bend":
        synth.pitchbend(event.channel, event.data1)


def _fit_length(audio: np.ndarray, frames: int) -> np.ndarray:
    if len(audio) >= frames:
        return audio[:frames]
    return np.pad(audio, (0, frames - len(audio)))
