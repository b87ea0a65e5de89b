"""Float64 numpy reference of small conv nets: forward, plain and guided backward.

A net is a list of layer specs; `keras_model` builds the same net in Keras with
the same weights, and `Net` computes it in numpy, so the methods' maps can be
checked against references that share no code with ``tbexplain``. Supported
layers: 2-D convolution (valid or same padding, any stride, optional fused
ReLU), a ReLU layer, global average pooling, flatten and dense (optional fused
ReLU; the last one's softmax is ignored, as the methods explain logits).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np


@dataclass
class Conv:
    """Conv2D: ``kernel`` [kh, kw, Ci, Co], ``bias`` [Co]."""

    kernel: np.ndarray
    bias: np.ndarray
    stride: int = 1
    padding: str = "valid"
    relu: bool = False


@dataclass
class Relu:
    """A standalone ReLU layer."""


@dataclass
class Gap:
    """Global average pooling over the spatial axes."""


@dataclass
class Flatten:
    """Row-major flatten of [h, w, K] (Keras's channels-last order)."""


@dataclass
class Dense:
    """Dense: ``kernel`` [n_in, n_out], ``bias`` [n_out]."""

    kernel: np.ndarray
    bias: np.ndarray
    relu: bool = False
    softmax: bool = False


Layer = Conv | Relu | Gap | Flatten | Dense


def keras_model(
    specs: list[Layer], input_shape: tuple[int, ...], name: str = "reference_net"
) -> keras.Model:
    """The Keras model of `specs`; layer i is named ``f"l{i}"``."""
    inputs = keras.Input(input_shape)
    h = inputs
    built = []
    for i, spec in enumerate(specs):
        layer: keras.layers.Layer
        if isinstance(spec, Conv):
            kh, kw, _, co = spec.kernel.shape
            layer = keras.layers.Conv2D(
                co,
                (kh, kw),
                strides=spec.stride,
                padding=spec.padding,
                activation="relu" if spec.relu else None,
                name=f"l{i}",
            )
        elif isinstance(spec, Relu):
            layer = keras.layers.ReLU(name=f"l{i}")
        elif isinstance(spec, Gap):
            layer = keras.layers.GlobalAveragePooling2D(name=f"l{i}")
        elif isinstance(spec, Flatten):
            layer = keras.layers.Flatten(name=f"l{i}")
        else:
            activation = "relu" if spec.relu else "softmax" if spec.softmax else None
            layer = keras.layers.Dense(
                spec.kernel.shape[1], activation=activation, name=f"l{i}"
            )
        h = layer(h)
        built.append((layer, spec))
    model = keras.Model(inputs, h, name=name)
    for layer, spec in built:
        if isinstance(spec, (Conv, Dense)):
            layer.set_weights(
                [spec.kernel.astype(np.float32), spec.bias.astype(np.float32)]
            )
    return model


def _pad(spec: Conv, x: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    if spec.padding == "valid":
        return x, (0, 0)
    if spec.stride != 1:
        raise ValueError(f"same padding needs stride 1. Received: {spec.stride}")
    kh, kw = spec.kernel.shape[:2]
    top, left = (kh - 1) // 2, (kw - 1) // 2
    pads = ((top, kh - 1 - top), (left, kw - 1 - left), (0, 0))
    return np.pad(x, pads), (top, left)


def _conv(spec: Conv, x: np.ndarray) -> np.ndarray:
    padded, _ = _pad(spec, x)
    kh, kw, _, co = spec.kernel.shape
    s = spec.stride
    oh = (padded.shape[0] - kh) // s + 1
    ow = (padded.shape[1] - kw) // s + 1
    out = np.empty((oh, ow, co))
    for i in range(oh):
        for j in range(ow):
            window = padded[i * s : i * s + kh, j * s : j * s + kw]
            out[i, j] = np.tensordot(window, spec.kernel, axes=3) + spec.bias
    return out


def _conv_backward(spec: Conv, grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    padded, (top, left) = _pad(spec, x)
    kh, kw = spec.kernel.shape[:2]
    s = spec.stride
    out = np.zeros_like(padded)
    for i in range(grad.shape[0]):
        for j in range(grad.shape[1]):
            out[i * s : i * s + kh, j * s : j * s + kw] += np.tensordot(
                spec.kernel, grad[i, j], axes=([3], [0])
            )
    return out[top : top + x.shape[0], left : left + x.shape[1]]


def _relu_backward(grad: np.ndarray, pre: np.ndarray, guided: bool) -> np.ndarray:
    # Guided backprop: ReLU(grad) * 1[x > 0]; plain: grad * 1[x > 0].
    return (np.maximum(grad, 0.0) if guided else grad) * (pre > 0)


@dataclass
class Net:
    """The numpy twin of `keras_model(specs, ...)` for one sample at a time."""

    specs: list[Layer]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Values of one sample: ``[x, pre_0, out_0, pre_1, out_1, ...]``.

        ``pre_i`` is layer i's value before its fused ReLU (equal to ``out_i``
        when it has none); the last ``out`` holds the logits.
        """
        values = [np.asarray(x, np.float64)]
        h = values[0]
        for spec in self.specs:
            if isinstance(spec, Conv):
                pre = _conv(spec, h)
                h = np.maximum(pre, 0.0) if spec.relu else pre
            elif isinstance(spec, Relu):
                pre, h = h, np.maximum(h, 0.0)
            elif isinstance(spec, Gap):
                pre = h = h.mean(axis=(0, 1))
            elif isinstance(spec, Flatten):
                pre = h = h.reshape(-1)
            else:
                pre = h @ spec.kernel + spec.bias
                h = np.maximum(pre, 0.0) if spec.relu else pre
            values += [pre, h]
        return values

    def logits_above(self, h: np.ndarray, layer: int) -> np.ndarray:
        """The logits from layer `layer`'s output `h` (one sample): the net
        above the layer, run on a given (e.g. ablated) value of it."""
        return Net(self.specs[layer + 1 :]).forward(h)[-1]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The last layer's pre-softmax output of one sample."""
        return self.forward(x)[-1]

    def output(self, x: np.ndarray, layer: int) -> np.ndarray:
        """Layer `layer`'s output (after its fused ReLU) for one sample."""
        return self.forward(x)[2 * layer + 2]

    def gradient(
        self, x: np.ndarray, target: int, to: int | None = None, guided: bool = False
    ) -> np.ndarray:
        """d logit[target] / d (output of layer `to`, or the input if None).

        With ``guided=True`` every ReLU on the way back follows the guided rule.
        """
        values = self.forward(x)
        grad = np.zeros_like(values[-1])
        grad[target] = 1.0
        stop = -1 if to is None else to
        for i in range(len(self.specs) - 1, stop, -1):
            spec = self.specs[i]
            below, pre = values[2 * i], values[2 * i + 1]
            if isinstance(spec, Relu) or getattr(spec, "relu", False):
                grad = _relu_backward(grad, pre, guided)
            if isinstance(spec, Conv):
                grad = _conv_backward(spec, grad, below)
            elif isinstance(spec, Gap):
                grad = np.broadcast_to(
                    grad / (below.shape[0] * below.shape[1]), below.shape
                ).copy()
            elif isinstance(spec, Flatten):
                grad = grad.reshape(below.shape)
            elif isinstance(spec, Dense):
                grad = spec.kernel @ grad
        return grad


def random_conv(
    rng: np.random.Generator,
    kernel: tuple[int, int],
    channels: tuple[int, int],
    **kwargs: object,
) -> Conv:
    """A Conv spec with normal weights scaled by fan-in and small random biases."""
    kh, kw = kernel
    ci, co = channels
    weights = rng.normal(size=(kh, kw, ci, co)) / np.sqrt(kh * kw * ci)
    return Conv(weights, rng.normal(scale=0.1, size=co), **kwargs)  # type: ignore[arg-type]


def random_dense(
    rng: np.random.Generator, n_in: int, n_out: int, **kwargs: object
) -> Dense:
    """A Dense spec with normal weights scaled by fan-in and random biases."""
    weights = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
    return Dense(weights, rng.normal(scale=0.1, size=n_out), **kwargs)  # type: ignore[arg-type]
