"""The demo's data: one training split per run, the validation split and the probe,
and the input pipeline the training split goes through."""

from __future__ import annotations

from typing import Any

from tbexplain.data import ShapesData, make_shapes
from tbexplain.demo.config import RUNS, DemoConfig

__all__ = ["make_datasets", "pipeline_stages", "source_size", "train_dataset"]


def source_size(image_size: int) -> int:
    """The size of the training images as stored (the pipeline resizes them)."""
    return image_size + image_size // 4


def make_datasets(config: DemoConfig) -> dict[str, ShapesData]:
    """The demo's splits: one training set per run, validation and probe.

    The two training sets hold the same scenes (same seed); only the colour of
    the corner mark differs (random for ``clean``, by class for
    ``spurious``). Every split is made at `source_size` (a quarter larger),
    as stored files would be; the training splits reach the model through
    `pipeline_stages`, the validation and probe splits are resized the same
    way here (their masks by nearest neighbour). The validation images have a
    random-colour mark, so the shortcut fails there; the probe images a
    class-coloured one.

    Returns:
      {"clean": ..., "spurious": ..., "val": ..., "probe": ...}.
    """
    size, seed = config.image_size, config.seed
    splits = {
        run: make_shapes(config.train_size, size=source_size(size), seed=seed, cue=cue)
        for run, cue in RUNS.items()
    }
    source = source_size(size)
    splits["val"] = _resized(
        make_shapes(config.val_size, size=source, seed=seed + 1_000_003, cue="random"),
        size,
    )
    splits["probe"] = _resized(
        make_shapes(config.probe_size, size=source, seed=seed + 2_000_003, cue="label"),
        size,
    )
    return splits


def _resized(data: ShapesData, size: int) -> ShapesData:
    """A split resized as the training pipeline resizes (masks: nearest)."""
    import dataclasses

    import numpy as np
    import tensorflow as tf

    def nearest(masks: np.ndarray) -> np.ndarray:
        resized = tf.image.resize(
            masks[..., None].astype(np.float32), [size, size], "nearest"
        )
        return resized.numpy()[..., 0] > 0.5

    pixels = np.clip(np.rint(data.images * 255.0), 0, 255).astype(np.uint8)
    images = tf.image.resize(tf.cast(pixels, tf.float32) / 255.0, [size, size])
    return dataclasses.replace(
        data,
        images=images.numpy().astype(np.float32),
        masks=nearest(data.masks),
        cue_masks=nearest(data.cue_masks),
    )


def _augment(seed: int) -> Any:
    """Random left-right flips of (image, label) pairs."""
    import tensorflow as tf

    def augment(image: Any, label: Any) -> tuple[Any, Any]:
        return tf.image.random_flip_left_right(image, seed=seed), label

    return augment


def pipeline_stages(data: ShapesData, config: DemoConfig) -> dict[str, Any]:
    """The training split's input pipeline, stage by stage (unbatched datasets).

    ``decoded``: the images as their PNG files decode (uint8, at
    `source_size`); ``resized``: resized to the model's input and scaled to
    [0, 1]; ``augmented``: flipped left-right at random, as the model trains
    on them. The demo logs a few of each.
    """
    import numpy as np
    import tensorflow as tf

    pixels = np.clip(np.rint(data.images * 255.0), 0, 255).astype(np.uint8)
    files = [tf.io.encode_png(image).numpy() for image in pixels]
    size = config.image_size
    decoded = tf.data.Dataset.from_tensor_slices((files, data.labels)).map(
        lambda png, label: (tf.io.decode_png(png, channels=3), label)
    )
    resized = decoded.map(
        lambda image, label: (
            tf.image.resize(tf.cast(image, tf.float32) / 255.0, [size, size]),
            label,
        )
    )
    augmented = resized.map(_augment(config.seed))
    return {"decoded": decoded, "resized": resized, "augmented": augmented}


def train_dataset(stages: dict[str, Any], config: DemoConfig) -> Any:
    """Shuffled training batches through `pipeline_stages`: decoded and resized
    once (cached), augmented afresh every epoch."""
    import tensorflow as tf

    resized = stages["resized"].cache()
    return (
        resized.shuffle(
            int(resized.cardinality()), seed=config.seed, reshuffle_each_iteration=True
        )
        .map(_augment(config.seed), num_parallel_calls=tf.data.AUTOTUNE)
        .batch(config.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
