"""The registry of input kinds: one kind per layout of the format, and every kind's
inputs and maps written by the summary ops read back through `tbx.read`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain import kinds, summary, tiles
from tbexplain_plugin import metadata

_SIZES = {"H": 4, "W": 5, "C": 3, "T": 6, "F": 4, "D": 2}
N = 3


def test_there_is_one_kind_per_layout_of_the_format_in_its_order():
    assert kinds.INPUT_KINDS == metadata.LAYOUTS
    assert tbx.inputs.INPUT_KINDS == metadata.LAYOUTS
    for kind in kinds.KINDS:
        assert kinds.get(kind.name) is kind
        assert kind.map_rank == metadata.layout_spec(kind.name).map_rank
    assert kinds.find(kinds.UNKNOWN) is None
    with pytest.raises(ValueError, match="Received: 'audio'"):
        kinds.get("audio")


def test_a_model_input_is_the_kind_of_its_rank_token_ids_apart():
    assert kinds.of_input(3).name == "image"
    assert kinds.of_input(2).name == "sequence"
    assert kinds.of_input(1).name == "features"
    assert kinds.of_input(1, token_ids=True).name == "tokens"
    assert kinds.of_input(2, token_ids=True).name == "sequence"
    assert kinds.of_input(0) is None
    assert kinds.of_input(9) is None


def test_maps_take_their_inputs_layout_when_they_have_its_rank():
    for kind in kinds.KINDS:
        assert kinds.map_layout(kind.map_rank, kind.name) == kind.name
    # A CAM at a layer of another rank than its input: the format's default.
    assert kinds.map_layout(1, "image") == "sequence"
    assert kinds.map_layout(2, kinds.UNKNOWN) == "image"
    with pytest.raises(ValueError, match="rank=4"):
        kinds.map_layout(4)


def _sample(kind: kinds.Kind, seed: int) -> np.ndarray:
    shape = (N, *(_SIZES[axis] for axis in kind.axes))
    rng = np.random.default_rng(seed)
    if kind.token_ids:
        ids = rng.integers(1, 20, shape)
        ids[:, -2:] = 0  # padding
        return ids
    return rng.uniform(-2.0, 3.0, shape).astype(np.float32)


@pytest.mark.parametrize("kind", kinds.KINDS, ids=lambda kind: kind.name)
def test_each_kind_writes_inputs_and_maps_that_read_back(tmp_path: Path, kind):
    inputs = _sample(kind, 1)
    maps = np.random.default_rng(2).normal(size=(N, *kind.map_shape(inputs.shape[1:])))
    maps = maps.astype(np.float32)
    writer = tf.summary.create_file_writer(str(tmp_path / "run"))
    with writer.as_default(step=0):
        assert summary.inputs("x/inputs", inputs, layout=kind.name, pad_id=0)
        assert summary.explanation(
            "x/saliency",
            maps,
            method="saliency",
            inputs="x/inputs",
            layout=kinds.map_layout(maps.ndim - 1, kind.name),
        )
    writer.close()
    run = tbx.read(tmp_path)["run"]
    assert run["x/saliency"].layout == kind.name
    assert run["x/inputs"].layout == kind.name
    step = run["x/saliency"][0]
    span = (
        maps.max(axis=tuple(range(1, maps.ndim)))
        - maps.min(axis=tuple(range(1, maps.ndim)))
    ).reshape(-1, *[1] * (maps.ndim - 1))
    assert (np.abs(step.maps - maps) <= span / 510 + 1e-6).all()
    read = run["x/inputs"][0]
    assert read.shape == inputs.shape[1:]
    if kind.draw is tiles.draw_values:
        np.testing.assert_allclose(read.maps, inputs, atol=5.0 / 510 + 1e-6)
    elif kind.draw is tiles.draw_presence:
        assert read.images.shape == (N, 1, inputs.shape[1], 1)
        np.testing.assert_array_equal(read.images[:, 0, :, 0] > 0, inputs != 0)
    else:
        drawn, _ = tiles.display_images(inputs.reshape(-1, *inputs.shape[-3:]))
        np.testing.assert_array_equal(read.images, drawn.reshape(inputs.shape))


def test_inputs_without_a_layout_are_pictures_by_rank(tmp_path: Path):
    assert kinds.input_layout(2) == kinds.input_layout(3) == "image"
    assert kinds.input_layout(4) == "volume"
    writer = tf.summary.create_file_writer(str(tmp_path / "run"))
    with writer.as_default(step=0):
        summary.inputs("gray", np.zeros((2, 4, 4), np.float32))
        summary.inputs("frames", np.zeros((2, 3, 4, 4, 1), np.float32))
        with pytest.raises(ValueError, match=r"Received: shape=\(2, 3\)"):
            summary.inputs("rows", np.zeros((2, 3), np.float32))
    writer.close()
    run = tbx.read(tmp_path)["run"]
    assert run["gray"].layout == "image"
    assert run["frames"].layout == "volume"
    assert run["frames"][0].images.shape == (2, 3, 4, 4, 1)
