"""The part of a model above a layer (`tbexplain.above`), through AblationCAM.

Each model here is also computed by hand, calling its own layers eagerly with
the layer's output replaced: the references share no code with the cut (the
graph walk, the records of the tensors that bypass the layer).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.above import Above
from tbexplain.layers import find_layer


class CountedConv2D(keras.layers.Conv2D):
    """A Conv2D that counts how often it is traced or run."""

    calls = 0

    def call(self, inputs):
        type(self).calls += 1
        return super().call(inputs)


def ablation_weights(upper, activations, y) -> np.ndarray:
    """[B, K] weights w_k = (y - y_k) / y, y_k = upper(A with channel k zeroed),
    for activations [B, h, w, K] and scores y [B]."""
    activations = np.asarray(activations)
    weights = np.empty((len(y), activations.shape[-1]))
    for k in range(activations.shape[-1]):
        ablated = activations.copy()
        ablated[..., k] = 0.0
        weights[:, k] = (y - upper(ablated)) / y
    return weights


def ablation_reference(upper, activations, y, weights=None) -> np.ndarray:
    """ReLU(sum_k w_k A_k) with `ablation_weights` unless given."""
    if weights is None:
        weights = ablation_weights(upper, activations, y)
    activations = np.asarray(activations, np.float64)
    return np.maximum((activations * weights[:, None, None, :]).sum(-1), 0.0)


def logits(dense: keras.layers.Dense, features) -> np.ndarray:
    """The pre-softmax output of a Dense layer with a softmax activation."""
    return (tf.matmul(features, dense.kernel) + dense.bias).numpy()


def nested_residual() -> keras.Model:
    """stem -> block (expand -> target -> ReLU, + the block's input) -> + stem
    -> conv -> dense: skip connections bypass the layer at both levels, one
    from the nested model's own input."""
    keras.utils.set_random_seed(3)
    u = keras.Input((8, 8, 4), name="u")
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="expand")(u)
    a = keras.layers.Conv2D(4, 3, padding="same", name="target")(h)
    out = keras.layers.Add(name="inner_skip")([keras.layers.ReLU(name="relu")(a), u])
    block = keras.Model(u, out, name="block")
    x = keras.Input((8, 8, 3))
    stem = CountedConv2D(4, 3, padding="same", activation="relu", name="stem")(x)
    t = keras.layers.Add(name="outer_skip")([block(stem), stem])
    t = keras.layers.Conv2D(3, 3, activation="relu", name="top")(t)
    t = keras.layers.Flatten(name="flatten")(t)
    return keras.Model(x, keras.layers.Dense(3, "softmax", name="dense")(t))


def test_a_nested_model_with_skip_connections_reruns_only_above_the_layer():
    model = nested_residual()
    block = model.get_layer("block")
    ref = find_layer(model, "block/target")
    assert Above.of(model, ref).cut
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 3)).astype(np.float32)
    targets = [0, 2, 1]
    CountedConv2D.calls = 0
    method = tbx.AblationCAM("block/target", perturbation_batch=5)
    result = method.explain_with_targets(model, x, targets, upsample=False)
    assert CountedConv2D.calls == 1, "the layers below ran for the copies"

    stem = model.get_layer("stem")(x)
    activations = block.get_layer("target")(block.get_layer("expand")(stem))

    def upper(a):
        inner = block.get_layer("inner_skip")([tf.nn.relu(a), stem])
        t = model.get_layer("top")(model.get_layer("outer_skip")([inner, stem]))
        out = logits(model.get_layer("dense"), model.get_layer("flatten")(t))
        return out[np.arange(3), targets]

    y = upper(activations.numpy())
    np.testing.assert_allclose(result.scores, y, rtol=1e-5, atol=1e-6)
    expected = ablation_reference(upper, activations, y)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(result.maps, expected, rtol=1e-3, atol=1e-5)


class Subclassed(keras.Model):
    """No graph to cut: the copies rerun the whole model."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = CountedConv2D(4, 3, padding="same", activation="relu")
        self.target = keras.layers.Conv2D(4, 3, padding="same")
        self.flatten = keras.layers.Flatten()
        self.head = keras.layers.Dense(3)

    def call(self, inputs):
        h = self.stem(inputs)
        return self.head(self.flatten(tf.nn.relu(self.target(h)) + h))


def test_a_model_without_a_graph_reruns_whole_with_the_same_maps():
    keras.utils.set_random_seed(4)
    model = Subclassed()
    x = np.random.default_rng(1).normal(size=(4, 8, 8, 3)).astype(np.float32)
    model(x[:1])
    assert not Above.of(model, find_layer(model, model.target)).cut
    method = tbx.AblationCAM(model.target, max_channels=3, perturbation_batch=4)
    # Resolving a layer of no static shape runs the model once, before any batch.
    method.prepare(model, x)
    CountedConv2D.calls = 0
    result = method.explain_with_targets(model, x, 1, upsample=False)
    assert CountedConv2D.calls == 2  # the batch's pass and the copies' pass
    stem = model.stem(x)
    activations = model.target(stem).numpy()

    def upper(a):
        out = model.head(model.flatten(tf.nn.relu(a) + stem)).numpy()
        return out[:, 1]

    y = upper(activations)
    weights = ablation_weights(upper, activations, y)
    # max_channels=3: the 3 channels of largest spatial spread of each sample.
    kept = np.argsort(-activations.std(axis=(1, 2)), axis=1)[:, :3]
    mask = np.zeros_like(weights)
    np.put_along_axis(mask, kept, 1.0, axis=1)
    expected = ablation_reference(upper, activations, y, weights * mask)
    every = ablation_reference(upper, activations, y, weights)
    assert np.abs(expected - every).max() > 1e-3, "max_channels changes nothing"
    np.testing.assert_allclose(result.maps, expected, rtol=1e-3, atol=1e-5)


def two_inputs_two_outputs() -> keras.Model:
    """The raw second input and an output that ignores the layer bypass it."""
    keras.utils.set_random_seed(5)
    image = keras.Input((6, 6, 2), name="image")
    meta = keras.Input((3,), name="meta")
    a = keras.layers.Conv2D(3, 3, name="target")(image)
    joined = keras.layers.Concatenate(name="joined")(
        [keras.layers.Flatten(name="flatten")(a), meta]
    )
    return keras.Model(
        [image, meta],
        {
            "scores": keras.layers.Dense(2, name="scores")(joined),
            "aux": keras.layers.Dense(1, name="aux")(meta),
        },
    )


def test_inputs_and_outputs_that_bypass_the_layer_are_recorded():
    model = two_inputs_two_outputs()
    assert Above.of(model, find_layer(model, "target")).cut
    rng = np.random.default_rng(2)
    inputs = {
        "image": rng.normal(size=(3, 6, 6, 2)).astype(np.float32),
        "meta": rng.normal(size=(3, 3)).astype(np.float32),
    }

    def target(outputs):
        return outputs["scores"][:, 1] + 3.0 * outputs["aux"][:, 0]

    maps = tbx.AblationCAM(perturbation_batch=2).explain(
        model, inputs, targets=target, upsample=False
    )
    activations = model.get_layer("target")(inputs["image"]).numpy()
    aux = model.get_layer("aux")(inputs["meta"]).numpy()[:, 0]

    def upper(a):
        flat = model.get_layer("flatten")(a)
        joined = model.get_layer("joined")([flat, inputs["meta"]])
        return model.get_layer("scores")(joined).numpy()[:, 1] + 3.0 * aux

    y = upper(activations)
    expected = ablation_reference(upper, activations, y)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(maps, expected, rtol=1e-3, atol=1e-5)


def test_a_shared_producer_of_a_bypassing_tensor_is_not_cut():
    keras.utils.set_random_seed(6)
    x = keras.Input((6, 6, 2))
    shared = keras.layers.Conv2D(2, 1, name="shared")
    a = keras.layers.Conv2D(2, 3, padding="same", name="target")(shared(x))
    t = keras.layers.Add()([a, shared(shared(x))])
    model = keras.Model(x, keras.layers.Dense(2)(keras.layers.Flatten()(t)))
    assert not Above.of(model, find_layer(model, "target")).cut
    images = np.random.default_rng(3).normal(size=(2, 6, 6, 2)).astype(np.float32)
    maps = tbx.AblationCAM("target").explain(model, images, targets=0, upsample=False)
    h = model.get_layer("shared")
    activations = model.get_layer("target")(h(images)).numpy()
    skip = h(h(images))
    dense = model.layers[-1]

    def upper(a):
        return dense(model.layers[-2](a + skip)).numpy()[:, 0]

    y = upper(activations)
    expected = ablation_reference(upper, activations, y)
    np.testing.assert_allclose(maps, expected, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_a_backbone_nested_in_either_kind_of_model_is_cut(kind, backbone):
    from tests.methods.conftest import NESTED_SIZE

    head = [
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ]
    if kind == "sequential":
        model = keras.Sequential(
            [keras.Input((NESTED_SIZE, NESTED_SIZE, 3)), backbone, *head]
        )
    else:
        inputs = keras.Input((NESTED_SIZE, NESTED_SIZE, 3))
        h = backbone(inputs)
        for layer in head:
            h = layer(h)
        model = keras.Model(inputs, h)
    path = f"{backbone.name}/block_15_project_BN"
    above = Above.of(model, find_layer(model, path))
    assert above.cut
    # The block's skip connection, inside the backbone; nothing outside it.
    assert above.bypass == [[backbone.get_layer("block_14_add").output], []]
