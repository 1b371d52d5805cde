"""A pretrained image backbone, only from weights the researcher has put on disk.

The thesis put VGG-16 under its art branch. ``VGG16Features`` is VGG-16's convolutional part
with the parameter names of torchvision's ``vgg16`` (``features.0.weight`` ...
``features.28.bias``), so a state dict saved from torchvision (or any file with those names)
loads into it; torchvision itself is not needed and nothing is downloaded.
``backbone_features`` runs it frozen and averages the last feature map: 512 numbers per image,
used in place of the hand-made ``image_features`` (the network's ``image_dim`` is then 512).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

BACKBONE_DIM = 512
VGG16_LAYOUT = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
INPUT_SIZE = 224


class VGG16Features(nn.Module):
    """VGG-16's 13 convolutions (3x3, ReLU) and 4 max-pools, torchvision's parameter names.

    The fifth max-pool is left out: the last feature map is averaged over space instead.
    """

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for entry in VGG16_LAYOUT:
            if entry == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, int(entry), 3, padding=1), nn.ReLU(inplace=True)]
                channels = int(entry)
        self.features = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """[N, 3, H, W] ImageNet-normalised -> [N, 512] (spatial mean of the last ReLU)."""
        return self.features(images).mean(dim=(2, 3))


def load_backbone(weights_path: Path | str) -> VGG16Features:
    """VGG-16 features with the weights in ``weights_path`` (a torch state dict), frozen."""
    path = Path(weights_path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no backbone weights at {path}: put a VGG-16 state dict there (nothing is "
            "downloaded) or use the hand-made image features."
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    model = VGG16Features()
    wanted = model.state_dict()
    found = {k: v for k, v in state.items() if k in wanted}
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValueError(
            f"{path.name} is not a VGG-16 state dict: {len(missing)} of its parameters are "
            f"missing, first {missing[0]!r}."
        )
    model.load_state_dict(found)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


@torch.no_grad()
def backbone_features(
    model: VGG16Features,
    images: list[np.ndarray],
    *,
    input_size: int = INPUT_SIZE,
    batch_size: int = 16,
) -> np.ndarray:
    """[N, 512] features of [H, W, 3] images in [0, 1] (resized to ``input_size`` squared)."""
    from modeling.chronology.image_features import resize_rgb

    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    out = []
    for start in range(0, len(images), batch_size):
        batch = np.stack([resize_rgb(i, input_size) for i in images[start : start + batch_size]])
        tensor = torch.from_numpy(batch).permute(0, 3, 1, 2).float()
        out.append(model((tensor - mean) / std).numpy())
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, BACKBONE_DIM))
