"""Brightness and contrast follow the paper's equations, per channel, on numpy and torch."""

import numpy as np
import pytest
import torch

from modeling.vis2mus.transforms import (
    brightness,
    clamp_strength,
    contrast,
    image_channels_first,
    inverse_brightness,
    inverse_contrast,
    was_clamped,
)

# Two channels: max 4 and 10, mean 2 and 5.
CHANNELS = np.array(
    [
        [[0.0, 2.0], [2.0, 4.0]],
        [[0.0, 10.0], [5.0, 5.0]],
    ]
)


def test_brightness_adds_half_the_strength_times_each_channels_maximum():
    brighter = brightness(CHANNELS, 0.5)  # + 0.25 * max: +1 and +2.5
    assert np.allclose(brighter[0], [[1.0, 3.0], [3.0, 5.0]])
    assert np.allclose(brighter[1], [[2.5, 12.5], [7.5, 7.5]])
    darker = brightness(CHANNELS, -1.0)  # - 0.5 * max: -2 and -5, then max(0, .)
    assert np.allclose(darker[0], [[0.0, 0.0], [0.0, 2.0]])
    assert np.allclose(darker[1], [[0.0, 5.0], [0.0, 0.0]])


def test_contrast_scales_the_distance_from_each_channels_mean():
    stronger = contrast(CHANNELS, 0.5)  # mean + 1.5 * (x - mean)
    assert np.allclose(stronger[0], [[0.0, 2.0], [2.0, 5.0]])  # -1 is clamped to 0
    assert np.allclose(stronger[1], [[0.0, 12.5], [5.0, 5.0]])
    flat = contrast(CHANNELS, -1.0)  # every value becomes the mean
    assert np.allclose(flat[0], 2.0) and np.allclose(flat[1], 5.0)


def test_the_inverse_undoes_a_transformation_that_clamped_nothing():
    x = CHANNELS + 4.0
    for a in (-0.5, 0.3, 1.0):
        assert not was_clamped(x, "brightness", a)
        assert np.allclose(inverse_brightness(brightness(x, a), a), x)
    for a in (-0.6, 0.0, 0.4):
        assert not was_clamped(x, "contrast", a)
        assert np.allclose(inverse_contrast(contrast(x, a), a), x)
    assert was_clamped(CHANNELS, "brightness", -1.0)  # here the inverse cannot undo it
    assert not np.allclose(inverse_brightness(brightness(CHANNELS, -1.0), -1.0), CHANNELS)
    with pytest.raises(ValueError, match="no inverse"):
        inverse_contrast(CHANNELS, -1.0)


def test_torch_feature_maps_get_the_same_result_per_example_and_channel():
    batch = torch.as_tensor(np.stack([CHANNELS, 2 * CHANNELS]), dtype=torch.float64)
    result = brightness(batch, 0.5)
    assert isinstance(result, torch.Tensor)
    assert np.allclose(result[0].numpy(), brightness(CHANNELS, 0.5))
    assert np.allclose(result[1].numpy(), brightness(2 * CHANNELS, 0.5))
    assert np.allclose(contrast(batch, 0.5)[1].numpy(), contrast(2 * CHANNELS, 0.5))


def test_strengths_outside_minus_one_to_one_are_clamped_and_said():
    assert clamp_strength(0.25) == (0.25, None)
    value, message = clamp_strength(3.0)
    assert value == 1.0 and "outside [-1, 1]" in message
    with pytest.warns(UserWarning, match="-1 was used"):
        result = brightness(CHANNELS, -7.0)
    assert np.allclose(result, brightness(CHANNELS, -1.0))
    with pytest.raises(ValueError):
        clamp_strength(float("nan"))


def test_an_image_is_transformed_like_the_feature_map():
    image = np.zeros((2, 2, 3), dtype=np.uint8)
    image[..., 0] = [[0, 51], [102, 255]]  # red channel 0, 0.2, 0.4, 1.0; others black
    pixels = image_channels_first(image)
    assert pixels.shape == (3, 2, 2)
    brighter = brightness(pixels, 0.4)  # red + 0.2; black channels stay 0 (max 0)
    assert np.allclose(brighter[0], [[0.2, 0.4], [0.6, 1.2]]) and brighter[1:].sum() == 0
