"""tbx.pipeline: samples of tf.data stages, read back through TensorBoard."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tests.logging.conftest import CLASS_NAMES, LogdirReader


def test_log_stages_side_by_side(tmp_path):
    rng = np.random.RandomState(1)
    images = rng.randint(0, 256, (10, 12, 12, 3)).astype("uint8")
    labels = np.arange(10) % 3
    loaded = tf.data.Dataset.from_tensor_slices((images, labels))
    resized = loaded.map(lambda im, lb: (tf.image.resize(im, (6, 6)) / 255.0, lb))
    augmented = resized.map(lambda im, lb: (tf.image.flip_left_right(im), lb)).batch(4)

    tags = tbx.pipeline.log_stages(
        str(tmp_path),
        {"loaded": loaded, "resized": resized, "augmented": augmented},
        n=5,
        step=3,
        class_names=CLASS_NAMES,
    )
    assert tags == [f"explain/pipeline/{s}" for s in ("loaded", "resized", "augmented")]
    reader = LogdirReader(tmp_path)
    series = reader.series()["."]
    assert {tag: series[tag].stage for tag in tags} == {
        "explain/pipeline/loaded": "loaded",
        "explain/pipeline/resized": "resized",
        "explain/pipeline/augmented": "augmented",
    }
    for tag, shape in zip(tags, ([12, 12, 3], [6, 6, 3], [6, 6, 3]), strict=True):
        (step,) = reader.steps(".", tag)
        assert step.step == 3
        assert step.rows == 5
        assert step.blobs == 1  # one strip
        assert step.manifest["shape"] == shape
        assert [it["label"] for it in step.manifest["items"]] == list(labels[:5])
        assert step.manifest["items"][1]["label_name"] == CLASS_NAMES[1]
    # The loaded stage shows the exact pixels; augmented is the flipped resize.
    np.testing.assert_array_equal(reader.image(".", tags[0], 3, 1), images[1])
    resized_px = reader.image(".", tags[1], 3, 0)
    flipped_px = reader.image(".", tags[2], 3, 0)
    np.testing.assert_array_equal(flipped_px, resized_px[:, ::-1])


def test_take_samples_handles_dicts_one_hot_and_sizes():
    x = np.zeros((3, 4, 4, 1), "float32")
    ds = tf.data.Dataset.from_tensor_slices(
        {"image": x, "label": tf.one_hot([2, 0, 1], 3)}
    )
    images, labels = tbx.pipeline.take_samples(ds, 2)
    assert images.shape == (2, 4, 4, 1)
    assert labels.tolist() == [2, 0]

    # Images of different sizes (before a resize) are centred on a common canvas.
    sizes = tf.data.Dataset.range(1, 4).map(
        lambda i: tf.ones(tf.stack([2 * tf.cast(i, tf.int32), 3, 3]))
    )
    images, labels = tbx.pipeline.take_samples(sizes, None)
    assert labels is None
    assert images.shape == (3, 6, 3, 3)
    assert images[0, :, 0, 0].tolist() == [0, 0, 1, 1, 0, 0]


def test_a_bad_stage_writes_nothing(tmp_path):
    good = tf.data.Dataset.from_tensor_slices(np.zeros((2, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="empty"):
        tbx.pipeline.log_stages(tmp_path, {"ok": good, "bad": good.take(0)})
    with pytest.raises(ValueError, match="non-empty mapping"):
        tbx.pipeline.log_stages(tmp_path, {})
    with pytest.raises(TypeError, match="SummaryWriter or a directory"):
        tbx.pipeline.log_stage(io.StringIO(), "ok", good)
    assert not list(tmp_path.rglob("events.*"))


def test_log_stage_with_a_writer_keeps_it_open(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    ds = tf.data.Dataset.from_tensor_slices(np.ones((3, 5, 5), "float32")).batch(3)
    tag = tbx.pipeline.log_stage(writer, "gray", ds, name="demo", batched=True)
    with writer.as_default():
        tf.summary.scalar("after", 1.0, step=0)
    writer.close()
    reader = LogdirReader(tmp_path)
    assert tag == "demo/pipeline/gray"
    (step,) = reader.steps(".", tag)
    assert step.manifest["shape"] == [5, 5, 1]
    assert "after" in reader.scalars(".")
