"""Which score of a model an explanation explains.

A *target* is one of:

- ``None``: the predicted class of each sample (argmax of the outputs);
- an ``int``: that class for every sample;
- a sequence of ints (or an int array): one class per sample;
- a callable ``outputs -> [B]`` scores, for regression, multi-output models or
  anything else. It receives the model's outputs exactly as the model returns
  them (a tensor, or the structure of tensors of a multi-output model).

Class targets are explained on the **pre-activation** score: when the model's
final layer applies softmax or sigmoid (a Dense/Conv with
``activation="softmax"``, an ``Activation("softmax")`` or a ``Softmax`` layer,
also when the last layer is itself a nested model ending that way), the
explanation runs the model with that final activation replaced by the identity
(`pre_activation_outputs`). The user's model is not changed: the replacement
only lives while the explanation function is traced and is restored on exit,
also on error. A model with a **single sigmoid unit** (binary classifier) has
one logit: every class target is column 0, i.e. the positive class is
explained (a negative score means "negative class"); this is logged once per
model.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tbexplain.layers import patched_call

__all__ = [
    "OutputInfo",
    "ResolvedTargets",
    "Segment",
    "TargetLike",
    "callable_scores",
    "class_scores",
    "output_info",
    "pre_activation_outputs",
    "resolve_targets",
    "segment",
]

_LOG = logging.getLogger(__name__)

TargetLike = int | Sequence[int] | np.ndarray | Callable[[Any], Any] | None

PREDICTED = -1  # class id meaning "the predicted class of this sample"

_SQUASHING = ("softmax", "sigmoid", "log_softmax")


@dataclass(frozen=True)
class ResolvedTargets:
    """Targets for `n` samples: class ids (-1 = predicted) or a score callable."""

    class_ids: np.ndarray | None  # int32 [n]; None when `fn` is set
    fn: Callable[[Any], Any] | None = None


@dataclass
class OutputInfo:
    """What a model outputs, as far as it is known before running it."""

    num_classes: int | None  # last dim of the single output; None if unknown
    multi_output: bool
    final_activation: str | None  # "softmax" | "sigmoid" | ... | None
    layer: keras.layers.Layer | None  # the layer whose activation is removed
    single_sigmoid: bool


def _activation_name(fn: Any) -> str | None:
    name = getattr(fn, "__name__", None)
    return name if name in _SQUASHING else None


def _output_layer(model: keras.Model) -> tuple[keras.layers.Layer | None, bool]:
    """(the layer producing the model's single output, multi_output)."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if not outputs:
        if isinstance(model, keras.Sequential) and model.layers:
            layer = model.layers[-1]
        else:
            return None, False
    else:
        if len(outputs) > 1:
            return None, True
        history = getattr(outputs[0], "_keras_history", None)
        if history is None:
            return None, False
        layer = history.operation
    if isinstance(layer, keras.Model):
        inner, multi = _output_layer(layer)
        return (inner, multi) if inner is not None or multi else (layer, False)
    return layer, False


def output_info(model: keras.Model) -> OutputInfo:
    """Describes the model's output: classes, multi-output, final activation."""
    layer, multi = _output_layer(model)
    num_classes = None
    if not multi:
        try:
            shape = model.outputs[0].shape if model.outputs else None
        except (AttributeError, ValueError):
            shape = None
        if shape is not None and len(shape) >= 2 and shape[-1] is not None:
            num_classes = int(shape[-1])
    activation = None
    if layer is not None:
        if isinstance(layer, keras.layers.Softmax):
            activation = "softmax"
        else:
            activation = _activation_name(getattr(layer, "activation", None))
    single_sigmoid = activation == "sigmoid" and num_classes == 1
    return OutputInfo(num_classes, multi, activation, layer, single_sigmoid)


@contextlib.contextmanager
def _linear_activation(layer: keras.layers.Layer) -> Iterator[None]:
    if isinstance(layer, keras.layers.Softmax):

        def wrapper(original: Any) -> Any:
            def call(inputs: Any, *args: Any, **kwargs: Any) -> Any:
                return inputs

            return call

        with patched_call(layer, wrapper):
            yield
        return
    original = layer.activation
    object.__setattr__(layer, "activation", keras.activations.linear)
    try:
        yield
    finally:
        object.__setattr__(layer, "activation", original)


_warned: weakref.WeakSet[Any] = weakref.WeakSet()


def pre_activation_outputs(
    model: keras.Model, x: tf.Tensor, info: OutputInfo, *, logits: bool = True
) -> Any:
    """Runs `model` on `x` (inference mode), without its final squashing.

    With ``logits=False`` (or when the model has no final softmax/sigmoid) the
    outputs are the model's own.
    """
    if not logits or info.layer is None or info.final_activation is None:
        return model(x, training=False)
    if info.single_sigmoid and model not in _warned:
        _warned.add(model)
        _LOG.warning(
            "Model '%s' ends in a single sigmoid unit: explaining the positive "
            "class's logit (column 0) for every class target.",
            model.name,
        )
    with _linear_activation(info.layer):
        return model(x, training=False)


def resolve_targets(
    targets: TargetLike, n: int, info: OutputInfo | None = None
) -> ResolvedTargets:
    """Turns a user's `targets` into class ids for `n` samples or a callable.

    Raises:
        ValueError: A class out of range, a wrong number of targets, or class
            targets for a multi-output model.
        TypeError: An unsupported type.
    """
    if callable(targets):
        return ResolvedTargets(None, targets)
    if info is not None and info.multi_output:
        raise ValueError(
            "The model has several outputs: pass targets=callable(outputs) -> [B] "
            f"scores to choose what to explain. Received: targets={targets!r}"
        )
    if targets is None:
        ids = np.full((n,), PREDICTED, dtype=np.int32)
        return ResolvedTargets(ids)
    if isinstance(targets, (bool, np.bool_)):
        raise TypeError(
            f"targets must be an int class id. Received: targets={targets!r}"
        )
    if isinstance(targets, (int, np.integer)):
        ids = np.full((n,), int(targets), dtype=np.int64)
    else:
        if tf.is_tensor(targets):
            targets = targets.numpy()  # type: ignore[union-attr]
        try:
            ids = np.asarray(targets)
        except Exception as err:  # pragma: no cover - defensive
            raise TypeError(
                f"Unsupported targets. Received: targets={targets!r}"
            ) from err
        if ids.dtype.kind not in "iu" or ids.ndim != 1:
            raise TypeError(
                "targets must be None, an int, one int per sample or a callable. "
                f"Received: targets={targets!r}"
            )
        if ids.shape[0] != n:
            raise ValueError(
                f"targets must have one class per sample ({n}). "
                f"Received: {ids.shape[0]} targets"
            )
    if (ids < 0).any():
        raise ValueError(f"Class targets must be >= 0. Received: targets={targets!r}")
    if info is not None and info.num_classes is not None:
        bad = ids[ids >= info.num_classes]
        if bad.size:
            raise ValueError(
                f"Target class {int(bad[0])} is out of range: the model has "
                f"{info.num_classes} output(s). Received: targets={targets!r}"
            )
    return ResolvedTargets(ids.astype(np.int32))


def class_scores(
    outputs: Any, class_ids: tf.Tensor, *, check: bool = True
) -> tuple[tf.Tensor, tf.Tensor]:
    """Scores of `class_ids` ([B] int32, -1 = predicted) in `outputs` [B, C].

    Args:
        outputs: The model's (pre-activation) outputs.
        class_ids: The classes, -1 for each row's predicted class.
        check: Whether `class_ids` still need resolving (-1) and checking
            (an assert op). The copies a method makes of a batch whose
            classes were resolved and checked skip both.

    Returns:
        (scores [B], the class ids actually explained [B]).
    """
    if isinstance(outputs, (list, tuple, dict)):
        raise ValueError(
            "The model has several outputs: pass targets=callable(outputs) -> [B]."
        )
    outputs = tf.convert_to_tensor(outputs)
    if outputs.shape.rank is not None and outputs.shape.rank > 2:
        outputs = tf.reshape(outputs, [tf.shape(outputs)[0], -1])
    if outputs.shape.rank == 1:
        outputs = outputs[:, None]
    if not check:
        return tf.gather(outputs, class_ids, axis=1, batch_dims=1), class_ids
    predicted = tf.argmax(outputs, axis=-1, output_type=tf.int32)
    ids = tf.where(class_ids < 0, predicted, class_ids)
    tf.debugging.assert_less(
        ids,
        tf.shape(outputs, out_type=tf.int32)[-1],
        message="tbexplain: target class out of range of the model's outputs",
    )
    scores = tf.gather(outputs, ids, axis=1, batch_dims=1)
    return scores, ids


def callable_scores(fn: Callable[[Any], Any], outputs: Any) -> tf.Tensor:
    """[B] scores from a user's callable, checked for shape."""
    scores = tf.convert_to_tensor(fn(outputs))
    if scores.shape.rank == 2 and scores.shape[-1] == 1:
        scores = scores[:, 0]
    if scores.shape.rank != 1:
        raise ValueError(
            "A targets callable must return one score per sample, shape [B]. "
            f"Received: shape={scores.shape}"
        )
    return scores


class Segment:
    """A segmentation target: one class's score summed over a region of the map.

    Create with `segment`. Called on the model's outputs [B, H, W, K] it
    returns ``sum over the region of the class's score`` per sample [B]. The
    region is fixed per explained sample: the pixels the model assigns to the
    class on the sample itself (``region="predicted"``) or given masks; the
    explanation methods compute it once per sample and use it for every
    perturbed copy and interpolation point of that sample, so the target does
    not move while a method probes the model. Scores are taken before a final
    softmax or sigmoid, as for class targets.

    Attributes:
      class_id: The class.
      masks: The given region masks [N, H, W] (one per explained sample), or
        None for the predicted region.
    """

    logits = True

    def __init__(self, class_id: int, region: Any = "predicted") -> None:
        if isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer)):
            raise TypeError(f"class_id must be an int. Received: class_id={class_id!r}")
        if class_id < 0:
            raise ValueError(f"class_id must be >= 0. Received: class_id={class_id}")
        self.class_id = int(class_id)
        if isinstance(region, str):
            if region != "predicted":
                raise ValueError(
                    'region must be "predicted" or masks [N, H, W]. '
                    f"Received: region={region!r}"
                )
            self.masks = None
        else:
            masks = np.asarray(region)
            if masks.ndim == 4 and masks.shape[-1] == 1:
                masks = masks[..., 0]
            if masks.ndim != 3:
                raise ValueError(
                    'region must be "predicted" or masks [N, H, W]. '
                    f"Received: region with shape {masks.shape}"
                )
            self.masks = masks.astype(np.float32)
        where = "its predicted region" if self.masks is None else "the given region"
        self.__name__ = f"class {self.class_id} over {where}"

    def __repr__(self) -> str:
        region = "'predicted'" if self.masks is None else f"masks{self.masks.shape}"
        return f"segment({self.class_id}, region={region})"

    def _class_map(self, outputs: Any) -> tf.Tensor:
        if isinstance(outputs, (list, tuple, dict)):
            raise ValueError(
                "segment targets need one output [B, H, W, K]. "
                "Received: a model with several outputs"
            )
        outputs = tf.convert_to_tensor(outputs)
        if outputs.shape.rank != 4:
            raise ValueError(
                "segment targets need a segmentation output [B, H, W, K]. "
                f"Received: outputs of shape {tuple(outputs.shape)}"
            )
        return tf.cast(outputs, tf.float32)

    def regions(self, outputs: Any, index: tf.Tensor) -> tf.Tensor:
        """The region [b, H, W] (float 0/1) of each sample of a batch.

        Args:
          outputs: The model's outputs on the batch's own inputs.
          index: int32 [b]: each sample's index among the explained samples
            (rows of given masks).
        """
        scores = self._class_map(outputs)
        if self.masks is not None:
            return tf.gather(tf.constant(self.masks), index)
        predicted = tf.argmax(scores, axis=-1, output_type=tf.int32)
        return tf.cast(predicted == self.class_id, tf.float32)

    def score(self, outputs: Any, regions: tf.Tensor) -> tf.Tensor:
        """The class's score summed over `regions` [n, H, W], per row [n]."""
        scores = self._class_map(outputs)[..., self.class_id]
        return tf.reduce_sum(scores * regions, axis=[1, 2])

    def __call__(self, outputs: Any) -> tf.Tensor:
        """[B] scores over each sample's region, found on these outputs."""
        index = tf.range(tf.shape(self._class_map(outputs))[0])
        return self.score(outputs, tf.stop_gradient(self.regions(outputs, index)))


def segment(class_id: int, region: Any = "predicted") -> Segment:
    """A target for segmentation models: `class_id` summed over a region.

    Example::

        tbx.ExplainCallback(x_probe, methods=[tbx.GradCAM()],
                            targets=tbx.targets.segment(2), log_dir=...)

    Args:
      class_id: The class whose score is explained.
      region: ``"predicted"`` (the pixels the model assigns to the class on
        each sample) or masks [N, H, W] of the explained samples.

    Returns:
      A `Segment` target (a callable ``outputs -> [B]`` with a fixed region
      per sample).
    """
    return Segment(class_id, region)
