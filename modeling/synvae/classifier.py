"""Image classifier for the reconstruction-classification metric.

As in the SynVAE paper: the VisVAE encoder's convolution stack with a final softmax layer. It is
trained on real images and then tested on images that went through the autoencoder (or music).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import Tensor, nn

from modeling.synvae.visvae import VisVAEConfig, build_encoder_convs

KIND = "classifier"


@dataclass
class ClassifierConfig:
    architecture: str = "28x28x1"
    num_classes: int = 10
    width: float = 1.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ClassifierConfig:
        return cls(**data)


class ImageClassifier(nn.Module):
    kind = KIND

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        convs_config = VisVAEConfig(architecture=config.architecture, width=config.width)
        self.convs, features = build_encoder_convs(convs_config)
        self.head = nn.Linear(features, config.num_classes)

    def forward(self, images: Tensor) -> Tensor:
        """Images [N, C, H, W] -> class logits [N, classes] (softmax lives in the loss)."""
        return self.head(self.convs(images))


def classifier_step_loss(
    model: ImageClassifier, batch: tuple[Tensor, ...], *, step: int
) -> tuple[Tensor, dict[str, float]]:
    """Cross entropy on (images, labels)."""
    images, labels = batch[0], batch[1]
    logits = model(images)
    loss = nn.functional.cross_entropy(logits, labels)
    accuracy = (logits.argmax(-1) == labels).float().mean()
    return loss, {"loss": float(loss.detach()), "accuracy": float(accuracy)}
