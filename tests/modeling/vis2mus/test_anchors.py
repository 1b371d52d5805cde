"""The Vis2Mus anchors a researcher picks from: pictures and music that exist offline."""

import io

import numpy as np
import pytest
import soundfile
from PIL import Image

from modeling.vis2mus.anchors import (
    ANCHOR_FILE,
    IMAGE_SIZE,
    MUSIC_ROLES,
    AnchorError,
    choose_anchor_segments,
    image_anchor,
    image_anchors,
    music_anchor,
    music_anchors,
    onset_count,
    top_voice,
)
from modeling.vis2mus.data import SegmentSet
from modeling.vis2mus.media import picture_png, roll_clip, transformed_picture


def test_every_picture_is_a_square_rgb_image_that_says_where_it_comes_from():
    for role in ("photo", "sketch"):
        anchors = image_anchors(role)
        assert len(anchors) >= 6
        for anchor in anchors:
            pixels = anchor.pixels()
            assert pixels.shape == (IMAGE_SIZE, IMAGE_SIZE, 3)
            assert pixels.min() >= 0.0 and pixels.max() <= 1.0
            assert "scikit-image" in anchor.source


def test_a_sketch_is_dark_lines_on_white_paper():
    pixels = image_anchor("sketch/horse").pixels()
    assert np.median(pixels) > 0.95  # mostly paper
    assert pixels.min() < 0.2  # and some ink


def test_the_committed_music_anchors_have_notes_and_chords_on_every_beat():
    assert ANCHOR_FILE.exists()
    for role in MUSIC_ROLES:
        anchors = music_anchors(role)
        assert len(anchors) == 12
        assert len({a.source for a in anchors}) == 12  # one segment per work
        for anchor in anchors:
            assert anchor.roll.shape == (32, 128) and anchor.chords.shape == (8, 36)
            assert anchor.chords[:, :12].any(axis=1).all()
            assert onset_count(anchor.roll) >= 6
    melody = music_anchors("melody")[0].roll
    assert (np.count_nonzero(melody, axis=1) <= 1).all()  # one note at a time


def test_unknown_anchors_are_refused_with_a_sentence():
    with pytest.raises(AnchorError, match="There is no picture 'photo/nothing'"):
        image_anchor("photo/nothing")
    with pytest.raises(AnchorError, match="There is no music anchor"):
        music_anchor("melody/99")
    with pytest.raises(AnchorError, match="choose from"):
        music_anchors("drums")


def test_the_top_voice_keeps_the_highest_note_until_the_next_onset():
    roll = np.zeros((32, 128), dtype=np.uint8)
    roll[0, [48, 60, 64]] = 8
    roll[4, 67] = 2
    melody = top_voice(roll)
    assert melody[0, 64] == 4 and melody[0, 60] == 0 and melody[4, 67] == 2
    assert np.count_nonzero(melody) == 2


def test_choosing_anchors_refuses_a_held_out_set_too_small_for_the_roles():
    roll = np.zeros((1, 32, 128), dtype=np.uint8)
    roll[0, ::2, 60] = 2
    chords = np.zeros((1, 8, 36), dtype=np.uint8)
    chords[0, :, 0] = 1
    with pytest.raises(ValueError, match="can be texture anchors"):
        choose_anchor_segments(SegmentSet(roll, chords, ["bach/x"]), per_role=2)


def test_a_texture_becomes_a_two_bar_clip_and_a_picture_a_png():
    flac, midi = roll_clip(music_anchor("texture/0").roll)
    audio, rate = soundfile.read(io.BytesIO(flac))
    assert 4.8 <= len(audio) / rate <= 5.2  # 2 bars at 100 bpm plus the release
    assert midi[:4] == b"MThd"
    with pytest.raises(ValueError, match="silent"):
        roll_clip(np.zeros((32, 128), dtype=np.uint8))
    brighter = transformed_picture(image_anchor("photo/coffee").pixels(), "brightness", 0.5)
    picture = Image.open(io.BytesIO(picture_png(brighter)))
    assert picture.size == (IMAGE_SIZE, IMAGE_SIZE) and picture.mode == "RGB"


def test_a_brighter_picture_is_brighter_and_a_flatter_one_has_less_contrast():
    pixels = image_anchor("photo/cat").pixels()
    assert transformed_picture(pixels, "brightness", 0.6).mean() > pixels.mean() + 0.05
    assert transformed_picture(pixels, "brightness", -0.6).mean() < pixels.mean() - 0.05
    flatter = transformed_picture(pixels, "contrast", -0.6)
    per_channel = (0, 1)  # contrast acts on each colour channel around its own mean
    assert (flatter.std(axis=per_channel) < pixels.std(axis=per_channel) * 0.45).all()
