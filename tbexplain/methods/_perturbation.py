"""Shared, device-side machinery of the perturbation methods and metrics.

Everything here works on tensors inside a ``tf.function``: perturbed copies are built on
  the
device from small index tensors, ``batch_size`` copies at a time, inside one
``tf.while_loop``, so that neither all copies nor their masks are ever held in memory at
once and there is no Python loop of model calls and no host round-trip between chunks.

The helpers are used by :mod:`tbexplain.methods.occlusion`,
:mod:`tbexplain.methods.rise`, :mod:`tbexplain.methods.score_cam` and
:mod:`tbexplain.metrics`.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf

from tbexplain.methods.base import Forward, Method, Result

Fill = float | str
"""How perturbed pixels are filled: a constant, "mean", "blur" or "zeros"."""

FILL_MODES = ("mean", "blur", "zeros")


def check_fill(fill: Any, what: str = "fill") -> Fill:
    """Validates a fill specification and returns it.

    Args:
      fill: a number, or one of ``"mean"``, ``"blur"``, ``"zeros"``.
      what: the argument name used in error messages.

    Returns:
      The fill (a float or a lower-case mode name).

    Raises:
      ValueError: for anything else.
    """
    if isinstance(fill, bool):
        raise ValueError(
            f"`{what}` must be a number or one of {FILL_MODES}. Received: "
            f"{what}={fill!r}"
        )
    if isinstance(fill, (int, float, np.number)):
        if not math.isfinite(float(fill)):
            raise ValueError(f"`{what}` must be finite. Received: {what}={fill!r}")
        return float(fill)
    if isinstance(fill, str) and fill.lower() in FILL_MODES:
        return fill.lower()
    raise ValueError(
        f"`{what}` must be a number or one of {FILL_MODES}. Received: {what}={fill!r}"
    )


def default_blur_sigma(height: int, width: int) -> float:
    """The sigma of ``fill="blur"``: max(H, W) / 20 pixels (11.2 at 224), >= 1."""
    return max(1.0, max(height, width) / 20.0)


def _gaussian_kernel(sigma: float, size: int) -> np.ndarray:
    radius = min(math.ceil(3.0 * sigma), max(size - 1, 0))
    xs = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (xs / sigma) ** 2)
    return (kernel / kernel.sum()).astype(np.float32)


def gaussian_blur(images: tf.Tensor, sigma: float) -> tf.Tensor:
    """Separable Gaussian blur of ``images`` [B, H, W, C] with reflected borders.

    The kernel is truncated at 3 sigma (and at the image size); an axis of length 1 is
    left as is.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    out = images
    for axis, size in ((1, height), (2, width)):
        if size is None or size < 2:
            continue
        kernel = _gaussian_kernel(sigma, size)
        radius = len(kernel) // 2
        if radius == 0:
            continue
        pad = [[0, 0], [0, 0], [0, 0], [0, 0]]
        pad[axis] = [radius, radius]
        padded = tf.pad(out, pad, mode="REFLECT")
        shape = (
            (len(kernel), 1, channels, 1)
            if axis == 1
            else (1, len(kernel), channels, 1)
        )
        filt = tf.constant(
            np.tile(kernel.reshape((*shape[:2], 1, 1)), (1, 1, channels, 1))
        )
        out = tf.nn.depthwise_conv2d(
            padded, filt, strides=[1, 1, 1, 1], padding="VALID"
        )
    return out


def fill_images(images: tf.Tensor, fill: Fill, sigma: float | None = None) -> tf.Tensor:
    """The replacement values for ``images`` [B, H, W, C] under ``fill``."""
    if fill == "mean":
        return tf.broadcast_to(
            tf.reduce_mean(images, axis=[1, 2], keepdims=True), tf.shape(images)
        )
    if fill == "blur":
        if sigma is None:
            sigma = default_blur_sigma(images.shape[1], images.shape[2])
        return gaussian_blur(images, sigma)
    if fill == "zeros":
        return tf.zeros_like(images)
    return tf.fill(tf.shape(images), tf.constant(float(fill), images.dtype))


def chunked_scores(
    total: int | tf.Tensor,
    batch_size: int,
    score_chunk: Callable[[tf.Tensor], tf.Tensor],
) -> tf.Tensor:
    """Scores ``total`` perturbed copies, ``batch_size`` at a time, in one while loop.

    Args:
      total: how many copies there are (an int or a scalar int32 tensor).
      batch_size: copies per model call; the last call takes the remainder.
      score_chunk: ``f(indices int32 [n]) -> float32 [n]`` which builds the copies of
        those flat indices on the device and returns their scores.

    Returns:
      float32 [total] scores, in index order.
    """
    total = tf.convert_to_tensor(total, tf.int32)
    n_chunks = (total + batch_size - 1) // batch_size
    scores = tf.TensorArray(
        tf.float32,
        size=n_chunks,
        element_shape=tf.TensorShape([None]),
        infer_shape=False,
    )

    def body(j: tf.Tensor, acc: tf.TensorArray) -> tuple[tf.Tensor, tf.TensorArray]:
        idx = tf.range(j * batch_size, tf.minimum((j + 1) * batch_size, total))
        return j + 1, acc.write(j, tf.cast(score_chunk(idx), tf.float32))

    _, scores = tf.while_loop(lambda j, _: j < n_chunks, body, (tf.constant(0), scores))
    return tf.reshape(scores.concat(), [total])


def chunked_accumulate(
    n_chunks: int | tf.Tensor,
    body: Callable[[tf.Tensor, Any], Any],
    init: Any,
) -> Any:
    """Runs ``acc = body(j, acc)`` for ``j < n_chunks`` in one while loop."""

    def step(j: tf.Tensor, acc: Any) -> tuple[tf.Tensor, Any]:
        return j + 1, body(j, acc)

    _, out = tf.while_loop(lambda j, _: j < n_chunks, step, (tf.constant(0), init))
    return out


def as_image_batch(inputs: np.ndarray | tf.Tensor) -> tuple[tf.Tensor, bool]:
    """Views a batch of images [B, H, W, C] or sequences [B, T, C] as images.

    Returns:
      The float32 tensor [B, H, W, C] (sequences become [B, T, 1, C]) and whether the
      input was a sequence (so maps must be squeezed back to [B, T]).
    """
    x = tf.convert_to_tensor(inputs)
    if not x.dtype.is_floating:
        x = tf.cast(x, tf.float32)
    if x.shape.rank == 3:
        return tf.expand_dims(tf.cast(x, tf.float32), 2), True
    if x.shape.rank == 4:
        return tf.cast(x, tf.float32), False
    raise ValueError(
        "Expected images [B, H, W, C] or sequences [B, T, C]. "
        f"Received: inputs with shape {tuple(x.shape)}"
    )


class ModelCache:
    """Compiled functions cached per model (weakly keyed) and per hashable key."""

    def __init__(self) -> None:
        self._cache: weakref.WeakKeyDictionary[Any, dict[Hashable, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def get(self, model: Any, key: Hashable, build: Callable[[], Any]) -> Any:
        """The cached value for (model, key), built once with ``build()``."""
        per_model = self._cache.setdefault(model, {})
        if key not in per_model:
            per_model[key] = build()
        return per_model[key]

    def clear(self) -> None:
        """Drops every cached function."""
        self._cache = weakref.WeakKeyDictionary()


class PerturbationMethod(Method):
    """Intermediate base of the methods that score perturbed copies of the inputs.

    Runs one forward pass on the inputs (with the layer captured for layer-based
    methods), then hands `perturbation_maps` a ``score(copies, sample)`` function
    that scores copies for the sample each was made from: the explained class's
    pre-activation score, or its probability for methods with
    ``probabilities = True`` (softmax of the pre-activation outputs; sigmoid for a
    single unit); a callable target is used as is. Images are seen as [B, H, W, C]
    (sequences as [B, T, 1, C]); maps come back at input resolution.

    Args:
      perturbation_batch: perturbed copies per forward pass (copies of all samples
        of a call are mixed in the same passes); bounds the memory.
      **kwargs: passed on (``batch_size``: samples per compiled call, None for all;
        ``layer`` for layer-based methods).
    """

    probabilities: ClassVar[bool] = False

    def __init__(self, *, perturbation_batch: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (
            not isinstance(perturbation_batch, (int, np.integer))
            or isinstance(perturbation_batch, bool)
            or perturbation_batch < 1
        ):
            raise ValueError(
                "perturbation_batch must be a positive int. "
                f"Received: perturbation_batch={perturbation_batch!r}"
            )
        self.perturbation_batch = int(perturbation_batch)

    def num_copies(self, shape: Sequence[int], channels: int | None = None) -> int:
        """Perturbed copies scored per sample for inputs of ``shape`` [B, H, W, C]."""
        raise NotImplementedError

    def perturbation_maps(
        self,
        score: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
        x: tf.Tensor,
        base_scores: tf.Tensor,
        activations: tf.Tensor | None = None,
        seed: tf.Tensor | None = None,
    ) -> tf.Tensor:
        """The maps [b, H, W] of one batch (inside the compiled function).

        Args:
          score: ``score(copies [n, H, W, C], sample int32 [n]) -> float32 [n]``.
          x: float32 images [b, H, W, C] (sequences as [b, T, 1, C]).
          base_scores: float32 [b], the explained score of the unperturbed inputs.
          activations: the layer's output on ``x`` (layer-based methods only).
          seed: the int32 seed of the call.
        """
        raise NotImplementedError

    @staticmethod
    def fill_values(x: tf.Tensor, fill: Fill) -> tf.Tensor:
        """What perturbed pixels of ``x`` become under ``fill``, kept small.

        A scalar for a constant fill, [B, 1, 1, C] for ``"mean"``, [B, H, W, C] for
        ``"blur"``; pick the rows of a chunk with `fill_rows`.
        """
        if fill == "mean":
            return tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        if fill == "blur":
            return fill_images(x, fill)
        return tf.constant(0.0 if fill == "zeros" else float(fill), x.dtype)

    @staticmethod
    def fill_rows(filled: tf.Tensor, sample: tf.Tensor) -> tf.Tensor:
        """The fill values of the copies made from ``sample`` (broadcastable)."""
        if filled.shape.rank == 0:
            return filled
        return tf.gather(filled, sample)

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        sequence = x.shape.rank == 3
        if self.uses_layer:
            activations, base_scores, ids = forward.layer_output(x, class_ids)
        else:
            activations = None
            base_scores, ids = forward.forward_scores(x, class_ids)
        use_probabilities = self.probabilities and forward.score_fn is None

        def score(copies: tf.Tensor, sample: tf.Tensor) -> tf.Tensor:
            if sequence:
                copies = copies[:, :, 0, :]
            outputs = forward.outputs(copies)
            copy_ids = tf.gather(ids, sample)
            if use_probabilities:
                outputs = _probabilities(outputs)
            scores, _ = forward.scores(outputs, copy_ids)
            return tf.cast(scores, tf.float32)

        images = x[:, :, None, :] if sequence else x
        maps = self.perturbation_maps(
            score, images, tf.cast(base_scores, tf.float32), activations, seed
        )
        if sequence:
            maps = maps[:, :, 0]
        return Result(maps, base_scores, ids)


def _probabilities(outputs: Any) -> Any:
    if isinstance(outputs, (list, tuple, dict)):
        return outputs
    outputs = tf.convert_to_tensor(outputs)
    outputs = tf.reshape(outputs, [tf.shape(outputs)[0], -1])
    if outputs.shape[-1] == 1:
        return tf.sigmoid(outputs)
    return tf.nn.softmax(outputs, axis=-1)
