"""The demo's settings: sizes, hyper-parameters, the two runs and their tag names."""

from __future__ import annotations

import dataclasses

__all__ = [
    "POINTING_GAME_TAG",
    "RUNS",
    "TAG_PREFIX",
    "TRAIN_SUBDIR",
    "TRUST_TAGS",
    "DemoConfig",
    "pointing_tolerance",
]

#: The two runs: name -> how the training images' corner mark is coloured.
RUNS: dict[str, str] = {"clean": "random", "spurious": "label"}

#: Tag prefix of the explanations (the callback's ``name``).
TAG_PREFIX = "explain"

#: The TensorBoard run (subdirectory of each demo run) the callback and
#: Keras' training scalars share.
TRAIN_SUBDIR = "train"

POINTING_GAME_TAG = f"{TAG_PREFIX}/metrics/gradcam/pointing_game"

#: The trust metrics of Grad-CAM the demo reports: name -> scalar tag.
TRUST_TAGS = {
    name: f"{TAG_PREFIX}/metrics/gradcam/{name}"
    for name in ("sparseness", "randomisation")
}


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """Sizes and hyper-parameters of the demo.

    Attributes:
      epochs: Training epochs of each run.
      train_size: Training images of each run.
      val_size: Held-out images (random-colour mark) for validation.
      probe_size: Images explained after every epoch (class-coloured mark).
      image_size: Height and width of the images (a multiple of 4, >= 16).
      batch_size: Training batch size.
      learning_rate: Adam's learning rate.
      seed: Seed of the data and of the models' initial weights.
    """

    epochs: int = 20
    train_size: int = 1500
    val_size: int = 400
    probe_size: int = 32
    image_size: int = 64
    batch_size: int = 32
    learning_rate: float = 2e-3
    seed: int = 0

    def __post_init__(self) -> None:
        for field in ("epochs", "train_size", "val_size", "probe_size", "batch_size"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"{field} must be a positive integer. Received: {field}={value!r}"
                )
        if self.image_size < 16 or self.image_size % 4:
            raise ValueError(
                "image_size must be a multiple of 4 and at least 16. "
                f"Received: image_size={self.image_size!r}"
            )
        if not self.learning_rate > 0:
            raise ValueError(
                "learning_rate must be positive. "
                f"Received: learning_rate={self.learning_rate!r}"
            )


def pointing_tolerance(image_size: int) -> float:
    """The pointing game's hit radius: 15 px at 224x224 (Zhang et al.), scaled."""
    return round(15.0 * image_size / 224.0, 2)
