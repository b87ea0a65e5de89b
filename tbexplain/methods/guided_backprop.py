"""Guided backpropagation (Springenberg et al., 2015, arXiv:1412.6806).

`guided_relus` applies the guided rule at every ReLU of a model, nested models
included: `keras.layers.ReLU` layers (any ``max_value``, e.g. MobileNetV2's
ReLU6, when ``negative_slope == 0`` and ``threshold == 0``), and every layer
whose ``activation`` is relu or relu6 (``Activation("relu")``,
``Conv2D(activation="relu")``, ``Dense(activation="relu")``...). The forward
pass is unchanged; the backward pass of a unit becomes
``ReLU(grad_out) * 1[0 < x]`` (and ``* 1[x < max_value]`` for a clipped
ReLU such as relu6: the guided rule keeps the unit's own local gradient, which
is 0 above the cap, and additionally drops negative gradients). The layers are
patched only while the explanation is traced and restored on exit, also on
error; the user's model is never changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import keras
import tensorflow as tf
from tensorflow.python.ops import gen_nn_ops

from tbexplain.layers import iter_layers
from tbexplain.methods.base import Method, reduce_channels, register
from tbexplain.methods.forward import Forward, Result

__all__ = ["GuidedBackprop", "guided_relu", "guided_relus"]


def guided_relu(x: tf.Tensor, max_value: float | None = None) -> tf.Tensor:
    """ReLU (clipped at `max_value`) whose gradient follows the guided rule."""

    @tf.custom_gradient
    def _guided(inputs: tf.Tensor) -> Any:
        # The forward ops are the model's own (Relu, Relu6), so kernel fusions
        # such as conv+bias+relu are kept; the backward is ReLU(grad) followed
        # by the unit's own fused gradient op (1[0 < x] or 1[0 < x < 6]).
        if max_value is None:
            outputs = tf.nn.relu(inputs)

            def grad(upstream: tf.Tensor) -> tf.Tensor:
                return gen_nn_ops.relu_grad(tf.nn.relu(upstream), inputs)

        elif max_value == 6.0:
            outputs = tf.nn.relu6(inputs)

            def grad(upstream: tf.Tensor) -> tf.Tensor:
                return gen_nn_ops.relu6_grad(tf.nn.relu(upstream), inputs)

        else:
            outputs = tf.minimum(tf.nn.relu(inputs), max_value)

            def grad(upstream: tf.Tensor) -> tf.Tensor:
                active = tf.logical_and(inputs > 0, inputs < max_value)
                return tf.nn.relu(upstream) * tf.cast(active, upstream.dtype)

        return outputs, grad

    return _guided(x)


def _guided_activation(name: str, on_relu: Callable[[Any], None] | None) -> Any:
    max_value = 6.0 if name == "relu6" else None

    def activation(x: Any, *args: Any, **kwargs: Any) -> Any:
        if on_relu is not None:
            on_relu(x)
        return guided_relu(x, max_value)

    activation.__name__ = f"guided_{name}"
    return activation


def _is_plain_relu_layer(layer: keras.layers.Layer) -> bool:
    if not isinstance(layer, keras.layers.ReLU):
        return False
    slope = float(getattr(layer, "negative_slope", 0.0) or 0.0)
    threshold = float(getattr(layer, "threshold", 0.0) or 0.0)
    return slope == 0.0 and threshold == 0.0


@contextlib.contextmanager
def guided_relus(
    model: keras.Model, on_relu: Callable[[Any], None] | None = None
) -> Iterator[int]:
    """Applies the guided rule at every ReLU of `model` while active.

    Yields the number of patched ReLUs. Restores every layer on exit.

    Args:
        model: The model whose ReLUs are patched (nested models included).
        on_relu: Optional; called with the input tensor of each guided ReLU
            every time one runs (Guided Grad-CAM uses it to see which ReLUs
            depend on its layer).
    """
    restore: list[tuple[keras.layers.Layer, str, Any, bool]] = []
    seen: set[int] = set()
    try:
        for ref in iter_layers(model):
            layer = ref.layer
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if _is_plain_relu_layer(layer):
                max_value = layer.max_value
                max_value = None if max_value is None else float(max_value)

                def call(
                    inputs: Any, *args: Any, _max: Any = max_value, **kw: Any
                ) -> Any:
                    if on_relu is not None:
                        on_relu(inputs)
                    return guided_relu(inputs, _max)

                had = "call" in layer.__dict__
                restore.append((layer, "call", layer.__dict__.get("call"), had))
                object.__setattr__(layer, "call", call)
                continue
            activation = getattr(layer, "activation", None)
            name = getattr(activation, "__name__", None)
            if name in ("relu", "relu6") and not isinstance(layer, keras.Model):
                restore.append((layer, "activation", activation, True))
                object.__setattr__(
                    layer, "activation", _guided_activation(name, on_relu)
                )
        yield len(restore)
    finally:
        for layer, attribute, original, had in reversed(restore):
            if had:
                object.__setattr__(layer, attribute, original)
            else:
                object.__delattr__(layer, attribute)


@register
class GuidedBackprop(Method):
    """Guided backpropagation: input gradients with the guided rule at ReLUs.

    See the module docstring for where the rule applies (ReLU layers and
    ``activation="relu"``/relu6 alike, nested models included). y is the
    pre-softmax score. Channel reduction: the maximum absolute value over the
    input channels. Unsigned.

    Reference: Springenberg et al., "Striving for Simplicity: The All
    Convolutional Net", ICLR workshop 2015.

    Args:
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = "guided_backprop"
    signed: ClassVar[bool] = False

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        grads, scores, ids = forward.input_gradients(
            x, class_ids, rules=guided_relus(forward.model)
        )
        return Result(reduce_channels(grads, "max_abs"), scores, ids)
