"""Headphone screening stimuli, made in-house with numpy (no files, nothing downloaded).

Huggins pitch (Milne et al. 2021): white noise in both ears, identical except for a narrow band
around 600 Hz whose phase is inverted in one ear. Over headphones a faint tone pops out of the
noise; over loudspeakers it does not. Each trial plays three noises; one holds the tone.
Anti-phase (Woods et al. 2017): three 200 Hz tones, one 6 dB quieter; one of the louder two is in
anti-phase between the ears, which over loudspeakers cancels and sounds quietest. Pick the quietest.
Passing both cuts the false positives either test lets through alone.

Which interval is the answer is derived from a keyed hash of the participant's token, so the
server can check answers without storing them and the browser cannot work them out.
"""

import hashlib
import io
import random
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 44100
TESTS = ("huggins", "antiphase")
TRIALS_PER_TEST = 6
INTERVALS = 3


@dataclass(frozen=True)
class ScreeningTrial:
    test: str
    number: int
    answer: int  # 0-based interval


def trial_answer(*, secret: str, test: str, number: int) -> int:
    return random.Random(f"{secret}:{test}:{number}").randrange(INTERVALS)


def trials_for(*, secret: str) -> dict[str, list[ScreeningTrial]]:
    return {
        test: [
            ScreeningTrial(test, n, trial_answer(secret=secret, test=test, number=n))
            for n in range(TRIALS_PER_TEST)
        ]
        for test in TESTS
    }


def ramp(signal: np.ndarray, *, seconds: float = 0.02) -> np.ndarray:
    n = int(seconds * SAMPLE_RATE)
    envelope = np.ones(len(signal))
    envelope[:n] = np.linspace(0, 1, n)
    envelope[-n:] = np.linspace(1, 0, n)
    return signal * (envelope[:, None] if signal.ndim == 2 else envelope)


def huggins_interval(
    *, with_pitch: bool, rng: np.random.Generator, seconds: float = 1.0
) -> np.ndarray:
    """Stereo noise; with_pitch inverts the phase of 600 Hz +- 6% in the right ear."""
    samples = int(seconds * SAMPLE_RATE)
    noise = rng.standard_normal(samples)
    spectrum = np.fft.rfft(noise)
    right = spectrum.copy()
    if with_pitch:
        freqs = np.fft.rfftfreq(samples, 1 / SAMPLE_RATE)
        band = (freqs > 600 * 0.94) & (freqs < 600 * 1.06)
        right[band] *= -1
    stereo = np.stack([np.fft.irfft(spectrum, samples), np.fft.irfft(right, samples)], axis=1)
    return ramp(0.1 * stereo / np.max(np.abs(stereo)))


def antiphase_interval(*, kind: str, seconds: float = 1.0) -> np.ndarray:
    """'quiet' (6 dB down, in phase), 'antiphase' (full level, right ear inverted), 'normal'."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    tone = 0.3 * np.sin(2 * np.pi * 200 * t)
    if kind == "quiet":
        tone = tone * 10 ** (-6 / 20)
    right = -tone if kind == "antiphase" else tone
    return ramp(np.stack([tone, right], axis=1))


def interval_audio(*, secret: str, test: str, number: int, interval: int) -> np.ndarray:
    answer = trial_answer(secret=secret, test=test, number=number)
    if test == "huggins":
        rng = np.random.default_rng(stable_seed(f"{secret}:{number}:{interval}"))
        return huggins_interval(with_pitch=interval == answer, rng=rng)
    others = ["antiphase", "normal"]
    random.Random(f"{secret}:{number}:order").shuffle(others)
    kinds = others[:]
    kinds.insert(answer, "quiet")
    return antiphase_interval(kind=kinds[interval])


def stable_seed(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def calibration_noise(seconds: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(int(seconds * SAMPLE_RATE))
    return ramp(np.stack([noise, noise], axis=1) * 0.05)


def wav_bytes(stereo: np.ndarray) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, stereo.astype("float32"), SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def score(*, secret: str, test: str, answers: dict[int, int]) -> int:
    return sum(
        answers.get(trial.number) == trial.answer for trial in trials_for(secret=secret)[test]
    )
