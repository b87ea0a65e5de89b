"""What every demo run logs, in one place: methods, metrics and pipeline stages.

`train.train_run` builds its `tbx.ExplainCallback` and its pipeline log from
these functions only, so a new method or view of the demo (activations, filter
visualisations, guided Grad-CAM, occlusion, ...) is one entry here.
"""

from __future__ import annotations

from typing import Any

from tbexplain.data import ShapesData
from tbexplain.demo.config import DemoConfig, pointing_tolerance

__all__ = ["PIPELINE_SAMPLES", "methods", "metrics", "pipeline_stages"]

#: Samples shown of each input-pipeline stage.
PIPELINE_SAMPLES = 8


def methods() -> list[Any]:
    """The methods logged after every epoch: Grad-CAM at its default layer."""
    import tbexplain as tbx

    return [tbx.GradCAM()]


def metrics(config: DemoConfig) -> dict[str, dict[str, Any]]:
    """The metrics of every method against the probe's shape masks, per epoch."""
    return {
        "pointing_game": {"tolerance": pointing_tolerance(config.image_size)},
        "energy_in_mask": {},
        "drift": {},
    }


def pipeline_stages(data: ShapesData, train_ds: Any) -> dict[str, Any]:
    """The input-pipeline stages logged once, at step 0: stage name -> dataset.

    Args:
      data: The run's training split.
      train_ds: The batched dataset `model.fit` reads.
    """
    import tensorflow as tf

    generated = tf.data.Dataset.from_tensor_slices((data.images, data.labels))
    return {"generated": generated, "shuffled batches": train_ds}
