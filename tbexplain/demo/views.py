"""What every demo run logs, in one place: its methods, views and metrics.

`train.train_run` builds its `tbx.ExplainCallback` from these functions only
(and logs the stages of `splits.pipeline_stages` with it), so a new method or
view of the demo is one entry here.
"""

from __future__ import annotations

from typing import Any

from tbexplain.demo.config import DemoConfig, pointing_tolerance

__all__ = ["PIPELINE_SAMPLES", "methods", "metrics"]

#: Samples shown of each input-pipeline stage.
PIPELINE_SAMPLES = 8

#: The expensive views run every this many epochs.
EVERY = 5


def methods() -> list[Any]:
    """The methods and views logged after every epoch (some every `EVERY`).

    Grad-CAM at its default layer and guided Grad-CAM (every epoch),
    occlusion and filter visualisations of the last block (every `EVERY`
    epochs), and the activations of the second block's first convolution.
    """
    import tbexplain as tbx

    return [
        tbx.GradCAM(),
        tbx.GuidedGradCAM(),
        tbx.every(EVERY, tbx.Occlusion(patch=16, stride=8, fill="blur")),
        tbx.Activations(layers=["block2_relu1"], channels=8),
        tbx.every(
            EVERY,
            tbx.FilterVisualization("block3_relu2", filters=list(range(8)), steps=64),
        ),
    ]


def metrics(config: DemoConfig) -> dict[str, dict[str, Any]]:
    """The metrics of every method, per epoch: against the probe's shape masks
    (pointing game, energy in the mask), between epochs (drift), and whether
    a map can be trusted (sparseness; randomisation, the sanity check of
    re-initialising the classifier layer). The last costs one explanation
    of a copy of the model per method and epoch; the others read the maps."""
    return {
        "pointing_game": {"tolerance": pointing_tolerance(config.image_size)},
        "energy_in_mask": {},
        "drift": {},
        "sparseness": {},
        "randomisation": {"layers": 1},
    }
