"""randomisation: the randomised copy (which layers, seeded, in step with the model,
the model untouched) and the Spearman correlation against a copy made by hand."""

from __future__ import annotations

import gc
import weakref

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain import metrics
from tbexplain.methods.base import Method
from tbexplain.methods.forward import Result
from tbexplain.metrics.model_copy import RandomisedCopy, weighted_layers
from tbexplain.metrics.parameter_randomisation import randomised_copy
from tests.metrics import models


def spearman(a, b):
    """Rank correlation of maps without ties: Pearson of argsort ranks."""
    ra = np.argsort(np.argsort(a.ravel())).astype(float)
    rb = np.argsort(np.argsort(b.ravel())).astype(float)
    return np.corrcoef(ra, rb)[0, 1]


def trained(kind="image"):
    model = models.nonlinear(kind)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    x = models.inputs(kind, n=8)
    model.fit(x, np.random.default_rng(0).normal(size=(8, 3)), epochs=1, verbose=0)
    return model, x


def test_the_top_weighted_layers_are_reinitialised_the_rest_copied():
    model, _ = trained()
    copy = RandomisedCopy(model, layers=2)
    assert copy.randomised == ["head", "hidden"]
    assert copy.update(seed=3) is copy.model
    copy.update(seed=3)  # at every step: the kept layers synced, the others kept
    names = [layer.path for layer in weighted_layers(model)]
    for mine, theirs in zip(
        weighted_layers(model), weighted_layers(copy.model), strict=True
    ):
        for a, b in zip(mine.get_weights(), theirs.get_weights(), strict=True):
            if mine.path in copy.randomised:
                assert not np.allclose(a, b) or not a.any()
            else:
                np.testing.assert_array_equal(a, b)
    # Fresh weights from the layers' own initializers: Glorot-uniform
    # kernels within their bound, zero biases.
    head = copy.model.get_layer("head")
    kernel, bias = head.get_weights()
    bound = np.sqrt(6 / sum(kernel.shape))
    assert np.abs(kernel).max() <= bound and kernel.std() > bound / 4
    np.testing.assert_array_equal(bias, 0.0)
    # The same seed, the same weights; another seed, others.
    again = RandomisedCopy(model, layers=2).update(seed=3)
    np.testing.assert_array_equal(again.get_layer("head").get_weights()[0], kernel)
    other = copy.update(seed=4).get_layer("head").get_weights()[0]
    assert not np.allclose(other, kernel)
    assert names[-2:] == ["hidden", "head"]


def test_the_copy_follows_the_model_and_never_writes_it():
    model, x = trained()
    weights = [w.copy() for w in model.get_weights()]
    optimizer = [v.numpy() for v in model.optimizer.variables]
    maps = metrics.randomisation(tbx.Saliency(), model, x, layers=1)
    assert maps.shape == (8,)
    for a, b in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    for v, before in zip(model.optimizer.variables, optimizer, strict=True):
        np.testing.assert_array_equal(v.numpy(), before)
    # Training moves the model; the copy's kept layers follow at the next call.
    model.fit(x, np.zeros((8, 3)), epochs=1, verbose=0)
    copy = randomised_copy(model, 1).update(0)
    np.testing.assert_array_equal(
        copy.get_layer("hidden").get_weights()[0],
        model.get_layer("hidden").get_weights()[0],
    )


@pytest.mark.parametrize("kind", ["image", "features", "tokens", "two"])
def test_matches_a_copy_made_by_hand(kind):
    model = models.nonlinear(kind)
    x = models.inputs(kind, n=4)
    input = "image" if kind == "two" else None
    method = tbx.GradientInput()
    ids = np.array([0, 1, 2, 1])
    out = metrics.randomisation(method, model, x, ids, layers=1, seed=5, input=input)
    # By hand: a clone with the model's weights but the head's of the copy.
    hand = keras.models.clone_model(model)
    hand.set_weights(model.get_weights())
    fresh = randomised_copy(model, 1).update(5).get_layer("head").get_weights()
    hand.get_layer("head").set_weights(fresh)
    a = method.explain(model, x, ids, input=input)
    b = method.explain(hand, x, ids, input=input)
    expected = [spearman(a[i], b[i]) for i in range(4)]
    np.testing.assert_allclose(out, expected, atol=1e-5)
    # Comparing the model with itself would give 1: the copy differs.
    assert (np.abs(out) < 0.999).all()


class InputItself(Method):
    """A "method" whose map is the input, whatever the model: an edge detector."""

    name = "input_itself"

    def _attribute(self, forward, x, class_ids, index, seed):
        scores, ids = forward.forward_scores(x, class_ids)
        return Result(tf.reduce_sum(x, axis=-1), scores, ids)


def test_a_map_that_ignores_the_model_fails_the_check_with_one():
    model, x = trained()
    np.testing.assert_allclose(
        metrics.randomisation(InputItself(), model, x, layers=3), 1.0, atol=1e-12
    )
    # Gradient x input of a linear model with its only layer randomised:
    # the weights it multiplies x by are new, the rank correlation is not 1.
    linear = models.linear("image")
    out = metrics.randomisation(tbx.GradientInput(), linear, models.inputs("image"))
    assert (np.abs(out) < 0.5).all()


def test_models_that_cannot_be_copied_and_wrong_layers():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.head = keras.layers.Dense(2)

        def call(self, x):
            return self.head(keras.ops.reshape(x, (-1, 8)))

    net = Net()
    x = np.ones((2, 2, 2, 2), np.float32)
    net(x)
    with pytest.raises(ValueError, match="cannot copy model"):
        metrics.randomisation(tbx.Saliency(), net, x)
    model = models.nonlinear("image")
    x = models.inputs("image")
    for layers in (0, 4, "head", 1.0):
        with pytest.raises(ValueError, match=f"Received: layers={layers!r}"):
            metrics.randomisation(tbx.Saliency(), model, x, layers=layers)
    with pytest.raises(TypeError, match="Received: method="):
        metrics.randomisation("saliency", model, x)


def test_the_copy_does_not_keep_the_model_alive():
    model = models.nonlinear("image")
    metrics.randomisation(tbx.Saliency(), model, models.inputs("image"))
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
