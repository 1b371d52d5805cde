"""What participants receive is re-encoded: MP3 at a rate every browser plays, loudness matched."""

import io

import numpy as np
import soundfile

from studies.media import clean_audio


def wav(seconds: float, sample_rate: int, amplitude: float) -> bytes:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    buffer = io.BytesIO()
    soundfile.write(buffer, amplitude * np.sin(2 * np.pi * 330 * t), sample_rate, format="WAV")
    return buffer.getvalue()


def test_a_96_khz_recording_becomes_a_44_1_khz_mp3_of_the_same_length_and_level():
    cleaned = clean_audio(wav(1.5, 96000, amplitude=0.9))
    samples, sample_rate = soundfile.read(io.BytesIO(cleaned), dtype="float32")
    assert soundfile.info(io.BytesIO(cleaned)).format == "MP3"
    assert sample_rate == 44100
    assert abs(len(samples) / sample_rate - 1.5) < 0.06
    level = 20 * np.log10(np.sqrt(np.mean(samples**2)))
    assert abs(level - -20.0) < 0.5


def test_a_rate_mp3_carries_is_kept():
    cleaned = clean_audio(wav(1.0, 22050, amplitude=0.1))
    assert soundfile.info(io.BytesIO(cleaned)).samplerate == 22050
