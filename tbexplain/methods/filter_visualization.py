"""Filter visualisation: gradient ascent on the input to maximise a filter's activation.

Each requested filter gets its own image; all of them are optimised together, in one
batch, inside one compiled ``tf.while_loop`` (one function per model and settings). The
objective of filter ``k`` is the mean of channel ``k`` of the layer's output over its
spatial positions.

Regularisation, so that the images are readable rather than adversarial noise (Olah et
al., "Feature Visualization", Distill 2017):

- a decorrelated parameterisation: the image is the inverse real FFT of a learnt
  spectrum scaled by ``1 / frequency ** decay`` (low frequencies learn faster), squashed
  into ``value_range`` with a sigmoid;
- transformation robustness: each step applies a random jitter (a roll of up to
  ``jitter`` pixels) and a random rescaling from ``scales`` (multi-scale) before the
  forward pass;
- Adam updates with a fixed ``learning_rate`` for ``steps`` steps.

Random draws come from stateless ops seeded by ``seed``: the same seed gives the same
  images.
The logger writes the result with ``tbx.summary.filters``.
"""

from __future__ import annotations

import contextlib
import math
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np
import tensorflow as tf

from tbexplain import layers as layers_lib
from tbexplain.checks import positive_int

__all__ = ["FilterImages", "FilterVisualization"]


class FilterImages(NamedTuple):
    """What `FilterVisualization.compute` returns.

    Attributes:
      images: float32 [F, H, W, C] in ``value_range``, one per filter.
      filter_ids: int64 [F] the filters, in the requested order.
      objectives: float32 [F] each filter's mean activation on its final image.
      history: float32 [steps, F] the objective at each step (on the transformed image
        that step optimised).
    """

    images: np.ndarray
    filter_ids: np.ndarray
    objectives: np.ndarray
    history: np.ndarray


@contextlib.contextmanager
def _linear(layer: keras.layers.Layer, enabled: bool) -> Iterator[None]:
    """Replaces ``layer.activation`` by the identity while the model is traced."""
    original = getattr(layer, "activation", None)
    if not enabled or original is None or original is keras.activations.linear:
        yield
        return
    object.__setattr__(layer, "activation", keras.activations.linear)
    try:
        yield
    finally:
        object.__setattr__(layer, "activation", original)


def _spectrum_scale(height: int, width: int, decay: float) -> tf.Tensor:
    """[1, 1, H, W // 2 + 1]: the weight of each frequency of the image's
    parameters, 1 / f ** decay (the decorrelated parameterisation that keeps
    the optimised images from drifting into high-frequency noise)."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    freqs = np.sqrt(fx * fx + fy * fy)
    scale = 1.0 / np.maximum(freqs, 1.0 / max(height, width)) ** decay
    scale = scale * math.sqrt(height * width)
    return tf.constant(scale[None, None].astype(np.float32))


def _jitter_and_scale(
    images: tf.Tensor,
    seed: tf.Tensor,
    scales: Sequence[float],
    jitter: int,
) -> tf.Tensor:
    """`images` [F, H, W, C] rescaled by one of `scales` and rolled by up to
    `jitter` pixels (both drawn from `seed`), at their own size: the random
    transforms that make the images robust rather than adversarial."""
    count, height, width, channels = images.shape
    if len(scales) > 1:
        pick = tf.random.stateless_uniform([], seed, 0, len(scales), dtype=tf.int32)
        factor = tf.gather(tf.constant(scales, tf.float32), pick)
        new_h = tf.cast(tf.round(factor * height), tf.int32)
        new_w = tf.cast(tf.round(factor * width), tf.int32)
        images = tf.image.resize(images, tf.stack([new_h, new_w]), "bilinear")
        images = tf.image.resize_with_crop_or_pad(images, height, width)
        images = tf.ensure_shape(images, [count, height, width, channels])
    if jitter > 0:
        shift = tf.random.stateless_uniform(
            [2], seed + 7, -jitter, jitter + 1, dtype=tf.int32
        )
        images = tf.roll(images, shift, axis=[1, 2])
    return images


def _adam(
    params: tf.Tensor,
    m: tf.Tensor,
    v: tf.Tensor,
    grad: tf.Tensor,
    step: tf.Tensor,
    lr: float,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """One Adam step (beta1 0.9, beta2 0.999) of `params` down `grad`: the new
    (params, m, v)."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    t = tf.cast(step + 1, tf.float32)
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return params - lr * m_hat / (tf.sqrt(v_hat) + eps), m, v


def _ascend(
    init: tf.Tensor,
    steps: int,
    lr: float,
    values_of: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
) -> tuple[tf.Tensor, tf.Tensor]:
    """`steps` Adam steps from `init` up the sum of ``values_of(params, step)``
    (one value per filter), in one while loop: (the final params, the values
    at every step [steps, F])."""

    def body(
        step: tf.Tensor, params: tf.Tensor, m: tf.Tensor, v: tf.Tensor, hist: Any
    ) -> tuple[Any, ...]:
        with tf.GradientTape() as tape:
            tape.watch(params)
            values = values_of(params, step)
            loss = -tf.reduce_sum(values)
        grad = tape.gradient(loss, params)
        params, m, v = _adam(params, m, v, grad, step, lr)
        return step + 1, params, m, v, hist.write(step, values)

    # init is [2, F, ...]: the real and imaginary parts of F images' spectra.
    history = tf.TensorArray(tf.float32, size=steps, element_shape=[init.shape[1]])
    zeros = tf.zeros_like(init)
    _, params, _, _, history = tf.while_loop(
        lambda step, *_: step < steps,
        body,
        (tf.constant(0), init, zeros, zeros, history),
    )
    return params, history.stack()


class FilterVisualization:
    """Images that maximise the mean activation of chosen filters of a layer.

    Example:
      >>> result = tbx.FilterVisualization("conv2", filters=[0, 5, 7],
      steps=128).compute(model)
      >>> result.images.shape  # (3, H, W, C)

    Args:
      layer: None (the last spatial layer), a name, a nested path or a Layer.
      filters: the channel ids to visualise (all optimised in one batch); None takes the
        first 8 channels.
      steps: the number of gradient-ascent steps (the budget).
      learning_rate: the Adam step size on the spectrum.
      size: (H, W) of the images; None uses the model's input size.
      value_range: (low, high) of the model's inputs (images are squashed into it).
      jitter: the largest random shift in pixels per step (0 disables it).
      scales: random rescalings per step (multi-scale robustness); ``(1.0,)`` disables
        it.
      decay: the spectrum's ``1 / f ** decay`` scaling (0 gives a plain pixel-space
        Fourier basis; 1 is the usual decorrelation).
      seed: the seed of the initial spectrum and of the random transformations.
      pre_activation: when the layer has its own activation (e.g. ``Conv2D(...,
        activation="relu")``), maximise the value before it, so that a filter that is
        off on the starting image still gets a gradient. The objectives are then
        pre-activation means.
    """

    def __init__(
        self,
        layer: str | keras.layers.Layer | None = None,
        filters: Sequence[int] | None = None,
        *,
        steps: int = 128,
        learning_rate: float = 0.05,
        size: tuple[int, int] | None = None,
        value_range: tuple[float, float] = (0.0, 1.0),
        jitter: int = 4,
        scales: Sequence[float] = (0.95, 1.0, 1.05),
        decay: float = 1.0,
        seed: int = 0,
        pre_activation: bool = True,
    ) -> None:
        if layer is not None and not isinstance(layer, (str, keras.layers.Layer)):
            raise TypeError(
                "layer must be None, a layer name, a nested path or a Layer. "
                f"Received: layer={layer!r}"
            )
        self.layer = layer
        if filters is None:
            self.filters: list[int] | None = None
        else:
            if isinstance(filters, (int, np.integer)):
                filters = [int(filters)]
            if not filters or not all(
                isinstance(f, (int, np.integer)) and not isinstance(f, bool) and f >= 0
                for f in filters
            ):
                raise ValueError(
                    "`filters` must be a non-empty list of channel ids or None. "
                    f"Received: filters={filters!r}"
                )
            self.filters = [int(f) for f in filters]
        self.steps = positive_int(steps, "steps")
        if not float(learning_rate) > 0:
            raise ValueError(
                "`learning_rate` must be > 0. Received: "
                f"learning_rate={learning_rate!r}"
            )
        self.learning_rate = float(learning_rate)
        if size is not None:
            size = (positive_int(size[0], "size"), positive_int(size[1], "size"))
        self.size = size
        lo, hi = (float(v) for v in value_range)
        if not hi > lo:
            raise ValueError(
                "`value_range` must be (low, high) with low < high. Received: "
                f"value_range={value_range!r}"
            )
        self.value_range = (lo, hi)
        if not isinstance(jitter, (int, np.integer)) or jitter < 0:
            raise ValueError(
                f"`jitter` must be an int >= 0. Received: jitter={jitter!r}"
            )
        self.jitter = int(jitter)
        self.scales = tuple(float(s) for s in scales)
        if not self.scales or min(self.scales) <= 0:
            raise ValueError(
                f"`scales` must be positive numbers. Received: scales={scales!r}"
            )
        self.decay = float(decay)
        self.seed = int(seed)
        self.pre_activation = bool(pre_activation)
        self._cache: weakref.WeakKeyDictionary[keras.Model, dict[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        layer = (
            self.layer.name
            if isinstance(self.layer, keras.layers.Layer)
            else self.layer
        )
        return (
            f"FilterVisualization(layer={layer!r}, filters={self.filters!r}, "
            f"steps={self.steps}, seed={self.seed})"
        )

    def _image_shape(self, model: keras.Model) -> tuple[int, int, int]:
        try:
            shape = tuple(model.inputs[0].shape[1:])
        except (AttributeError, ValueError, IndexError, TypeError):
            shape = ()
        if len(shape) != 3 or shape[-1] is None:
            raise ValueError(
                "FilterVisualization needs a model with one image input [H, W, C]. "
                f"Received: model input shape {shape!r}"
            )
        height, width = self.size or (shape[0], shape[1])
        if height is None or width is None:
            raise ValueError(
                "The model's input size is not fixed: pass size=(H, W). Received: "
                "size=None"
            )
        return int(height), int(width), int(shape[-1])

    def layer_name(self, model: keras.Model) -> str:
        """The resolved layer's nested path."""
        return layers_lib.find_layer(model, self.layer, rank=4).path

    def compute(self, model: keras.Model) -> FilterImages:
        """Optimises one image per filter and returns them with their objectives."""
        if not isinstance(model, keras.Model):
            raise TypeError(
                "model must be a keras.Model. Received: model of type "
                f"{type(model).__name__}"
            )
        ref = layers_lib.find_layer(model, self.layer, rank=4)
        height, width, channels = self._image_shape(model)
        try:
            count = int(ref.layer.output.shape[-1])
        except (AttributeError, ValueError, TypeError):
            count = None
        filters = (
            self.filters
            if self.filters is not None
            else list(range(min(8, count or 8)))
        )
        if count is not None and max(filters) >= count:
            raise ValueError(
                f"Layer '{ref.path}' has {count} filters. Received: filters={filters!r}"
            )
        key = (ref.path, height, width, channels, len(filters))
        per_model = self._cache.setdefault(model, {})
        if key not in per_model:
            per_model[key] = self._build(
                model, ref, height, width, channels, len(filters)
            )
        images, objectives, history = per_model[key](tf.constant(filters, tf.int32))
        return FilterImages(
            images.numpy(),
            np.asarray(filters, np.int64),
            objectives.numpy(),
            history.numpy(),
        )

    def _build(
        self,
        model: keras.Model,
        ref: layers_lib.LayerRef,
        height: int,
        width: int,
        channels: int,
        count: int,
    ) -> Any:
        model_ref = weakref.ref(model)
        lo, hi = self.value_range
        spectrum_scale = _spectrum_scale(height, width, self.decay)
        spec_shape = [count, channels, height, width // 2 + 1]
        steps, lr, jitter, scales = (
            self.steps,
            self.learning_rate,
            self.jitter,
            self.scales,
        )

        def to_image(params: tf.Tensor) -> tf.Tensor:
            spectrum = tf.complex(params[0], params[1]) * tf.cast(
                spectrum_scale, tf.complex64
            )
            pixels = tf.signal.irfft2d(spectrum, fft_length=[height, width]) / 4.0
            pixels = tf.transpose(pixels, [0, 2, 3, 1])  # [F, H, W, C]
            return lo + (hi - lo) * tf.sigmoid(pixels)

        def objective(images: tf.Tensor, filters: tf.Tensor) -> tf.Tensor:
            live = model_ref()
            if live is None:  # pragma: no cover
                raise RuntimeError("The model was garbage collected.")
            with (
                _linear(ref.layer, self.pre_activation),
                layers_lib.capture_layer(ref) as captured,
            ):
                live(images, training=False)
            acts = tf.cast(layers_lib.single_capture(ref, captured), tf.float32)
            means = tf.reduce_mean(acts, axis=[1, 2])  # [F, K]
            return tf.gather(means, filters, axis=1, batch_dims=1)

        def transform(images: tf.Tensor, step: tf.Tensor) -> tf.Tensor:
            seed = tf.stack([tf.constant(self.seed, tf.int32), step])
            return _jitter_and_scale(images, seed, scales, jitter)

        def run(filters: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            init = tf.random.stateless_normal(
                [2, *spec_shape], tf.constant([self.seed, 1], tf.int32), stddev=0.01
            )
            params, history = _ascend(
                init,
                steps,
                lr,
                lambda params, step: objective(
                    transform(to_image(params), step), filters
                ),
            )
            images = to_image(params)
            return images, objective(images, filters), history

        return tf.function(
            run, input_signature=[tf.TensorSpec([count], tf.int32)], autograph=False
        )
