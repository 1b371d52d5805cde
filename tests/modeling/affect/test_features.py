"""The 193-d music vector: its layout, its values on a synthetic tone, and audio it refuses."""

import json
import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile

from modeling.affect.features import (
    FEATURE_BLOCKS,
    FEATURE_DIM,
    AudioFeatureError,
    feature_names,
    feature_slices,
    music_features,
    music_features_file,
)

ROOT = Path(__file__).resolve().parents[3]
SR = 22050


def tone(frequency=440.0, seconds=4.0, amplitude=0.5, rate=SR):
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


@pytest.fixture(scope="module")
def a440():
    return music_features(tone())


def test_the_vector_is_40_mfcc_12_chroma_128_mel_7_contrast_6_tonnetz_in_that_order():
    assert FEATURE_BLOCKS == (
        ("mfcc", 40),
        ("chroma", 12),
        ("mel", 128),
        ("contrast", 7),
        ("tonnetz", 6),
    )
    assert FEATURE_DIM == 193
    slices = feature_slices()
    assert (slices["mfcc"], slices["chroma"], slices["mel"]) == (
        slice(0, 40),
        slice(40, 52),
        slice(52, 180),
    )
    assert (slices["contrast"], slices["tonnetz"]) == (slice(180, 187), slice(187, 193))
    names = feature_names()
    assert len(names) == 193 and names[0] == "mfcc_0" and names[40] == "chroma_0"
    assert names[52] == "mel_0" and names[180] == "contrast_0" and names[-1] == "tonnetz_5"


def test_an_a440_tone_reads_as_the_pitch_class_a_in_every_pitch_block(a440):
    blocks = {name: a440[part] for name, part in feature_slices().items()}
    assert a440.shape == (193,) and a440.dtype == np.float32 and np.isfinite(a440).all()
    # chroma: A (index 9) is the strongest class, normalised to 1 in every frame
    assert int(np.argmax(blocks["chroma"])) == 9
    assert blocks["chroma"][9] == pytest.approx(1.0, abs=1e-3)
    # mel (power): the band whose centre lies nearest 440 Hz holds the energy
    centres = librosa.mel_frequencies(n_mels=130, fmax=SR / 2)[1:-1]
    assert int(np.argmax(blocks["mel"])) == int(np.argmin(np.abs(centres - 440.0)))
    # spectral contrast: band 2 spans 400-800 Hz, so it has the largest peak-valley contrast
    assert int(np.argmax(blocks["contrast"])) == 2
    # tonnetz of the single pitch class 9: (sin, cos) of 9*7pi/6, of 9*3pi/2, and 0.5 x
    # (sin, cos) of 9*2pi/3 (Harte et al.) = (1, 0, -1, 0, 0, 0.5), up to chroma leakage
    assert blocks["tonnetz"] == pytest.approx([1.0, 0.0, -1.0, 0.0, 0.0, 0.5], abs=0.05)


def test_the_values_on_the_tone_are_pinned(a440):
    """Measured with librosa 0.11.0 (requirements.txt pins it): a change here means the
    vector changed, and every stored model and study feature with it."""
    pinned = {
        "mfcc_0": -477.244,
        "mfcc_1": 41.567,
        "chroma_8": 0.2254,
        "chroma_10": 0.1916,
        "contrast_2": 53.309,
        "tonnetz_0": 0.9656,
        "tonnetz_5": 0.4839,
    }
    names = feature_names()
    measured = {name: float(a440[names.index(name)]) for name in pinned}
    assert measured == pytest.approx(pinned, rel=1e-3, abs=1e-3)


def test_a_file_is_read_mono_at_22050_hz(tmp_path, a440):
    stereo = np.stack([tone(rate=44100), tone(rate=44100)], axis=1)
    path = tmp_path / "tone44k.wav"
    soundfile.write(path, stereo, 44100)
    from_file = music_features_file(path)
    chroma, tonnetz = feature_slices()["chroma"], feature_slices()["tonnetz"]
    assert from_file[chroma] == pytest.approx(a440[chroma], abs=0.02)
    assert from_file[tonnetz] == pytest.approx(a440[tonnetz], abs=0.02)


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (np.zeros(4 * SR, dtype=np.float32), "silent"),
        (np.full(4 * SR, 1e-6, dtype=np.float32), "silent"),
        (tone(seconds=1.0), "lasts 1.00 s"),
        (np.full(4 * SR, np.nan, dtype=np.float32), "NaN"),
        (np.stack([tone(), tone()]), "mono"),
    ],
)
def test_silent_short_or_broken_audio_gets_one_clear_sentence_not_nan(audio, message):
    with pytest.raises(AudioFeatureError, match=message):
        music_features(audio)


def test_a_missing_or_unreadable_file_is_refused(tmp_path):
    with pytest.raises(AudioFeatureError, match="no audio file"):
        music_features_file(tmp_path / "nothing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    with pytest.raises(AudioFeatureError, match="could not be read as audio"):
        music_features_file(junk)


@pytest.mark.slow  # a fresh interpreter imports librosa
def test_the_command_prints_the_193_numbers_as_a_json_list(tmp_path, a440):
    path = tmp_path / "tone.wav"
    soundfile.write(path, tone(), SR, subtype="FLOAT")
    command = [sys.executable, "-m", "modeling.affect", "features", str(path), "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    numbers = json.loads(done.stdout)
    assert isinstance(numbers, list) and len(numbers) == 193
    assert np.allclose(numbers, a440, rtol=1e-3, atol=1e-3)


@pytest.mark.slow  # a fresh interpreter imports librosa
def test_the_command_says_why_it_refuses_silence(tmp_path):
    path = tmp_path / "silence.wav"
    soundfile.write(path, np.zeros(4 * SR, dtype=np.float32), SR)
    command = [sys.executable, "-m", "modeling.affect", "features", str(path), "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "error: The audio is silent (no sample reaches -80 dBFS)."
