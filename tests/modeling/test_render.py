"""MIDI -> audio: audible, correctly timed, loudness-normalised, decodable files without tags."""

import io
import struct

import numpy as np
import pretty_midi
import pytest
import soundfile
from PIL import Image

from modeling.data.melody import melody_to_midi, pitch_to_token
from modeling.render import (
    SOUNDFONT,
    image_png,
    melody_audio,
    normalise_loudness,
    piano_roll_png,
    render_midi_to_files,
    rms_dbfs,
    synthesis_backend,
    synthesize,
    write_audio,
)

SR = 22050


def melody(*onsets):
    tokens = np.zeros(32, dtype=np.int64)
    for step, pitch in onsets:
        tokens[step] = pitch_to_token(pitch)
    return tokens


def segment_dbfs(audio, start_s, end_s):
    return rms_dbfs(audio[int(start_s * SR) : int(end_s * SR)])


@pytest.fixture(scope="module")
def tune():
    # Silent first beat, then four notes; at 120 bpm the melody ends at 4.0 s.
    return melody_to_midi(melody((4, 60), (8, 64), (16, 67), (24, 72)), tempo_bpm=120.0)


def test_the_bundled_soundfont_synthesiser_is_used():
    assert SOUNDFONT.name == "TimGM6mb.sf2" and SOUNDFONT.is_file()
    assert synthesis_backend() == "tinysoundfont"


def test_synthesis_is_audible_and_follows_the_score(tune):
    audio = synthesize(tune, sample_rate=SR, tail_s=0.5)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == int(4.5 * SR)
    assert rms_dbfs(audio) > -45.0
    # Nothing sounds before the first note at 0.5 s; notes sound right after it.
    assert segment_dbfs(audio, 0.0, 0.45) < -80.0
    assert segment_dbfs(audio, 0.55, 1.0) > -40.0


def test_a_single_a4_sounds_at_440_hz():
    pm = melody_to_midi(melody((0, 69)), tempo_bpm=120.0)
    audio = synthesize(pm, sample_rate=SR)[: 2 * SR]
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    frequencies = np.fft.rfftfreq(len(audio), 1.0 / SR)
    peak = frequencies[np.argmax(spectrum)]
    harmonic = peak / 440.0
    assert round(harmonic) >= 1
    assert abs(harmonic - round(harmonic)) < 0.02


def test_drum_tracks_render_too():
    pm = pretty_midi.PrettyMIDI()
    drums = pretty_midi.Instrument(program=0, is_drum=True)
    drums.notes.append(pretty_midi.Note(velocity=110, pitch=38, start=0.1, end=0.4))
    pm.instruments.append(drums)
    audio = synthesize(pm, sample_rate=SR)
    assert segment_dbfs(audio, 0.1, 0.4) > -40.0


def test_loudness_is_normalised_to_the_target(tune):
    audio = synthesize(tune, sample_rate=SR)
    for target in (-30.0, -20.0, -16.0):
        louder = normalise_loudness(audio, target_dbfs_rms=target)
        assert abs(rms_dbfs(louder) - target) < 0.5
        assert np.max(np.abs(louder)) <= 0.98


def test_peak_limit_wins_over_an_unreachable_target(tune):
    audio = synthesize(tune, sample_rate=SR)
    limited = normalise_loudness(audio, target_dbfs_rms=0.0, peak_limit=0.5)
    assert np.max(np.abs(limited)) == pytest.approx(0.5, rel=1e-4)
    assert rms_dbfs(limited) < 0.0
    with pytest.raises(ValueError, match="silent"):
        normalise_loudness(np.zeros(100, dtype=np.float32))


def test_rendered_files_decode_with_the_right_length_and_loudness(tune, tmp_path):
    paths = render_midi_to_files(tune, out_dir=tmp_path, stem="a1b2", formats=("mp3", "ogg", "wav"))
    assert set(paths) == {"mid", "mp3", "ogg", "wav"}
    for audio_format in ("mp3", "ogg", "wav"):
        audio, rate = soundfile.read(str(paths[audio_format]), dtype="float32")
        assert rate == SR and audio.ndim == 1
        assert len(audio) / rate == pytest.approx(4.5, abs=0.06)
        assert abs(rms_dbfs(audio) - (-20.0)) < 0.5, audio_format
    reread = pretty_midi.PrettyMIDI(str(paths["mid"]))
    assert [n.pitch for n in reread.instruments[0].notes] == [60, 64, 67, 72]


def riff_chunks(data):
    chunks, offset = [], 12
    while offset + 8 <= len(data):
        name, size = struct.unpack("<4sI", data[offset : offset + 8])
        chunks.append(name.decode("ascii"))
        offset += 8 + size + (size % 2)
    return chunks


def test_files_carry_no_tags_that_could_tell_the_condition(tune, tmp_path):
    labelled = melody_to_midi(melody((0, 62), (8, 65)))
    labelled.instruments[0].name = "bright-condition"
    labelled.lyrics.append(pretty_midi.Lyric("class-7", 0.0))
    paths = render_midi_to_files(
        labelled, out_dir=tmp_path, stem="stem-4f2e", formats=("mp3", "ogg", "wav")
    )
    for path in paths.values():
        data = path.read_bytes()
        assert b"bright" not in data and b"class-7" not in data and b"stem-4f2e" not in data
    mp3 = paths["mp3"].read_bytes()
    assert not mp3.startswith(b"ID3") and mp3[-128:-125] != b"TAG"
    assert riff_chunks(paths["wav"].read_bytes()) == ["fmt ", "data"]
    # Vorbis requires a vendor string; libsndfile adds a fixed ENCODER comment and nothing else.
    ogg = paths["ogg"].read_bytes()
    comments = ogg[ogg.index(b"\x03vorbis") : ogg.index(b"\x05vorbis")]
    assert b"=" in comments and comments.count(b"=") == 1 and b"ENCODER=libsndfile" in comments


def test_write_audio_rejects_unknown_formats_and_empty_audio(tmp_path):
    with pytest.raises(ValueError, match="unknown audio format"):
        write_audio(np.zeros(10, dtype=np.float32), tmp_path / "a.aiff", format="aiff")
    with pytest.raises(ValueError, match="mono"):
        write_audio(np.zeros((10, 2), dtype=np.float32), tmp_path / "a.wav", format="wav")


def test_midi_without_notes_is_refused_everywhere(tmp_path):
    empty = pretty_midi.PrettyMIDI()
    empty.instruments.append(pretty_midi.Instrument(program=0))
    with pytest.raises(ValueError, match="has no notes"):
        synthesize(empty)
    with pytest.raises(ValueError, match="has no notes"):
        render_midi_to_files(empty, out_dir=tmp_path, stem="e")
    with pytest.raises(ValueError, match="has no notes"):
        piano_roll_png(empty, tmp_path / "e.png")
    assert not list(tmp_path.iterdir())


def test_piano_roll_has_the_requested_size_and_shows_notes(tune, tmp_path):
    path = tmp_path / "roll.png"
    piano_roll_png(tune, path, width=400, height=150)
    with Image.open(path) as image:
        assert image.size == (400, 150)
        pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    assert pixels.std() > 10.0


def test_sine_fallback_when_tinysoundfont_is_missing(tune, monkeypatch):
    import modeling.render as render

    monkeypatch.setattr(render, "_tinysoundfont_module", lambda: None)
    assert render.synthesis_backend() == "sine"
    audio = render.synthesize(tune, sample_rate=SR, tail_s=0.5)
    assert len(audio) == int(4.5 * SR)
    assert segment_dbfs(audio, 0.55, 1.0) > -40.0


def test_a_melody_clip_lasts_two_bars_however_early_its_last_note_ends():
    early = melody((0, 60), (2, 62))
    early[4] = 1  # NOTE_OFF at step 4: the melody stops at 0.5 s
    flac, midi = melody_audio(early)
    audio, sample_rate = soundfile.read(io.BytesIO(flac), dtype="float32")
    assert sample_rate == SR and len(audio) == int(4.3 * SR)
    assert segment_dbfs(audio, 0.0, 0.5) > -30.0 and segment_dbfs(audio, 2.0, 4.3) < -80.0
    notes = pretty_midi.PrettyMIDI(io.BytesIO(midi)).instruments[0].notes
    assert [n.pitch for n in notes] == [60, 62] and notes[-1].end == pytest.approx(0.5)


def test_a_melody_clip_can_be_ogg_for_hand_made_sets():
    ogg, _ = melody_audio(melody((0, 60), (8, 67)), format="ogg")
    assert soundfile.info(io.BytesIO(ogg)).format == "OGG"


def test_a_grey_image_is_dark_ink_on_white_and_enlarged():
    pixels = np.zeros((1, 28, 28), dtype=np.float32)
    pixels[0, 10:18, 10:18] = 1.0
    picture = Image.open(io.BytesIO(image_png(pixels, scale=4)))
    assert picture.size == (112, 112) and picture.mode == "L"
    assert picture.getpixel((0, 0)) == 255 and picture.getpixel((56, 56)) == 0
