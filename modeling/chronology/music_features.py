"""Music features for the chronological embedding: from scores (MIDI, music21) and from audio.

Score features (``score_features``, 90 numbers per clip, names in ``SCORE_FEATURE_NAMES``):

- pitch: pitch-class histogram (duration-weighted), the same rotated to the key found by
  Krumhansl-Kessler profiles, the key's mode and clarity, pitch-class entropy and the share of
  notes outside the key's scale (chromaticism);
- intervals: melodic intervals of each part's top line (-12..+12 semitones, clipped) and their
  mean size; the vertical interval classes sounding together at each onset (0..11);
- rhythm: durations and inter-onset intervals relative to the clip's median (octave bins, so
  they do not depend on how an edition notates time), their variability (nPVI) and the share
  of dotted or triplet values;
- texture: parts, notes sounding at once (mean, sd, max), notes starting together, pitch mean,
  spread and range, and the span from lowest to highest note at each onset.

Audio features (``audio_clip_features``, 132 numbers per clip): a log-mel front end as VGGish
(16 kHz mono, 25 ms windows every 10 ms, 64 HTK mel bands 125-7500 Hz, log(mel + 0.01)),
summarised by the mean and sd of each band plus loudness, spectral flux and centroid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from modeling.chronology.scores import NoteTable

# Krumhansl & Kessler (1982) key profiles, tonic first.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_MAJOR_SCALE = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR_SCALE = np.array([0, 2, 3, 5, 7, 8, 10, 11])  # natural minor plus the leading tone
OCTAVE_BINS = np.arange(-2, 4)  # relative durations 1/4, 1/2, 1, 2, 4, 8 of the median

SCORE_FEATURE_NAMES: tuple[str, ...] = (
    *(f"pc_{i}" for i in range(12)),
    *(f"pc_from_tonic_{i}" for i in range(12)),
    "key_major",
    "key_clarity",
    "pc_entropy",
    "chromatic_share",
    *(f"melodic_interval_{i}" for i in range(-12, 13)),
    "melodic_interval_mean",
    *(f"vertical_ic_{i}" for i in range(12)),
    *(f"duration_octave_{i}" for i in OCTAVE_BINS),
    *(f"ioi_octave_{i}" for i in OCTAVE_BINS),
    "ioi_npvi",
    "dotted_share",
    "duration_entropy",
    "parts",
    "sounding_mean",
    "sounding_sd",
    "sounding_max",
    "starting_together",
    "pitch_mean",
    "pitch_sd",
    "pitch_range",
    "onset_span",
)


def score_features(notes: NoteTable) -> np.ndarray:
    """The 90 score features of a clip (see the module docstring), float32."""
    if len(notes) < 2:
        raise ValueError("a clip needs at least 2 notes for score features.")
    pc = pitch_class_histogram(notes)
    tonic, major, clarity = find_key(pc)
    sounding = sounding_sets(notes)
    values = np.concatenate(
        [
            pc,
            np.roll(pc, -tonic),
            [float(major), clarity, _entropy(pc) / np.log2(12), chromatic_share(pc, tonic, major)],
            melodic_interval_histogram(notes),
            vertical_interval_histogram(sounding),
            rhythm_features(notes),
            texture_features(notes, sounding),
        ]
    )
    if len(values) != len(SCORE_FEATURE_NAMES):
        raise AssertionError(f"{len(values)} score features, {len(SCORE_FEATURE_NAMES)} names")
    return values.astype(np.float32)


def pitch_class_histogram(notes: NoteTable) -> np.ndarray:
    weights = np.bincount(notes.pitch % 12, weights=notes.duration, minlength=12)
    return weights / max(weights.sum(), 1e-9)


def find_key(pc_histogram: np.ndarray) -> tuple[int, bool, float]:
    """(tonic pitch class, major?, correlation with the best of the 24 key profiles)."""
    best = (0, True, -2.0)
    for tonic in range(12):
        rotated = np.roll(pc_histogram, -tonic)
        for major, profile in ((True, _MAJOR), (False, _MINOR)):
            r = _correlation(rotated, profile)
            if r > best[2]:
                best = (tonic, major, r)
    return best


def chromatic_share(pc_histogram: np.ndarray, tonic: int, major: bool) -> float:
    scale = _MAJOR_SCALE if major else _MINOR_SCALE
    return float(1.0 - np.roll(pc_histogram, -tonic)[scale].sum())


def melodic_interval_histogram(notes: NoteTable) -> np.ndarray:
    """Histogram of the top line's steps in each part (-12..+12, clipped), then mean |step|/12."""
    steps = []
    for part in np.unique(notes.part):
        line = notes.select(notes.part == part)
        tops = [line.pitch[line.onset == t].max() for t in line.onset_times]
        steps.append(np.diff(np.asarray(tops)))
    steps = np.concatenate(steps) if steps else np.zeros(0)
    histogram = np.bincount(np.clip(steps, -12, 12).astype(int) + 12, minlength=25).astype(float)
    mean_size = float(np.abs(steps).mean() / 12) if len(steps) else 0.0
    return np.append(histogram / max(histogram.sum(), 1.0), mean_size)


def sounding_sets(notes: NoteTable) -> list[np.ndarray]:
    """The pitches sounding at each onset time."""
    ends = notes.onset + notes.duration
    return [notes.pitch[(notes.onset <= t) & (ends > t)] for t in notes.onset_times]


def vertical_interval_histogram(sounding: list[np.ndarray]) -> np.ndarray:
    """Interval classes (0..11 semitones mod 12) between all pairs of notes sounding together."""
    counts = np.zeros(12)
    for pitches in sounding:
        if len(pitches) > 1:
            upper = np.triu_indices(len(pitches), k=1)
            diffs = np.abs(pitches[:, None] - pitches[None, :])[upper] % 12
            counts += np.bincount(diffs, minlength=12)
    return counts / max(counts.sum(), 1.0)


def rhythm_features(notes: NoteTable) -> np.ndarray:
    """Duration and IOI octave histograms (relative to the median), nPVI, dotted share, entropy."""
    times = notes.onset_times
    iois = np.diff(times) if len(times) > 1 else np.ones(1)
    reference = float(np.median(iois))
    durations = notes.duration
    duration_octaves = _octave_histogram(durations / float(np.median(durations)))
    ioi_octaves = _octave_histogram(iois / reference)
    npvi = (
        float(np.mean(np.abs(np.diff(iois)) / ((iois[1:] + iois[:-1]) / 2)))
        if len(iois) > 1
        else 0.0
    )
    binary = np.log2(durations / durations.min())
    dotted = float(np.mean(np.abs(binary - binary.round()) > 0.05))
    _, counts = np.unique(np.round(durations, 4), return_counts=True)
    entropy = _entropy(counts / counts.sum()) / np.log2(8)
    return np.concatenate([duration_octaves, ioi_octaves, [npvi / 2, dotted, min(entropy, 1.0)]])


def texture_features(notes: NoteTable, sounding: list[np.ndarray]) -> np.ndarray:
    sizes = np.array([len(s) for s in sounding], dtype=float)
    _, starting = np.unique(notes.onset, return_counts=True)
    spans = np.array([s.max() - s.min() if len(s) else 0 for s in sounding], dtype=float)
    return np.array(
        [
            len(np.unique(notes.part)) / 8,
            sizes.mean() / 8,
            sizes.std() / 8,
            sizes.max() / 8,
            starting.mean() / 8,
            notes.pitch.mean() / 127,
            notes.pitch.std() / 12,
            (notes.pitch.max() - notes.pitch.min()) / 48,
            spans.mean() / 48,
        ]
    )


def _octave_histogram(ratios: np.ndarray) -> np.ndarray:
    octaves = np.clip(np.round(np.log2(np.maximum(ratios, 1e-6))), OCTAVE_BINS[0], OCTAVE_BINS[-1])
    counts = np.bincount((octaves - OCTAVE_BINS[0]).astype(int), minlength=len(OCTAVE_BINS))
    return counts / max(counts.sum(), 1)


def _entropy(probabilities: np.ndarray) -> float:
    p = probabilities[probabilities > 0]
    return float(-(p * np.log2(p)).sum())


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


# --- audio -------------------------------------------------------------------------------------

SAMPLE_RATE = 16_000
MEL_BANDS = 64
MEL_RANGE_HZ = (125.0, 7500.0)
WINDOW_S, HOP_S = 0.025, 0.010
AUDIO_FEATURE_NAMES: tuple[str, ...] = (
    *(f"logmel_mean_{i}" for i in range(MEL_BANDS)),
    *(f"logmel_sd_{i}" for i in range(MEL_BANDS)),
    "loudness_mean",
    "loudness_sd",
    "spectral_flux",
    "spectral_centroid",
)
DEFAULT_CLIP_SECONDS = 30.0


def load_audio(path: Path | str, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A sound file as mono float samples at ``sample_rate`` (any format soundfile reads)."""
    import soundfile
    from scipy.signal import resample_poly

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises its own error kinds
        raise ValueError(f"{Path(path).name} is not a readable sound file ({error}).") from error
    mono = samples.mean(axis=1)
    if rate != sample_rate:
        divisor = np.gcd(int(rate), sample_rate)
        mono = resample_poly(mono, sample_rate // divisor, int(rate) // divisor)
    return mono.astype(np.float32)


def audio_clips(
    samples: np.ndarray,
    *,
    sample_rate: int = SAMPLE_RATE,
    clip_seconds: float = DEFAULT_CLIP_SECONDS,
) -> list[np.ndarray]:
    """Successive clips of ``clip_seconds`` (the shorter tail is dropped)."""
    length = int(round(clip_seconds * sample_rate))
    if len(samples) < length:
        raise ValueError(
            f"the audio lasts {len(samples) / sample_rate:.1f} s, shorter than one "
            f"{clip_seconds:g} s clip."
        )
    return [samples[i : i + length] for i in range(0, len(samples) - length + 1, length)]


def log_mel(samples: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """[frames, 64] log-mel spectrogram (VGGish front end)."""
    window = int(round(WINDOW_S * sample_rate))
    hop = int(round(HOP_S * sample_rate))
    fft_size = 1 << (window - 1).bit_length()
    if len(samples) < window:
        raise ValueError("the audio is shorter than one 25 ms analysis window.")
    frames = np.lib.stride_tricks.sliding_window_view(samples, window)[::hop]
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(window), n=fft_size))
    return np.log(spectrum @ mel_filterbank(fft_size, sample_rate).T + 0.01)


def mel_filterbank(fft_size: int, sample_rate: int) -> np.ndarray:
    """[64, fft_size // 2 + 1] triangular filters on the HTK mel scale, 125-7500 Hz."""

    def to_mel(hz):
        return 1127.0 * np.log1p(np.asarray(hz) / 700.0)

    bins_hz = np.linspace(0, sample_rate / 2, fft_size // 2 + 1)
    edges = np.linspace(to_mel(MEL_RANGE_HZ[0]), to_mel(MEL_RANGE_HZ[1]), MEL_BANDS + 2)
    mel = to_mel(bins_hz)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (mel[None, :] - lower) / (centre - lower)
    falling = (upper - mel[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling))


def audio_clip_features(samples: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The 132 audio features of one clip, float32."""
    spectrogram = log_mel(samples, sample_rate=sample_rate)
    loudness = spectrogram.mean(axis=1)
    flux = np.abs(np.diff(spectrogram, axis=0)).mean() if len(spectrogram) > 1 else 0.0
    energy = np.exp(spectrogram)
    centroid = float((energy * np.arange(MEL_BANDS)).sum(1).mean() / energy.sum(1).mean())
    values = np.concatenate(
        [
            spectrogram.mean(axis=0),
            spectrogram.std(axis=0),
            [loudness.mean(), loudness.std(), flux, centroid / MEL_BANDS],
        ]
    )
    return values.astype(np.float32)


def audio_file_features(
    path: Path | str, *, clip_seconds: float = DEFAULT_CLIP_SECONDS
) -> np.ndarray:
    """[clips, 132] audio features of each ``clip_seconds`` clip of a sound file."""
    clips = audio_clips(load_audio(path), clip_seconds=clip_seconds)
    return np.stack([audio_clip_features(clip) for clip in clips])


def midi_file_features(path: Path | str, *, onsets_per_clip: int | None = None) -> np.ndarray:
    """[clips, 90] score features of each clip of a MIDI file (one clip per
    ``onsets_per_clip`` onset times; the default clip length of ``scores.cut_clips``)."""
    from modeling.chronology.scores import DEFAULT_ONSETS_PER_CLIP, cut_clips, notes_from_midi

    notes = notes_from_midi(path)
    clips = cut_clips(notes, onsets_per_clip=onsets_per_clip or DEFAULT_ONSETS_PER_CLIP)
    if not clips:
        raise ValueError(f"{Path(path).name} has too few notes for one clip.")
    return np.stack([score_features(clip) for clip in clips])
