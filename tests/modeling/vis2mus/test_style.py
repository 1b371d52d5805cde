"""Image style transfer with no pretrained network: Lab colour transfer + random-filter textures."""

import numpy as np
import pytest

from modeling.vis2mus.style import (
    as_rgb,
    colour_transfer,
    lab_to_rgb,
    rgb_to_lab,
    style_transfer_image,
)


def sketch(size=32):
    """Black lines on white: a ring and a bar."""
    yy, xx = np.mgrid[:size, :size]
    image = np.full((size, size), 255, dtype=np.uint8)
    image[np.abs(np.hypot(yy - size / 2, xx - size / 2) - size / 3) < 1.5] = 0
    image[size // 2 - 1 : size // 2 + 1, 3:-3] = 0
    return image


def striped_style(height=40, width=50):
    """Orange and blue diagonal stripes."""
    yy, xx = np.mgrid[:height, :width]
    stripes = np.sin(xx / 2.0 + yy / 3.0) > 0
    style = np.zeros((height, width, 3))
    style[stripes], style[~stripes] = [0.95, 0.55, 0.1], [0.1, 0.2, 0.7]
    return style


def lab_mean(image):
    return rgb_to_lab(as_rgb(image)).reshape(-1, 3).mean(0)


def test_lab_conversion_round_trips():
    pixels = np.random.default_rng(0).random((6, 7, 3))
    assert np.allclose(lab_to_rgb(rgb_to_lab(pixels)), pixels, atol=1e-9)
    assert np.allclose(rgb_to_lab(np.ones((1, 1, 3)))[0, 0], [100, 0, 0], atol=1e-3)


def test_colour_transfer_gives_the_sketch_the_style_images_colours():
    moved = colour_transfer(sketch(), striped_style())
    assert moved.shape == (32, 32, 3)
    distance_before = np.linalg.norm(lab_mean(sketch()) - lab_mean(striped_style()))
    distance_after = np.linalg.norm(lab_mean(moved) - lab_mean(striped_style()))
    assert distance_after < 0.3 * distance_before  # not 0: out-of-gamut colours are clipped


def test_the_styled_sketch_keeps_its_lines_and_takes_the_style():
    result = style_transfer_image(sketch(), striped_style(), iterations=8)
    assert result.shape == (32, 32, 3) and result.min() >= 0.0 and result.max() <= 1.0
    lines = sketch() == 0
    luminance = rgb_to_lab(result)[..., 0]
    assert luminance[lines].mean() < luminance[~lines].mean() - 10  # the lines stay darker
    distance = np.linalg.norm(lab_mean(result) - lab_mean(striped_style()))
    assert distance < 0.5 * np.linalg.norm(lab_mean(sketch()) - lab_mean(striped_style()))
    again = style_transfer_image(sketch(), striped_style(), iterations=8)
    assert np.allclose(again, result)  # seeded: the same pair gives the same picture


def test_odd_modes_are_converted_and_tiny_images_refused():
    rgba = np.dstack([striped_style(), np.ones((40, 50))])
    assert as_rgb(rgba).shape == (40, 50, 3)
    assert as_rgb(sketch()[:, :, None]).shape == (32, 32, 3)
    with pytest.raises(ValueError, match="at least 8 x 8"):
        as_rgb(np.zeros((4, 40)))
    with pytest.raises(ValueError, match="shape"):
        as_rgb(np.zeros((10, 10, 2)))


def test_the_style_command_writes_a_png_the_size_of_the_sketch(tmp_path):
    from PIL import Image

    from modeling.vis2mus.cli import main

    Image.fromarray(sketch(24)).save(tmp_path / "sketch.png")
    rgba = (np.dstack([striped_style(), np.ones((40, 50))]) * 255).astype(np.uint8)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "style.png")
    argv = ["style", "--content", str(tmp_path / "sketch.png"), "--style"]
    result = main(
        [
            *argv,
            str(tmp_path / "style.png"),
            "--out",
            str(tmp_path / "fused.png"),
            "--iterations",
            "3",
        ]
    )
    fused = Image.open(tmp_path / "fused.png")
    assert fused.size == (24, 24) and fused.mode == "RGB" and result["size"] == [24, 24]
