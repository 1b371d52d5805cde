"""The generated affect set: it says what it is, its planted cues are really there, and it
splits and shuffles as documented."""

import colorsys

import numpy as np
import pytest

from modeling.affect.generated import (
    CLASSES,
    PLANTED,
    SPLITS,
    generate_affect_set,
    item_media,
    rebuild_generated_set,
)
from modeling.affect.generated_images import ImageCues, draw_image
from modeling.affect.generated_music import MusicCues, clip_choices, clip_midi


def test_the_planted_recipes_are_the_documented_ones():
    assert CLASSES == ("positive", "neutral", "negative")
    recipes = {name: (m.to_dict(), i.to_dict()) for name, (m, i) in PLANTED.items()}
    assert recipes["positive"] == (
        {"mode": "major", "tempo": "fast", "register": "high"},
        {"palette": "warm", "brightness": "bright", "shapes": "smooth"},
    )
    assert recipes["neutral"][0] == {"mode": "major", "tempo": "slow", "register": "high"}
    assert recipes["neutral"][1] == {"palette": "cool", "brightness": "bright", "shapes": "smooth"}
    assert recipes["negative"] == (
        {"mode": "minor", "tempo": "slow", "register": "low"},
        {"palette": "cool", "brightness": "dark", "shapes": "jagged"},
    )


@pytest.mark.slow  # the session's generated set (72 clips)
def test_the_set_says_plainly_that_it_is_generated_and_not_emotion_data(affect_set):
    description = affect_set.description
    assert description["source"] == "generated" and "not emotion data" in description["what"]
    assert description["planted"]["negative"]["image"]["shapes"] == "jagged"
    assert description["settings"] == {"per_class": 24, "seed": 0, "image_size": 32, "version": 1}


@pytest.mark.slow  # the session's generated set (72 clips)
def test_every_class_is_split_70_10_20_and_each_item_keeps_its_clip_with_its_picture(affect_set):
    assert affect_set.paired and affect_set.images.shape == (72, 32, 32, 3)
    assert affect_set.music.shape == (72, 193) and np.isfinite(affect_set.music).all()
    assert (affect_set.image_labels == affect_set.music_labels).all()
    assert (affect_set.image_split == affect_set.music_split).all()
    for label in range(3):
        counts = np.bincount(affect_set.image_split[affect_set.image_labels == label], minlength=3)
        assert counts.tolist() == [17, 2, 5]
    pictures, clips, labels = affect_set.pairs_of("test")
    assert len(pictures) == len(clips) == len(labels) == 15


@pytest.mark.slow  # the session's generated set (72 clips)
def test_shuffled_labels_no_longer_follow_the_content_but_pairs_stay_together(affect_set):
    shuffled = affect_set.with_shuffled_labels(seed=3)
    assert (shuffled.image_labels == shuffled.music_labels).all()
    assert sorted(shuffled.image_labels) == sorted(affect_set.image_labels)
    assert (shuffled.image_labels != affect_set.image_labels).mean() > 0.4
    assert shuffled.description["label_shuffle_seed"] == 3


def _notes(cues, seed):
    return clip_midi(cues, seed=seed).instruments[0].notes


def test_the_music_cues_are_in_the_midi():
    fast, slow = MusicCues("major", "fast", "high"), MusicCues("major", "slow", "high")
    low = MusicCues("minor", "slow", "low")
    for seed in range(10):
        assert len(_notes(fast, seed)) > 3 * len(_notes(slow, seed))
        assert np.mean([n.pitch for n in _notes(slow, seed)]) > 12 + np.mean(
            [n.pitch for n in _notes(low, seed)]
        )
    # The minor clips play the tonic's minor third and the major ones its major third.
    for seed in range(5):
        major, minor = _notes(MusicCues("major", "slow", "low"), seed), _notes(low, seed)
        key = clip_choices(low, seed=seed)["key"]
        assert (key + 3) % 12 in {n.pitch % 12 for n in minor}
        assert (key + 3) % 12 not in {n.pitch % 12 for n in major}
        assert (key + 4) % 12 in {n.pitch % 12 for n in major}


def _mean_hue_and_value(picture):
    hsv = [colorsys.rgb_to_hsv(*(p / 255.0)) for p in picture.reshape(-1, 3)]
    hues = np.array([h for h, s, v in hsv if s > 0.2]) * 360
    return np.median(hues), np.mean([v for _, _, v in hsv])


@pytest.mark.parametrize("seed", range(5))
def test_the_picture_cues_are_in_the_pixels(seed):
    warm_hue, warm_value = _mean_hue_and_value(
        draw_image(ImageCues("warm", "bright", "smooth"), seed=seed)
    )
    cool_hue, dark_value = _mean_hue_and_value(
        draw_image(ImageCues("cool", "dark", "jagged"), seed=seed)
    )
    assert warm_hue <= 60 and 160 <= cool_hue <= 270
    assert warm_value > 0.7 > 0.35 > dark_value


def test_generation_is_deterministic_and_refuses_too_few_items():
    cues = PLANTED["neutral"][1]
    assert (draw_image(cues, seed=11) == draw_image(cues, seed=11)).all()
    notes = [(n.pitch, n.start) for n in _notes(PLANTED["positive"][0], 11)]
    assert notes == [(n.pitch, n.start) for n in _notes(PLANTED["positive"][0], 11)]
    with pytest.raises(ValueError, match="at least 6"):
        generate_affect_set(per_class=5)


@pytest.mark.slow  # the session's generated set (72 clips)
def test_an_item_can_be_rendered_again_as_stimulus_files(affect_set):
    files = item_media(affect_set, 0, image_size=64)
    assert files["png"].startswith(b"\x89PNG") and files["flac"].startswith(b"fLaC")
    assert files["mid"].startswith(b"MThd")


@pytest.mark.slow  # the session's generated set (72 clips)
def test_a_checkpoint_description_rebuilds_the_same_set_from_its_cache(affect_set, affect_var_dir):
    from modeling.affect.generated import generated_set_name

    cache = affect_var_dir / "affect" / generated_set_name(per_class=24, seed=0, image_size=32)
    again = rebuild_generated_set(affect_set.description, cache_path=cache)
    assert (again.music == affect_set.music).all() and (again.images == affect_set.images).all()
    shuffled = affect_set.with_shuffled_labels(seed=9)
    again = rebuild_generated_set(shuffled.description, cache_path=cache)
    assert (again.image_labels == shuffled.image_labels).all()
    assert SPLITS == ("train", "val", "test")
