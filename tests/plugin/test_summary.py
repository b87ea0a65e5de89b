"""The summary ops write real event files that decode to what was logged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import summary_pb2
from tensorboard.util import tensor_util

from tbexplain import summary
from tbexplain_plugin import metadata
from tests.helpers.reader import split_strips


class Logged:
    """The summary values written to one run directory.

    `values` holds the blob sequences; each must come right after its
    manifest tensor (format version 5): a scalar string tensor of the same
    step at `metadata.manifest_tag`, holding the same bytes as element 0.
    """

    def __init__(self, logdir: Path) -> None:
        self.values: list[tuple[int, summary_pb2.Summary.Value]] = []
        written = []
        for path in sorted(logdir.glob("events.out.tfevents.*")):
            for event in event_file_loader.EventFileLoader(str(path)).Load():
                for value in event.summary.value:
                    written.append((event.step, value))
        for (step, value), before in zip(written, [None, *written], strict=False):
            if value.tag.endswith(metadata.MANIFEST_TAG_SUFFIX):
                continue
            self.values.append((step, value))
            assert before is not None, value.tag
            tensor_step, tensor = before
            assert (tensor_step, tensor.tag) == (step, metadata.manifest_tag(value.tag))
            assert tensor.metadata.data_class == summary_pb2.DATA_CLASS_TENSOR
            assert tensor.metadata.plugin_data.plugin_name == metadata.PLUGIN_NAME
            manifest = tensor_util.make_ndarray(tensor.tensor)
            assert manifest.shape == ()
            assert manifest.item() == tensor_util.make_ndarray(value.tensor)[0]

    def one(
        self,
    ) -> tuple[int, summary_pb2.Summary.Value, dict[str, Any], list[np.ndarray]]:
        """The only value: step, value, manifest, and each row's image."""
        assert len(self.values) == 1, [v.tag for _, v in self.values]
        step, value = self.values[0]
        array = tensor_util.make_ndarray(value.tensor)
        assert array.ndim == 1  # rank 1, as the Rust data server requires
        manifest = metadata.decode_manifest(array[0])
        return step, value, manifest, split_strips(manifest, list(array[1:]))


@pytest.fixture
def run_dir(tmp_path: Path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        yield tmp_path
    writer.close()


def logged(run_dir: Path) -> Logged:
    tf.summary.flush()
    return Logged(run_dir)


def test_inputs_writes_manifest_and_exact_pngs(run_dir: Path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(2, 6, 5, 3), dtype=np.uint8)
    assert summary.inputs(
        "probe/inputs", images, step=3, labels=[2, 0], class_names=["a", "b", "c"]
    )
    step, value, manifest, images_ = logged(run_dir).one()
    assert step == 3 and value.tag == "probe/inputs"
    assert value.metadata.data_class == summary_pb2.DATA_CLASS_BLOB_SEQUENCE
    content = metadata.parse_plugin_metadata(value.metadata.plugin_data.content)
    assert metadata.kind_name(content) == "inputs"
    assert content.stage == "probe/inputs"
    assert manifest["kind"] == "inputs" and manifest["shape"] == [6, 5, 3]
    assert [item["label"] for item in manifest["items"]] == [2, 0]
    assert [item["label_name"] for item in manifest["items"]] == ["c", "a"]
    assert len(images_) == 2
    for i, image in enumerate(images_):
        np.testing.assert_array_equal(image, images[i])


def test_float_inputs_in_unit_range_are_scaled(run_dir: Path):
    images = np.linspace(0.0, 1.0, 2 * 3 * 4).reshape(2, 3, 4).astype(np.float32)
    summary.inputs("gray", images, step=0)
    _, _, manifest, images_ = logged(run_dir).one()
    assert manifest["shape"] == [3, 4, 1]
    expected = np.rint(images[1] * 255).astype(np.uint8)
    np.testing.assert_array_equal(images_[1][..., 0], expected)
    assert manifest["items"][1]["max"] == pytest.approx(1.0)


def test_inputs_are_scaled_per_batch_as_tf_summary_image(run_dir: Path):
    # One dark image in a 0-255 float batch stays dark: one range for the batch.
    bright = np.full((4, 4, 3), 200.0, np.float32)
    dark = np.full((4, 4, 3), 20.0, np.float32)
    dark[0, 0] = 0.0
    summary.inputs("floats", np.stack([bright, dark]), step=0)
    summary.inputs("ints", np.array([[[-5, 70], [300, 255]]], np.int32), step=0)
    summary.inputs("unit", np.array([[[0.0, 0.5], [1.0, 0.25]]], np.float32), step=0)
    values = logged(run_dir).values
    by_tag = {}
    for _, value in values:
        array = tensor_util.make_ndarray(value.tensor)
        manifest = metadata.decode_manifest(array[0])
        by_tag[value.tag] = (manifest, split_strips(manifest, list(array[1:])))
    manifest, (bright_px, dark_px) = by_tag["floats"]
    scale = 255.0 / 200.0  # the batch's range is [0, 200]
    assert bright_px[1, 1, 0] == 255
    assert dark_px[1, 1, 0] == round(20.0 * scale)  # 26, not brightened to 255
    assert dark_px[0, 0, 0] == 0
    # Each image's own raw range is still in the manifest.
    assert [(it["min"], it["max"]) for it in manifest["items"]] == [
        (200.0, 200.0),
        (0.0, 20.0),
    ]
    _, (ints,) = by_tag["ints"]
    np.testing.assert_array_equal(ints[..., 0], [[0, 70], [255, 255]])  # clipped
    _, (unit,) = by_tag["unit"]
    np.testing.assert_array_equal(unit[..., 0], [[0, 128], [255, 64]])


def test_explanation_records_nonfinite_values(run_dir: Path):
    maps = np.array(
        [
            [[0.0, 1.0], [np.nan, 3.0]],
            [[-2.0, 2.0], [np.inf, 0.0]],
        ],
        dtype=np.float32,
    )
    assert summary.explanation(
        "explain/saliency",
        maps,
        step=7,
        method="saliency",
        layer="conv",
        class_ids=[1, 0],
        class_names=["cat", "dog"],
        scores=[0.5, np.nan],
        inputs="explain/inputs",
        labels=[1, 1],
    )
    step, value, manifest, images_ = logged(run_dir).one()
    assert step == 7
    content = metadata.parse_plugin_metadata(value.metadata.plugin_data.content)
    assert metadata.kind_name(content) == "explanation"
    assert (content.method, content.layer) == ("saliency", "conv")
    assert content.inputs_tag == "explain/inputs"
    assert content.signed is True  # a value is negative
    first, second = manifest["items"]
    assert first["nonfinite"] == 1 and second["nonfinite"] == 1
    assert (first["min"], first["max"]) == (0.0, 3.0)
    assert (second["min"], second["max"]) == (-2.0, 2.0)
    assert first["class_name"] == "dog" and second["class_name"] == "cat"
    assert first["score"] == 0.5 and second["score"] is None
    assert first["label_name"] == "dog"
    # Pixels are the map rescaled from [min, max]; NaN is written as the minimum.
    np.testing.assert_array_equal(images_[0][..., 0], [[0, 85], [0, 255]])
    np.testing.assert_array_equal(images_[1][..., 0], [[0, 255], [255, 128]])


def test_sequence_maps_are_one_row_images(run_dir: Path):
    maps = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    summary.explanation("seq", maps, step=0, method="ig")
    _, _, manifest, images_ = logged(run_dir).one()
    assert manifest["shape"] == [3]
    np.testing.assert_array_equal(images_[0][..., 0], [[0, 128, 255]])


@pytest.mark.parametrize(
    "maps",
    [
        np.zeros((4,), np.float32),
        np.zeros((1, 2, 3, 4, 5), np.float32),
        np.zeros((0, 3, 3)),
    ],
)
def test_wrong_rank_raises_and_writes_nothing(run_dir: Path, maps: np.ndarray):
    with pytest.raises(ValueError, match="Received: shape="):
        summary.explanation("bad", maps, step=0, method="m")
    assert logged(run_dir).values == []


def test_wrong_image_rank_or_channels_raise(run_dir: Path):
    with pytest.raises(ValueError, match="Received: shape="):
        summary.inputs("bad", np.zeros((2, 3), np.uint8), step=0)
    with pytest.raises(ValueError, match="Received: shape="):
        summary.inputs("bad", np.zeros((1, 3, 3, 2), np.uint8), step=0)
    assert logged(run_dir).values == []


def test_mismatched_batch_raises_and_writes_nothing(run_dir: Path):
    maps = np.ones((2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="one entry per map"):
        summary.explanation("bad", maps, step=0, method="m", class_ids=[1, 2, 3])
    with pytest.raises(ValueError, match="one entry per map"):
        summary.inputs("bad", np.ones((2, 3, 3)), step=0, labels=[1])
    assert logged(run_dir).values == []


def test_missing_step_raises_and_writes_nothing(run_dir: Path):
    assert tf.summary.experimental.get_step() is None
    with pytest.raises(ValueError, match="step"):
        summary.explanation("nostep", np.ones((1, 2, 2), np.float32), method="m")
    assert logged(run_dir).values == []


def test_default_step_is_used(run_dir: Path):
    tf.summary.experimental.set_step(11)
    try:
        summary.inputs("withstep", np.zeros((1, 2, 2), np.uint8))
    finally:
        tf.summary.experimental.set_step(None)
    assert logged(run_dir).one()[0] == 11


def test_without_default_writer_returns_false(tmp_path: Path):
    result = summary.explanation(
        "x", np.ones((1, 2, 2), np.float32), step=0, method="m"
    )
    assert not bool(result)
    assert list(tmp_path.iterdir()) == []


def test_inside_tf_function(run_dir: Path):
    @tf.function
    def log(maps: tf.Tensor, step: tf.Tensor) -> Any:
        return summary.explanation("fn", maps, step=step, method="m", signed=False)

    maps = tf.constant(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    assert bool(log(maps, tf.constant(4, tf.int64)))
    step, _, manifest, images_ = logged(run_dir).one()
    assert step == 4 and len(images_) == 2
    assert manifest["items"][1]["max"] == 7.0


_RNG = np.random.default_rng(5)
# Each op with the arrays it is given (as tensors inside tf.function) and its
# other arguments: written eagerly and inside tf.function, they must agree.
_OPS: dict[str, tuple[Any, dict[str, np.ndarray], dict[str, Any]]] = {
    "inputs": (
        summary.inputs,
        {
            "images": _RNG.uniform(-1, 3, (2, 4, 5)).astype(np.float32),
            "labels": np.array([1, 0]),
        },
        {"class_names": ["a", "b"]},
    ),
    "explanation": (
        summary.explanation,
        {
            "heatmaps": _RNG.uniform(-1, 1, (3, 4, 5)).astype(np.float32),
            "class_ids": np.array([0, 1, 1]),
            "scores": np.array([0.5, 0.25, 2.0], np.float32),
        },
        {"method": "saliency"},
    ),
    "explanation_of_sequences": (
        summary.explanation,
        {"heatmaps": _RNG.uniform(0, 1, (2, 7)).astype(np.float32)},
        {"method": "ig"},
    ),
    "activations": (
        summary.activations,
        {
            "feature_maps": _RNG.uniform(-1, 1, (2, 3, 4, 2)).astype(np.float32),
            "channels": np.array([5, 2]),
        },
        {"layer": "conv"},
    ),
    "filters": (
        summary.filters,
        {
            "images": _RNG.uniform(0, 1, (3, 4, 4, 3)).astype(np.float32),
            "filter_ids": np.array([7, 1, 3]),
            "objectives": np.array([1.5, 2.0, 0.5], np.float32),
        },
        {"layer": "conv"},
    ),
}


def _write_and_read(logdir: Path, write: Any) -> list[tuple[Any, ...]]:
    """(step, tag, series metadata, manifest, row images) of each value
    `write()` writes to a real event file in `logdir`."""
    writer = tf.summary.create_file_writer(str(logdir))
    with writer.as_default():
        assert bool(write())
    writer.close()
    written = []
    for step, value in Logged(logdir).values:
        array = tensor_util.make_ndarray(value.tensor)
        assert array.ndim == 1
        content = metadata.parse_plugin_metadata(value.metadata.plugin_data.content)
        manifest = metadata.decode_manifest(array[0])
        rows = split_strips(manifest, list(array[1:]), content.layout)
        written.append((step, value.tag, content, manifest, rows))
    return written


@pytest.mark.parametrize("op", list(_OPS))
def test_each_op_writes_inside_tf_function_what_it_writes_eagerly(
    tmp_path: Path, op: str
):
    fn, arrays, options = _OPS[op]
    keys = list(arrays)

    @tf.function
    def log(step: tf.Tensor, *tensors: tf.Tensor) -> Any:
        return fn(op, step=step, **dict(zip(keys, tensors, strict=True)), **options)

    eager = _write_and_read(
        tmp_path / "eager", lambda: fn(op, step=3, **arrays, **options)
    )
    tensors = [tf.constant(arrays[k]) for k in keys]
    graph = _write_and_read(
        tmp_path / "graph", lambda: log(tf.constant(3, tf.int64), *tensors)
    )
    assert len(graph) == len(eager) == 1
    (step, tag, content, manifest, rows), (*_, eager_rows) = graph[0], eager[0]
    assert (step, tag, content, manifest) == eager[0][:4]
    assert len(rows) == len(eager_rows) == len(manifest["items"]) > 0
    for row, eager_row in zip(rows, eager_rows, strict=True):
        np.testing.assert_array_equal(row, eager_row)
    if op == "explanation_of_sequences":
        assert content.layout == metadata.LAYOUT_SEQUENCE and not content.signed
    if op in ("explanation", "activations"):
        assert content.signed  # found from the values when the function runs


def test_activations_and_filters(run_dir: Path):
    fm = np.arange(2 * 2 * 3 * 2, dtype=np.float32).reshape(2, 2, 3, 2)
    summary.activations("act", fm, step=1, layer="conv1", channels=[4, 9])
    filters = np.random.default_rng(0).uniform(size=(3, 4, 4, 3)).astype(np.float32)
    summary.filters("flt", filters, step=1, layer="conv2", objectives=[1.0, 2.0, 3.0])
    values = logged(run_dir).values
    by_tag = {v.tag: v for _, v in values}
    act = tensor_util.make_ndarray(by_tag["act"].tensor)
    manifest = metadata.decode_manifest(act[0])
    assert manifest["shape"] == [2, 3] and len(act) == 1 + 1  # one strip
    assert [(i["sample"], i["channel"]) for i in manifest["items"]] == [
        (0, 4),
        (0, 9),
        (1, 4),
        (1, 9),
    ]
    maps = split_strips(manifest, list(act[1:]))
    np.testing.assert_array_equal(
        maps[1][..., 0], np.rint(np.linspace(0, 255, 6)).reshape(2, 3)
    )
    flt = tensor_util.make_ndarray(by_tag["flt"].tensor)
    manifest = metadata.decode_manifest(flt[0])
    assert [i["objective"] for i in manifest["items"]] == [1.0, 2.0, 3.0]
    assert [image.shape for image in split_strips(manifest, list(flt[1:]))] == [
        (4, 4, 3)
    ] * 3


def test_a_step_is_one_strip_until_the_bounds(run_dir: Path, monkeypatch):
    """Maps are stacked into one PNG per step; past the strip bounds the rows
    are spread evenly over as few strips as fit."""
    from tbexplain import strips as strips_lib

    rng = np.random.default_rng(3)
    maps = rng.uniform(-1, 1, size=(10, 5, 7)).astype(np.float32)
    summary.explanation("one", maps, step=0, method="m")
    monkeypatch.setattr(strips_lib, "STRIP_MAX_ROWS", 4 * 5)  # 4 maps per strip
    summary.explanation("three", maps, step=0, method="m")
    by_tag = {v.tag: v for _, v in logged(run_dir).values}
    written = {}
    for tag, strips in (("one", 1), ("three", 3)):
        array = tensor_util.make_ndarray(by_tag[tag].tensor)
        manifest = metadata.decode_manifest(array[0])
        assert len(array) == 1 + strips
        written[tag] = (manifest["tiles"], split_strips(manifest, list(array[1:])))
    assert written["one"][0] == 10
    assert written["three"][0] == 4  # 4 + 4 + 2 (<= 4 per strip: 3 strips)
    assert [s.shape for s in written["three"][1]] == [(5, 7, 1)] * 10
    for one, three in zip(written["one"][1], written["three"][1], strict=True):
        np.testing.assert_array_equal(one, three)
    lo, hi = maps.min(axis=(1, 2)), maps.max(axis=(1, 2))
    for i, image in enumerate(written["one"][1]):
        raw = lo[i] + image[..., 0] / 255.0 * (hi[i] - lo[i])
        np.testing.assert_allclose(raw, maps[i], atol=(hi[i] - lo[i]) / 255)
