"""The Vis2Mus transformations, the same on an image and on the texture feature map.

Both act on every channel (a matrix: the last two axes) of a channel-first array, numpy or
torch: an image [C, H, W] or [N, C, H, W] with values in [0, 1], or the feature map
[N, 10, 8, 29] of ``Vis2MusVAE.texture_feature_map``.

- brightness (eq. 1): ``x' = max(0, x + a/2 * max(x))``, ``max`` over the channel;
- contrast (eq. 2): ``x' = max(0, mean + (x - mean) * (1 + a))``, ``mean`` over the channel.

The strength ``a`` lies in [-1, 1]; a value outside is clamped to the nearest end and a warning
says so (``clamp_strength`` returns the sentence for a page). Each has an inverse that undoes it
wherever no value was clamped at 0 (``was_clamped`` tells): brightness always (``a > -2``),
contrast for ``a > -1`` (at ``a = -1`` every value becomes the mean). The user studies'
"inverse way" is the opposite strength ``-a``, not this inverse.

Image values above 1 after a transformation are left as they are (the equations clamp only at
0); ``as_display_image`` clips for showing.
"""

from __future__ import annotations

import warnings

import numpy as np

STRENGTH_RANGE = (-1.0, 1.0)


def clamp_strength(a: float) -> tuple[float, str | None]:
    """(a clamped to [-1, 1], the sentence saying it was clamped or None)."""
    low, high = STRENGTH_RANGE
    value = float(a)
    if not np.isfinite(value):
        raise ValueError(f"the strength must be a number in [{low:g}, {high:g}], got {a!r}")
    clamped = min(max(value, low), high)
    if clamped != value:
        return clamped, f"strength {value:g} is outside [{low:g}, {high:g}]; {clamped:g} was used"
    return clamped, None


def _strength(a: float) -> float:
    value, message = clamp_strength(a)
    if message:
        warnings.warn(message, stacklevel=3)
    return value


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")


def _channel_max(x):
    if _is_torch(x):
        return x.amax(dim=(-2, -1), keepdim=True)
    return np.max(x, axis=(-2, -1), keepdims=True)


def _channel_mean(x):
    if _is_torch(x):
        return x.mean(dim=(-2, -1), keepdim=True)
    return np.mean(x, axis=(-2, -1), keepdims=True)


def _relu(x):
    return x.clamp(min=0) if _is_torch(x) else np.maximum(x, 0)


def _check_channels(x) -> None:
    if x.ndim < 2:
        raise ValueError(f"a channel is a matrix: need at least 2 axes, got shape {x.shape}")


def brightness(x, a: float):
    """Eq. 1 per channel: ``max(0, x + a/2 * max(x))``."""
    _check_channels(x)
    a = _strength(a)
    return _relu(x + a / 2 * _channel_max(x))


def inverse_brightness(y, a: float):
    """Undo ``brightness(x, a)`` where nothing was clamped: the channel max grew by the factor
    ``1 + a/2``, so ``x = y - a/2 * max(y) / (1 + a/2)``."""
    _check_channels(y)
    a = _strength(a)
    return y - a / 2 * _channel_max(y) / (1 + a / 2)


def contrast(x, a: float):
    """Eq. 2 per channel: ``max(0, mean + (x - mean) * (1 + a))``."""
    _check_channels(x)
    a = _strength(a)
    mean = _channel_mean(x)
    return _relu(mean + (x - mean) * (1 + a))


def inverse_contrast(y, a: float):
    """Undo ``contrast(x, a)`` where nothing was clamped (the mean is unchanged then)."""
    _check_channels(y)
    a = _strength(a)
    if a <= -1:
        raise ValueError("contrast with a = -1 sets every value to the mean: it has no inverse")
    mean = _channel_mean(y)
    return mean + (y - mean) / (1 + a)


def was_clamped(x, transform: str, a: float) -> bool:
    """Whether ``transform`` ("brightness" or "contrast") at ``a`` clamps any value of x at 0."""
    a = _strength(a)
    if transform == "brightness":
        raw = x + a / 2 * _channel_max(x)
    elif transform == "contrast":
        mean = _channel_mean(x)
        raw = mean + (x - mean) * (1 + a)
    else:
        raise ValueError(f"unknown transformation {transform!r}")
    return bool((raw < 0).any())


TRANSFORMS = {"brightness": brightness, "contrast": contrast}


def transform(x, name: str, a: float):
    """``brightness`` or ``contrast`` by name."""
    if name not in TRANSFORMS:
        raise ValueError(f"unknown transformation {name!r}; choose from {sorted(TRANSFORMS)}")
    return TRANSFORMS[name](x, a)


def as_display_image(x) -> np.ndarray:
    """A channel-first float image [C, H, W] -> uint8 [H, W, C] clipped to [0, 1]."""
    array = x.detach().cpu().numpy() if _is_torch(x) else np.asarray(x)
    return (np.clip(array, 0.0, 1.0).transpose(1, 2, 0) * 255).round().astype(np.uint8)


def image_channels_first(image: np.ndarray) -> np.ndarray:
    """An [H, W] or [H, W, C] image (uint8 0..255 or float 0..1) -> float [C, H, W] in [0, 1]."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"an image is [H, W] or [H, W, C], got shape {array.shape}")
    array = array.astype(np.float32)
    if image.dtype == np.uint8:
        array /= 255.0
    return array.transpose(2, 0, 1)
