"""The 193-d music feature vector of ACP-Net (Verma et al.), computed with librosa.

Audio is loaded mono at 22,050 Hz; every feature uses librosa's defaults (frames of 2,048
samples, hop 512) and is averaged over its frames. The blocks, in this order:

| block | size | librosa call |
|---|---|---|
| mfcc | 40 | ``feature.mfcc(y=y, sr=sr, n_mfcc=40)`` |
| chroma | 12 | ``feature.chroma_stft(y=y, sr=sr)`` (C, C#, ..., B) |
| mel | 128 | ``feature.melspectrogram(y=y, sr=sr)`` (power, not dB) |
| contrast | 7 | ``feature.spectral_contrast(y=y, sr=sr)`` (6 bands + the valley row) |
| tonnetz | 6 | ``feature.tonnetz(y=effects.harmonic(y), sr=sr)`` (on the harmonic part) |

The paper averaged 10 s windows over 60 s segments; here the means are over librosa's frames,
as the platform's issue asks. Audio must last at least ``MIN_DURATION_S`` (the tonnetz's
constant-Q transform halves the signal six times and needs 1,024 samples in its lowest octave:
65,536 samples, 2.97 s) and must not be silent; both give an ``AudioFeatureError`` with one
sentence, never a vector of NaN.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

SAMPLE_RATE = 22050
FEATURE_BLOCKS: tuple[tuple[str, int], ...] = (
    ("mfcc", 40),
    ("chroma", 12),
    ("mel", 128),
    ("contrast", 7),
    ("tonnetz", 6),
)
FEATURE_DIM = sum(size for _, size in FEATURE_BLOCKS)  # 193
MIN_DURATION_S = 3.0
SILENCE_PEAK = 1e-4  # -80 dBFS: quieter than this everywhere is silence


class AudioFeatureError(ValueError):
    """Audio the 193-d vector cannot describe (unreadable, too short or silent)."""


def feature_slices() -> dict[str, slice]:
    """Where each block lies in the 193-d vector: mfcc 0:40, chroma 40:52, mel 52:180, ..."""
    slices, start = {}, 0
    for name, size in FEATURE_BLOCKS:
        slices[name] = slice(start, start + size)
        start += size
    return slices


def feature_names() -> list[str]:
    """One name per dimension: ``mfcc_0`` ... ``tonnetz_5``."""
    return [f"{name}_{index}" for name, size in FEATURE_BLOCKS for index in range(size)]


def load_audio(path: Path | str) -> np.ndarray:
    """Mono float32 audio at 22,050 Hz (librosa.load's defaults otherwise)."""
    import librosa

    path = Path(path)
    if not path.is_file():
        raise AudioFeatureError(f"There is no audio file at {path}.")
    try:
        audio, _ = librosa.load(path, sr=SAMPLE_RATE, mono=True)
    except Exception as error:  # librosa / soundfile raise many kinds for a foreign file
        raise AudioFeatureError(f"{path.name} could not be read as audio ({error}).") from error
    return audio


def check_audio(audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The audio as a finite mono float32 array, or an AudioFeatureError saying what is wrong."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise AudioFeatureError(f"Expected mono audio (one channel), got shape {audio.shape}.")
    if sample_rate != SAMPLE_RATE:
        raise AudioFeatureError(
            f"The 193-d features are defined at {SAMPLE_RATE} Hz; resample from {sample_rate} Hz."
        )
    duration = audio.size / SAMPLE_RATE
    if duration < MIN_DURATION_S:
        raise AudioFeatureError(
            f"The audio lasts {duration:.2f} s; the 193-d features need at least "
            f"{MIN_DURATION_S:.0f} s (the tonal-centroid window)."
        )
    if not np.isfinite(audio).all():
        raise AudioFeatureError("The audio holds NaN or infinite samples.")
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise AudioFeatureError("The audio is silent (no sample reaches -80 dBFS).")
    return audio


def music_features(audio: np.ndarray, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The 193-d vector (float32) of mono audio at 22,050 Hz; see the module docstring."""
    import librosa

    y = check_audio(audio, sample_rate=sample_rate)
    sr = SAMPLE_RATE
    with warnings.catch_warnings():
        # A clip with no pitched content warns while estimating tuning; the result stays finite.
        warnings.filterwarnings("ignore", message="Trying to estimate tuning")
        blocks = [
            librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40),
            librosa.feature.chroma_stft(y=y, sr=sr),
            librosa.feature.melspectrogram(y=y, sr=sr),
            librosa.feature.spectral_contrast(y=y, sr=sr),
            librosa.feature.tonnetz(y=librosa.effects.harmonic(y), sr=sr),
        ]
    vector = np.concatenate([block.mean(axis=1) for block in blocks]).astype(np.float32)
    if vector.shape != (FEATURE_DIM,) or not np.isfinite(vector).all():
        raise AudioFeatureError("The audio gave non-finite features (is it nearly silent?).")
    return vector


def music_features_file(path: Path | str) -> np.ndarray:
    """The 193-d vector of an audio file (any format libsndfile reads: WAV, FLAC, OGG, MP3)."""
    return music_features(load_audio(path))
