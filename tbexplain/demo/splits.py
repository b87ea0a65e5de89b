"""The demo's data: one training split per run, the validation split and the probe."""

from __future__ import annotations

from typing import Any

from tbexplain.data import ShapesData, make_shapes
from tbexplain.demo.config import RUNS, DemoConfig

__all__ = ["make_datasets", "train_dataset"]


def make_datasets(config: DemoConfig) -> dict[str, ShapesData]:
    """The demo's splits: one training set per run, validation and probe.

    The two training sets hold the same scenes (same seed); only the colour of
    the corner mark differs (random for ``clean``, by class for
    ``spurious``). The validation images have a random-colour mark, so the
    shortcut fails there; the probe images a class-coloured one.

    Returns:
      {"clean": ..., "spurious": ..., "val": ..., "probe": ...}.
    """
    size, seed = config.image_size, config.seed
    splits = {
        run: make_shapes(config.train_size, size=size, seed=seed, cue=cue)
        for run, cue in RUNS.items()
    }
    splits["val"] = make_shapes(
        config.val_size, size=size, seed=seed + 1_000_003, cue="random"
    )
    splits["probe"] = make_shapes(
        config.probe_size, size=size, seed=seed + 2_000_003, cue="label"
    )
    return splits


def train_dataset(data: ShapesData, config: DemoConfig) -> Any:
    """A training split as a `tf.data.Dataset` of shuffled (images, labels) batches."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((data.images, data.labels))
    return (
        ds.shuffle(len(data), seed=config.seed, reshuffle_each_iteration=True)
        .batch(config.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
