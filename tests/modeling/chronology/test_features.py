"""Features of one MIDI file, one score, one sound file and one image, as importers call them."""

import numpy as np
import pytest
import torch

from modeling.chronology.backbone import (
    BACKBONE_DIM,
    VGG16Features,
    backbone_features,
    load_backbone,
)
from modeling.chronology.image_features import (
    IMAGE_FEATURE_NAMES,
    image_features,
    image_file_features,
    image_pixels,
)
from modeling.chronology.music_features import (
    AUDIO_FEATURE_NAMES,
    SCORE_FEATURE_NAMES,
    audio_clip_features,
    audio_file_features,
    find_key,
    midi_file_features,
    score_features,
)
from modeling.chronology.scores import NoteTable, cut_clips, notes_from_midi, notes_from_music21

C_MAJOR = [60, 62, 64, 65, 67, 69, 71, 72]


def scale(pitches=C_MAJOR, *, repeats=8, parts=1):
    rows = []
    for part in range(parts):
        for index, pitch in enumerate(pitches * repeats):
            rows.append((float(index), 1.0, pitch - 12 * part, part))
    return NoteTable.from_notes(rows)


def named(values):
    return dict(zip(SCORE_FEATURE_NAMES, values.tolist(), strict=True))


def test_a_c_major_scale_has_the_pitch_classes_steps_and_even_rhythm_of_a_scale():
    features = named(score_features(scale()))
    assert len(SCORE_FEATURE_NAMES) == 90
    assert features["pc_0"] == pytest.approx(16 / 64)  # C twice per octave run
    assert features["pc_1"] == 0.0 and features["chromatic_share"] == pytest.approx(0.0)
    assert find_key(np.array([features[f"pc_{i}"] for i in range(12)]))[:2] == (0, True)
    steps = sum(features[f"melodic_interval_{i}"] for i in (1, 2))
    assert steps == pytest.approx(7 * 8 / 63)  # all rising steps but the drops back to C
    assert features["melodic_interval_-12"] == pytest.approx(7 / 63)
    assert features["ioi_octave_0"] == 1.0 and features["dotted_share"] == 0.0
    assert features["parts"] == pytest.approx(1 / 8) and features["sounding_mean"] == 1 / 8


def test_two_parts_in_octaves_sound_together():
    features = named(score_features(scale(parts=2)))
    assert features["parts"] == features["sounding_mean"] == pytest.approx(2 / 8)
    assert features["vertical_ic_0"] == 1.0  # octaves only


def test_a_midi_file_gives_the_features_of_its_notes(tmp_path):
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=90)
    piano = pretty_midi.Instrument(program=0)
    beat = 60 / 90
    for index, pitch in enumerate(C_MAJOR * 8):
        piano.notes.append(pretty_midi.Note(80, pitch, index * beat, (index + 1) * beat))
    midi.instruments.append(piano)
    path = tmp_path / "scale.mid"
    midi.write(str(path))
    notes = notes_from_midi(path)
    assert notes.onset[:3].tolist() == [0.0, 1.0, 2.0] and notes.pitch[:3].tolist() == [60, 62, 64]
    clips = midi_file_features(path)
    assert clips.shape == (1, 90)  # 64 onsets: one clip of 48
    np.testing.assert_allclose(clips[0], score_features(cut_clips(scale())[0]), atol=1e-4)
    (tmp_path / "broken.mid").write_bytes(b"not midi")
    with pytest.raises(ValueError, match="broken.mid is not a readable MIDI file"):
        notes_from_midi(tmp_path / "broken.mid")


def test_a_music21_score_merges_tied_notes():
    from music21 import note, stream, tie

    part = stream.Part()
    first, second = note.Note("C4", quarterLength=1), note.Note("C4", quarterLength=1)
    first.tie, second.tie = tie.Tie("start"), tie.Tie("stop")
    part.append([first, second, note.Note("E4", quarterLength=2)])
    notes = notes_from_music21(stream.Score([part]))
    assert notes.duration.tolist() == [2.0, 2.0] and notes.pitch.tolist() == [60, 64]


def test_clips_are_windows_of_successive_onsets():
    clips = cut_clips(scale(repeats=20), onsets_per_clip=48)
    assert [len(c) for c in clips] == [48, 48, 48]  # 160 onsets: three whole clips
    assert clips[1].onset[0] == 48.0
    assert len(cut_clips(scale(repeats=20), onsets_per_clip=48, max_clips=2)) == 2


def test_audio_features_find_the_band_of_a_tone_and_refuse_a_short_file(tmp_path):
    import soundfile

    rate = 22_050
    t = np.arange(int(2.5 * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    soundfile.write(tmp_path / "tone.wav", tone, rate)
    clips = audio_file_features(tmp_path / "tone.wav", clip_seconds=1.0)
    assert clips.shape == (2, 132) == (2, len(AUDIO_FEATURE_NAMES))
    band = int(np.argmax(clips[0, :64]))
    assert band == 8  # 440 Hz: centre of the 9th of 64 HTK mel bands spanning 125-7500 Hz
    assert clips[0, band] > clips[0, 50] + 5  # far above the bands it does not reach
    with pytest.raises(ValueError, match=r"lasts 2\.5 s, shorter than one 30 s clip"):
        audio_file_features(tmp_path / "tone.wav")
    noise = np.random.default_rng(0).normal(0, 0.1, 16_000).astype(np.float32)
    assert np.isfinite(audio_clip_features(noise)).all()


def test_image_features_see_colour_and_edges(tmp_path):
    from PIL import Image

    size = 96
    red = np.zeros((size, size, 3), np.float32)
    red[..., 0] = 0.9
    blue = np.zeros((size, size, 3), np.float32)
    blue[..., 2] = 0.9
    blue[:, ::8] = 0.0  # stripes
    r, b = (dict(zip(IMAGE_FEATURE_NAMES, image_features(i), strict=True)) for i in (red, blue))
    assert len(IMAGE_FEATURE_NAMES) == 49
    assert r["hue_0"] == pytest.approx(1.0) and b["hue_8"] == pytest.approx(1.0)
    assert r["edge_density"] == 0.0 < b["edge_density"]
    assert b["orientation_0"] > 0.9  # vertical stripes: horizontal gradients
    Image.fromarray((blue * 255).astype(np.uint8)).save(tmp_path / "blue.png")
    from_file = image_file_features(tmp_path / "blue.png")
    assert from_file.shape == (49,) and np.isfinite(from_file).all()
    assert image_pixels(blue, size=32).shape == (3, 32, 32)
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="broken.jpg is not a readable image"):
        image_file_features(tmp_path / "broken.jpg")


def test_a_backbone_loads_only_from_weights_on_disk(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        load_backbone(tmp_path / "vgg16.pth")
    torch.manual_seed(0)
    torch.save(VGG16Features().state_dict(), tmp_path / "vgg16.pth")
    model = load_backbone(tmp_path / "vgg16.pth")
    assert "features.28.weight" in model.state_dict()  # torchvision's names
    images = [np.random.default_rng(i).random((40, 40, 3)).astype(np.float32) for i in range(3)]
    features = backbone_features(model, images, input_size=32)
    assert features.shape == (3, BACKBONE_DIM)
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="other.pth is not a VGG-16 state dict"):
        load_backbone(tmp_path / "other.pth")
