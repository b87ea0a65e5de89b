"""One contract for every method in REGISTRY (new methods are picked up here).

Per-method constructor settings that keep the test tiny live in `TINY`; a
method without an entry is built with its defaults. `NOT_NESTED` lists methods
for which the nested-model check does not apply. Methods that need attention
(the rollouts) run the contract on a tiny ViT (`tests.methods.vits`) instead of
the CNN.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import tensorflow as tf

from tbexplain.methods import REGISTRY, Method
from tbexplain.methods._rollout import Rollout
from tbexplain.methods.cam import CAM
from tbexplain.methods.compiled import resize_map
from tests.methods import vits
from tests.methods.conftest import NESTED_SIZE
from tests.methods.conftest import images as cnn_images

TINY: dict[str, dict[str, Any]] = {
    "smoothgrad": {"samples": 3},
    "vargrad": {"samples": 3},
    "squaregrad": {"samples": 3},
    "integrated_gradients": {"steps": 4, "steps_per_batch": 2},
    "occlusion": {"patch": 4},
    "rise": {"num_masks": 16, "perturbation_batch": 8},
    "scorecam": {"max_channels": 4},
    "ablationcam": {"max_channels": 4, "perturbation_batch": 3},
}
# The rollouts on nested keras_hub backbones: tests/methods/test_transformers.py.
NOT_NESTED: set[str] = {
    name for name, cls in REGISTRY.items() if issubclass(cls, Rollout)
}


@pytest.fixture(scope="module")
def vit():
    return vits.vit(class_token=True)


@pytest.fixture
def subject(request, cnn):
    """(model, images(n), size) the method `name` is checked on."""
    name = request.node.callspec.params["name"]
    if issubclass(REGISTRY[name], Rollout):
        return request.getfixturevalue("vit"), vits.images, vits.SIZE
    return cnn, cnn_images, 16


def make(name: str, **overrides: Any) -> Method:
    return REGISTRY[name](**{**TINY.get(name, {}), **overrides})


NAMES = sorted(REGISTRY)


def test_registry_has_the_gradient_family():
    expected = {
        "gradcam",
        "gradcam_plus_plus",
        "layercam",
        "guided_backprop",
        "guided_gradcam",
        "saliency",
        "gradient_input",
        "smoothgrad",
        "vargrad",
        "squaregrad",
        "integrated_gradients",
    }
    assert expected <= set(REGISTRY)
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert isinstance(cls.signed, bool)


@pytest.mark.parametrize("name", NAMES)
def test_shape_dtype_finite_sign(name, subject):
    model, images, size = subject
    x = images(3)
    maps = make(name).explain(model, x)
    assert isinstance(maps, np.ndarray)
    assert maps.shape == (3, size, size)
    assert maps.dtype == np.float32
    assert np.isfinite(maps).all()
    assert np.abs(maps).max() > 0, "an all-zero map explains nothing"
    if not REGISTRY[name].signed:
        assert maps.min() >= -1e-6


@pytest.mark.parametrize("name", NAMES)
def test_batch_invariance_and_no_retrace(name, subject):
    cnn, images, _ = subject
    x = images(5)
    whole = make(name)
    reference = whole.explain(cnn, x, targets=[0, 1, 2, 0, 1])
    traces = whole.trace_count
    again = whole.explain(cnn, x[:3], targets=[0, 1, 2])
    assert whole.trace_count == traces, "second call retraced"
    np.testing.assert_allclose(again, reference[:3], rtol=1e-4, atol=1e-6)
    for batch_size in (1, 2):
        split = make(name, batch_size=batch_size).explain(
            cnn, x, targets=[0, 1, 2, 0, 1]
        )
        np.testing.assert_allclose(split, reference, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_upsample_false_returns_the_maps_before_the_bilinear_resize(name, subject):
    cnn, images, size = subject
    cls = REGISTRY[name]
    seeded = {"seed": 3} if "seed" in inspect.signature(cls).parameters else {}
    x = images(3)
    method = make(name, **seeded)
    full = method.explain(cnn, x, targets=[0, 1, 2])
    native = method.explain(cnn, x, targets=[0, 1, 2], upsample=False)
    # Guided Grad-CAM multiplies the upsampled CAM with an input gradient, so
    # its maps are input-sized either way.
    if issubclass(cls, CAM) and name != "guided_gradcam":
        assert native.shape == (3, 7, 7)  # last_conv: 16x16, 3x3 valid, stride 2
    elif issubclass(cls, Rollout):
        assert native.shape == (3, vits.GRID, vits.GRID)  # the patch grid
    else:
        assert native.shape == full.shape
    upsampled = resize_map(tf.constant(native), (size, size)).numpy()
    np.testing.assert_allclose(upsampled, full, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in NOT_NESTED])
def test_nested_model(name, nested_functional):
    method = make(name)
    maps = method.explain(nested_functional, cnn_images(2, size=NESTED_SIZE), targets=1)
    assert maps.shape == (2, NESTED_SIZE, NESTED_SIZE)
    assert np.isfinite(maps).all()
    if method.uses_layer:
        assert method.layer_name(nested_functional) == (
            f"{nested_functional.layers[1].name}/out_relu"
        )
    else:
        assert method.layer_name(nested_functional) is None
