"""Device-side helpers shared by the perturbation methods and the metrics.

Everything here works on tensors inside a ``tf.function``: perturbed copies are
built on the device from small index tensors, ``batch_size`` copies at a time,
inside one ``tf.while_loop``, so that neither all copies nor their masks are
ever held in memory at once and there is no Python loop of model calls and no
host round-trip between chunks. Used by `tbexplain.methods.occlusion`,
`tbexplain.methods.rise`, `tbexplain.methods.score_cam` and `tbexplain.metrics`.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import tensorflow as tf

__all__ = [
    "FILL_MODES",
    "Fill",
    "ModelCache",
    "as_image_batch",
    "check_fill",
    "chunked_accumulate",
    "chunked_scores",
    "default_blur_sigma",
    "fill_images",
    "gaussian_blur",
    "probabilities",
]

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
    return kernel / kernel.sum()


@functools.lru_cache(maxsize=32)
def _blur_matrix(sigma: float, size: int) -> np.ndarray | None:
    """float32 [size, size]: the blur along an axis of `size` with reflected
    borders, as a matrix (row: output position); None where it is the identity.

    A reflected border makes the blur a linear map of the axis, so it is one
    matrix product per axis; a depthwise convolution with the same kernel is
    an order of magnitude slower on CPUs.
    """
    kernel = _gaussian_kernel(sigma, size)
    radius = len(kernel) // 2
    if radius == 0:
        return None
    rows = np.arange(size)[:, None]
    # Reflected as tf.pad's "REFLECT": -1 reads 1, size reads size - 2.
    source = np.abs(rows + np.arange(-radius, radius + 1))
    source = np.where(source > size - 1, 2 * (size - 1) - source, source)
    matrix = np.zeros((size, size))
    np.add.at(matrix, (np.broadcast_to(rows, source.shape), source), kernel)
    matrix = matrix.astype(np.float32)
    matrix.flags.writeable = False
    return matrix


def gaussian_blur(images: tf.Tensor, sigma: float) -> tf.Tensor:
    """Separable Gaussian blur of ``images`` [B, H, W, C] with reflected borders.

    The kernel is truncated at 3 sigma (and at the image size); an axis of length 1 is
    left as is.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    out = images
    for equation, size in (
        ("hk,bkwc->bhwc", images.shape[1]),
        ("wk,bhkc->bhwc", images.shape[2]),
    ):
        matrix = _blur_matrix(float(sigma), size) if size and size > 1 else None
        if matrix is not None:
            out = tf.einsum(equation, tf.constant(matrix), out)
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


def probabilities(outputs: Any) -> Any:
    """Softmax of [B, ...] scores over their flattened classes (sigmoid for one unit).

    Structures of several outputs are returned unchanged.
    """
    if isinstance(outputs, (list, tuple, dict)):
        return outputs
    outputs = tf.convert_to_tensor(outputs)
    outputs = tf.reshape(outputs, [tf.shape(outputs)[0], -1])
    if outputs.shape[-1] == 1:
        return tf.sigmoid(outputs)
    return tf.nn.softmax(outputs, axis=-1)
