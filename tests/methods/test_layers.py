"""Layer resolution: None, names, nested paths, Layer objects and errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tbexplain as tbx
from tbexplain.layers import find_layer
from tests.methods.conftest import NESTED_SIZE, images


def test_none_finds_the_last_spatial_layer(cnn):
    assert find_layer(cnn).path == "last_conv"


@pytest.mark.parametrize("fixture", ["nested_functional", "nested_sequential"])
def test_none_searches_nested_models(fixture, request, backbone):
    model = request.getfixturevalue(fixture)
    ref = find_layer(model)
    assert ref.path == f"{backbone.name}/out_relu"
    assert ref.layer is backbone.get_layer("out_relu")


def test_name_path_and_layer_object(nested_functional, backbone):
    path = f"{backbone.name}/block_16_project"
    assert find_layer(nested_functional, "block_16_project").path == path
    assert find_layer(nested_functional, path).path == path
    layer = backbone.get_layer("block_15_add")
    assert find_layer(nested_functional, layer).path == f"{backbone.name}/block_15_add"


def test_nested_gradcam_matches_the_backbone_split(nested_functional, backbone):
    """Grad-CAM through the nested model equals a hand-made split at out_relu."""
    x = images(2, size=NESTED_SIZE)
    maps = tbx.GradCAM().explain(nested_functional, x, 2)
    features = backbone(x, training=False)
    head = nested_functional.layers[2:]
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(features)
        logits = tf.matmul(head[0](features), head[1].kernel) + head[1].bias
        score = logits[:, 2]
    grads = tape.gradient(score, features)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * features, -1))
    expected = tf.image.resize(cam[..., None], (NESTED_SIZE, NESTED_SIZE))[..., 0]
    np.testing.assert_allclose(maps, expected.numpy(), rtol=1e-4, atol=1e-6)


def test_explicit_inner_layer_changes_the_map(nested_sequential):
    x = images(2, size=NESTED_SIZE)
    deep = tbx.GradCAM().explain(nested_sequential, x, 0)
    earlier = tbx.GradCAM("block_13_expand_relu").explain(nested_sequential, x, 0)
    assert earlier.shape == deep.shape == (2, NESTED_SIZE, NESTED_SIZE)
    assert not np.allclose(earlier, deep)


def test_unknown_layer_lists_candidates(cnn):
    with pytest.raises(ValueError, match=r"No layer 'nope'.*last_conv"):
        tbx.GradCAM("nope").explain(cnn, images(1))


def test_layer_without_spatial_dimensions(cnn):
    with pytest.raises(ValueError, match=r"without the spatial dimensions.*last_conv"):
        tbx.GradCAM(cnn.layers[-1].name).explain(cnn, images(1))


def test_foreign_layer_object(cnn):
    with pytest.raises(ValueError, match="not part of model"):
        find_layer(cnn, keras.layers.Dense(2))


def test_wrong_input_rank(cnn):
    with pytest.raises(ValueError, match="rank 4"):
        tbx.GradCAM().explain(cnn, np.zeros((2, 16, 3), np.float32))
    with pytest.raises(ValueError, match="images"):
        tbx.Saliency().explain(cnn, np.zeros((16, 16), np.float32))


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv = keras.layers.Conv2D(3, 3, activation="relu", name="conv")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.dense = keras.layers.Dense(2)

    def call(self, inputs, training=None):
        return self.dense(self.pool(self.conv(inputs)))


def test_subclassed_model_needs_a_layer_name():
    model = Subclassed()
    x = images(2, size=8)
    model(x)
    with pytest.raises(ValueError, match="subclassed"):
        tbx.GradCAM().explain(model, x)
    maps = tbx.GradCAM("conv").explain(model, x, 1)
    assert maps.shape == (2, 8, 8) and np.isfinite(maps).all()


def test_shared_layer_is_refused():
    inputs = keras.Input((8, 8, 3))
    conv = keras.layers.Conv2D(3, 3, padding="same", name="shared")
    outputs = keras.layers.Dense(2)(
        keras.layers.GlobalAveragePooling2D()(conv(conv(inputs)))
    )
    model = keras.Model(inputs, outputs)
    with pytest.raises(ValueError, match="called 2 times"):
        tbx.GradCAM("shared").explain(model, images(1, size=8))
