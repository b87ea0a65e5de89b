"""How the metrics that call a model feed it perturbed copies of the input a map
explains.

A map scores positions of one input: pixels of an image, steps of a
sequence, tokens, features, voxels. `ExplainedInput` reads the model's
inputs (`tbexplain.inputs`), picks the explained one and views it as the
array the explanation methods attribute to (`tbexplain.methods.feeding`:
features [B, F, 1], token ids as their embeddings [B, T, E], the rest as
given), flattened to positions x channels [B, P, C]. A perturbed copy
replaces some positions (all their channels) by a baseline; inside a
compiled function, a `CopyFeeder` runs the model on copies with the other
inputs of the sample each copy was made from. For token ids the
baseline is always the pad token's embedding (zeros when the pad token is
unknown), as for the perturbation methods. `Perturbation` reads what every
such metric takes (the input, its maps, the baseline, the classes, how a
copy is scored) once, and finds its compiled function in `CACHE`.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import numpy as np
import tensorflow as tf

from tbexplain import kinds
from tbexplain.inputs import InputSpec, model_inputs, read_model_inputs
from tbexplain.methods.feeding import Feeding
from tbexplain.metrics._common import ScoreFn, check_class_ids, finite_rows
from tbexplain.perturbation import (
    ModelCache,
    check_fill,
    default_blur_sigma,
    gaussian_blur,
    probabilities,
)

__all__ = [
    "CACHE",
    "CopyFeeder",
    "CopyPlan",
    "ExplainedInput",
    "Perturbation",
    "class_score",
    "first_output",
    "input_index",
    "softmax_score",
]

CACHE = ModelCache()
"""The metrics' compiled functions, per model (weakly keyed) and per key."""

_Fn = TypeVar("_Fn")


def first_output(outputs: Any) -> tf.Tensor:
    """The first output of a model (of a dict, list or tuple of them), float32."""
    if isinstance(outputs, dict):
        outputs = next(iter(outputs.values()))
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    return tf.cast(outputs, tf.float32)


def class_score(outputs: tf.Tensor, class_ids: tf.Tensor) -> tf.Tensor:
    """The output of each row's class (the only unit of a one-unit output)."""
    outputs = tf.reshape(outputs, [tf.shape(outputs)[0], -1])
    if outputs.shape[-1] == 1:
        return outputs[:, 0]
    return tf.gather(outputs, class_ids, axis=1, batch_dims=1)


def softmax_score(outputs: tf.Tensor, class_ids: tf.Tensor) -> tf.Tensor:
    """The softmax probability of each row's class (sigmoid for one unit)."""
    return class_score(probabilities(outputs), class_ids)


def _positions(spec: InputSpec | None, array: Any) -> tuple[int, ...]:
    """The positions a map of the input `spec` (`array` a batch of it) covers,
    as its kind says (`tbexplain.kinds.Kind.map_shape`)."""
    shape = tuple(int(d) for d in array.shape[1:])
    kind = kinds.find(spec.kind) if spec is not None else None
    kind = kind or kinds.of_input(len(shape))
    return tuple(kind.map_shape(shape)) if kind is not None else shape


def input_index(specs: Sequence[InputSpec] | None, count: int, input: str | int) -> int:
    """The index of the model input `input` names (a name or an index).

    Raises:
      ValueError: no such input.
    """
    names = [spec.name for spec in specs] if specs else []
    if isinstance(input, str) and input in names:
        return names.index(input)
    if (
        isinstance(input, (int, np.integer))
        and not isinstance(input, bool)
        and 0 <= input < count
    ):
        return int(input)
    raise ValueError(
        f"input must name one of the model's inputs {names} (or be its index). "
        f"Received: input={input!r}"
    )


def _explained(
    specs: Sequence[InputSpec] | None,
    arrays: Sequence[Any],
    input: str | int | None,
    map_positions: tuple[int, ...] | None,
) -> int:
    """The index of the input a map explains (see `ExplainedInput`)."""
    if input is not None:
        return input_index(specs, len(arrays), input)
    if len(arrays) == 1:
        return 0
    matching = [
        i
        for i, a in enumerate(arrays)
        if _positions(specs[i] if specs else None, a) == map_positions
    ]
    if len(matching) == 1:
        return matching[0]
    names = [spec.name for spec in specs] if specs else []
    raise ValueError(
        f"The model takes several inputs {names}: pass input= to say which one "
        f"the maps explain. Received: maps of positions {map_positions}"
    )


class ExplainedInput:
    """One input of a model, as positions x channels, ready to be perturbed.

    Args:
      model: The Keras model.
      inputs: Its inputs as `tbexplain.methods.Method.explain` takes them (a
        dict by input name for several).
      input: The explained input's name or index; None: the only input, or
        the one whose positions match `map_positions`.
      map_positions: The shape of a map without its batch axis, if known.

    Attributes:
      x: float32 [B, P, C]: the explained input as the methods see it.
      spatial: The positions' shape (P is their product).
      natural: The shape of one sample of `x` before flattening.
      context: The model's inputs, when the model needs them besides `x`.
      key: What a compiled function of this input depends on (the batch
        size and the shapes of one sample and of the other inputs).
      feeding: The explained input's `Feeding`.
    """

    def __init__(
        self,
        model: Any,
        inputs: Any,
        input: str | int | None = None,
        map_positions: tuple[int, ...] | None = None,
    ) -> None:
        specs = model_inputs(model)
        arrays = read_model_inputs(inputs, specs)
        index = _explained(specs, arrays, input, map_positions)
        self.feeding = Feeding(specs, index)
        kind = kinds.find(self.feeding.kind) if self.feeding.kind else None
        self._neighbours = kind is None or kind.neighbours
        rep = tf.convert_to_tensor(self.feeding.representation(arrays), tf.float32)
        self.natural = tuple(int(d) for d in rep.shape[1:])
        self.spatial = self.natural[:-1]
        self.batch = int(rep.shape[0])
        self.positions = int(np.prod(self.spatial))
        self.channels = self.natural[-1]
        self.x = tf.reshape(rep, [self.batch, self.positions, self.channels])
        self.context = (
            tuple(tf.convert_to_tensor(a) for a in arrays)
            if self.feeding.needs_context
            else ()
        )
        # Everything a `CopyPlan` takes from this input: the batch size too, as
        # a compiled function reshapes its copies' scores to [B, ...].
        self.key: Hashable = (
            self.feeding.kind,
            index,
            self.batch,
            self.natural,
            tuple((tuple(c.shape[1:]), c.dtype.name) for c in self.context),
        )

    # ---------------------------------------------------- outside the function

    def flat_maps(self, maps: Any) -> np.ndarray:
        """`maps` [B, *spatial] (a trailing axis of 1 allowed) as float64 [B, P].

        Raises:
          ValueError: maps of another shape.
        """
        arr = np.asarray(maps, dtype=np.float64)
        if arr.ndim == len(self.spatial) + 2 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        if arr.shape != (self.batch, *self.spatial):
            raise ValueError(
                "`maps` must have one map per input at input resolution, shape "
                f"{(self.batch, *self.spatial)}. Received: maps with shape "
                f"{np.shape(maps)}"
            )
        return arr.reshape(self.batch, self.positions)

    def baseline(self, baseline: Any) -> tf.Tensor:
        """What a removed position becomes, float32, broadcastable to `x`:
        [B, P, C], [B, 1, C] for ``"mean"``, [1, 1, 1] for a constant.

        Args:
          baseline: ``"zeros"``, ``"mean"`` (per sample and channel),
            ``"blur"`` (kinds whose positions have neighbours; sigma
            max(H, W) / 20), a constant, an array broadcastable to the
            inputs, or None: blur where positions have neighbours, zeros for
            features. Token ids always become the pad token.

        Raises:
          ValueError: an unknown baseline, or blur for a kind without
            neighbours (features).
        """
        natural = tf.reshape(self.x, [self.batch, *self.natural])
        token = self.feeding.baseline(natural)
        if token is not None:
            return tf.reshape(token, tf.shape(self.x))
        if isinstance(baseline, (np.ndarray, tf.Tensor)):
            array = tf.cast(tf.convert_to_tensor(baseline), tf.float32)
            if self.feeding.fed == kinds.FED_AS_CHANNEL:
                array = array[..., None]
            base = tf.broadcast_to(array, tf.shape(natural))
            return tf.reshape(base, tf.shape(self.x))
        if baseline is None:
            baseline = "blur" if self._neighbours else "zeros"
        fill = check_fill(baseline, "baseline")
        if fill == "mean":
            return tf.reduce_mean(self.x, axis=1, keepdims=True)
        if fill == "blur":
            return tf.reshape(self._blurred(natural), tf.shape(self.x))
        value = 0.0 if fill == "zeros" else float(fill)
        return tf.fill([1, 1, 1], value)

    def _blurred(self, natural: tf.Tensor) -> tf.Tensor:
        if not self._neighbours:
            raise ValueError(
                f"A blurred baseline has no meaning for {self.feeding.kind}: pass "
                "baseline='zeros', a constant or an array (e.g. the training "
                "means). Received: baseline='blur'"
            )
        if len(self.spatial) == 1:  # sequences: a [T, 1] image
            images = natural[:, :, None, :]
        elif len(self.spatial) == 3:  # three spatial axes: each 2-D slice alone
            images = tf.reshape(natural, [-1, *self.natural[1:]])
        else:
            images = natural
        height, width = int(images.shape[1]), int(images.shape[2])
        return gaussian_blur(images, default_blur_sigma(height, width))

    def feeder(self, model: Any) -> CopyFeeder:
        """The `CopyFeeder` of this input for a compiled function."""
        return CopyFeeder(self.feeding, self.natural, model)


class CopyFeeder:
    """Runs a model on copies [n, P, C] of an `ExplainedInput`, inside a
    compiled function; holds no data, only how to feed the model.

    Args:
      feeding: The explained input's `Feeding`.
      natural: The shape of one sample before flattening.
      model: The model (held weakly).
    """

    def __init__(self, feeding: Feeding, natural: tuple[int, ...], model: Any) -> None:
        self.feeding = feeding
        self.natural = natural
        self._model = weakref.ref(model)

    def outputs(
        self, copies: tf.Tensor, context: Sequence[tf.Tensor], rows: tf.Tensor | None
    ) -> tf.Tensor:
        """The model's first output [n, ...] (float32) on copies [n, P, C],
        made from the samples `rows` (None: the batch itself)."""
        model = self._model()
        if model is None:  # pragma: no cover
            raise RuntimeError("The model was garbage collected.")
        copies = tf.reshape(copies, [-1, *self.natural])
        with self.feeding.rules(copies):
            fed = self.feeding.feed(copies, context, rows)
            return first_output(model(fed, training=False))

    def predicted(self, x: tf.Tensor, context: Sequence[tf.Tensor]) -> tf.Tensor:
        """The class of the highest output of each sample of `x`, int32 [B]."""
        outputs = self.outputs(x, context, None)
        flat = tf.reshape(outputs, [tf.shape(outputs)[0], -1])
        return tf.argmax(flat, axis=-1, output_type=tf.int32)


@dataclasses.dataclass(frozen=True)
class CopyPlan:
    """What a perturbation metric's compiled function depends on besides the
    metric's own settings. It holds no data, so the function can be cached.

    Attributes:
      feeder: Runs the model on copies.
      batch: The number of samples B.
      positions: The number of positions P of a sample.
      score_fn: Scores the model's outputs on copies.
      predict: The function finds each sample's class itself (the predicted
        one), as no class ids are given.
      base_rows: There is one baseline per sample rather than one for all.
    """

    feeder: CopyFeeder
    batch: int
    positions: int
    score_fn: ScoreFn
    predict: bool
    base_rows: bool


@dataclasses.dataclass(frozen=True, eq=False)
class Perturbation:
    """The arguments every perturbation metric takes, read once.

    Attributes:
      source: The explained input.
      flat: float64 [B, P]: the maps, flattened.
      finite: bool [B]: the maps with only finite values; the others have no
        defined metric (NaN).
      base: What a replaced position becomes (`ExplainedInput.baseline`).
      class_ids: int32 [B], or None: each sample's predicted class.
      score_fn: Scores the model's outputs on copies.
    """

    source: ExplainedInput
    flat: np.ndarray
    finite: np.ndarray
    base: tf.Tensor
    class_ids: np.ndarray | None
    score_fn: ScoreFn

    @classmethod
    def read(
        cls,
        model: Any,
        inputs: Any,
        maps: Any,
        class_ids: Any,
        *,
        baseline: Any,
        score_fn: ScoreFn | None,
        softmax: bool,
        input: str | int | None,
    ) -> Perturbation:
        """Reads the arguments shared by the metrics (see `tbexplain.metrics.deletion`).

        Raises:
          ValueError: an input, maps, baseline or class ids the metrics cannot
            use.
        """
        source = ExplainedInput(model, inputs, input, tuple(np.shape(maps)[1:]))
        flat = source.flat_maps(maps)
        finite = finite_rows(flat)
        base = source.baseline(baseline)
        ids = check_class_ids(class_ids, source.batch)
        if score_fn is None:
            score_fn = softmax_score if softmax else class_score
        return cls(source, flat, finite, base, ids, score_fn)

    @property
    def predict(self) -> bool:
        """Whether each sample's class is its predicted one."""
        return self.class_ids is None

    @property
    def base_rows(self) -> bool:
        """Whether there is one baseline per sample rather than one for all."""
        return bool(self.base.shape[0] > 1)

    def compiled(
        self,
        model: Any,
        name: str,
        settings: tuple[Hashable, ...],
        build: Callable[..., _Fn],
    ) -> _Fn:
        """The metric's compiled function, ``build(plan, *settings)`` (a
        `CopyPlan`), built once per model and what it depends on."""
        key = (
            name,
            self.source.key,
            *settings,
            self.score_fn,
            self.predict,
            self.base_rows,
        )
        return CACHE.get(model, key, lambda: build(self._plan(model), *settings))

    def _plan(self, model: Any) -> CopyPlan:
        return CopyPlan(
            self.source.feeder(model),
            self.source.batch,
            self.source.positions,
            self.score_fn,
            self.predict,
            self.base_rows,
        )

    def arguments(self, *settings: tf.Tensor) -> tuple[Any, ...]:
        """What the compiled function takes: the input, the maps (zeros for
        those with a non-finite value), the class ids, the baseline, then
        `settings` and the model's other inputs."""
        maps = np.where(self.finite[:, None], self.flat, 0.0)
        return (
            self.source.x,
            tf.constant(maps, tf.float32),
            None if self.class_ids is None else tf.constant(self.class_ids),
            self.base,
            *settings,
            *self.source.context,
        )

    def undefined_as_nan(self, values: np.ndarray) -> np.ndarray:
        """`values` [B, ...] with NaN for the maps with a non-finite value."""
        values[~self.finite] = np.nan
        return values
