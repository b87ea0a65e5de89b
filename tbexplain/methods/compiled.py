"""A method's compiled side: its state for each model and its cache of
compiled explanation functions.

A `Method` is built before any model exists; its `Compiled` keeps, weakly
keyed by model, what the method resolved of it (`ModelState`: the outputs,
the inputs, the layer, a transformer's plan; resolved once by the method's
`_prepare` hook) and up to `_MAX_FUNCTIONS_PER_MODEL` `tf.function`s, keyed by
input shape, kind of target, upsampling, explained input and context inputs,
the least recently used evicted first. Each function runs the method's
`_attribute` hook on a `Forward` and resizes its maps (`resize_map`). Neither
the cache nor its functions keep the model or the method alive.
"""

from __future__ import annotations

import collections
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import keras
import numpy as np
import tensorflow as tf

from tbexplain import calltrace, grids, kinds
from tbexplain import layers as layers_lib
from tbexplain import targets as targets_lib
from tbexplain.checks import require_tensorflow_backend
from tbexplain.inputs import (
    InputLike,
    InputSpec,
    explained_inputs,
    model_inputs,
    read_model_inputs,
)
from tbexplain.methods.feeding import Feeding
from tbexplain.methods.forward import Forward, Result

__all__ = ["Compiled", "ModelState", "default_input", "needs_sample", "resize_map"]


@dataclass
class ModelState:
    """What a method resolved of one model, and its compiled functions."""

    info: targets_lib.OutputInfo
    specs: list[InputSpec] | None  # None: one input of unknown kind
    layer: layers_lib.LayerRef | None
    layer_rank: int | None
    functions: collections.OrderedDict[Any, Any]
    grid: grids.TokenGrid | None = None  # where the layer's tokens lie
    plan: calltrace.TokenPlan | None = None  # a transformer's (rollouts)
    resolved: bool = False


def _representation_rank(spec: InputSpec, unknown: int) -> int:
    """The rank of the array a method attributes to for `spec` (`unknown` for
    an input of no known kind)."""
    kind = kinds.find(spec.kind)
    return kind.representation_rank if kind is not None else unknown


def default_input(specs: list[InputSpec] | None, layer_method: bool) -> int:
    """The input a method explains when none is named: the first explained by
    default (`tbexplain.inputs.explained_inputs`: a text model's token ids);
    for layer methods, of those, the one of the highest rank (an image beside
    its metadata)."""
    if not specs:
        return 0
    candidates = explained_inputs(specs) or [0]
    if not layer_method:
        return candidates[0]
    ranks = [_representation_rank(specs[i], 0) for i in candidates]
    return candidates[ranks.index(max(ranks))]


def _map_shape(kind: str | None, shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """The positions a map covers over an input of `kind` and `shape` (batch
    excluded; an input of no known kind is taken to end with channels)."""
    known = kinds.find(kind) if kind is not None else None
    return known.map_shape(shape) if known is not None else tuple(shape[:-1])


def _holds_ids(spec: InputSpec) -> bool:
    """Whether a made-up sample of `spec` must hold integers (token ids)."""
    kind = kinds.find(spec.kind)
    return (kind is not None and kind.token_ids) or "int" in spec.dtype


def _sample(specs: list[InputSpec] | None, arrays: list[Any] | None) -> Any:
    """One sample as the model takes it: the first of `arrays`, or without
    them one made from the inputs' shapes; None when they are not known."""
    if arrays is None:
        if not specs or any(d is None for s in specs for d in s.shape):
            return None
        rng = np.random.default_rng(0)
        shapes = [(1, *(int(d or 0) for d in s.shape)) for s in specs]
        arrays = [
            np.ones(shape, np.int32)
            if _holds_ids(s)
            else rng.random(shape).astype(np.float32)
            for s, shape in zip(specs, shapes, strict=True)
        ]
    rows = [a[:1] for a in arrays]
    if not specs or len(specs) == 1:
        return rows[0]
    return {spec.name: row for spec, row in zip(specs, rows, strict=True)}


def needs_sample(sample: Any, what: str) -> Any:
    """`sample`, raising where it is None (inputs of an unknown size)."""
    if sample is None:
        raise ValueError(
            f"Finding {what} runs the model once, on inputs of a known size: "
            "call explain(model, inputs) first, or pass inputs=. Received: "
            "inputs=None"
        )
    return sample


_MAX_FUNCTIONS_PER_MODEL = 8


def resize_map(maps: tf.Tensor, size: tuple[int, ...]) -> tf.Tensor:
    """Bilinear resize of [B, h, w] to [B, *size] ([B, t] to [B, T]; maps
    [B, d, h, w] of three axes trilinearly, as separable bilinear resizes)."""
    if tuple(maps.shape[1:]) == tuple(size):
        return maps
    if len(size) == 1:
        resized = tf.image.resize(maps[:, :, None, None], (size[0], 1), "bilinear")
        return resized[:, :, 0, 0]
    if len(size) == 3:
        depth, height, width = size
        d, h, w = maps.shape[1:]
        planes = tf.image.resize(tf.reshape(maps, [-1, h, w, 1]), (height, width))
        columns = tf.reshape(planes, [-1, d, height * width, 1])
        resized = tf.image.resize(columns, (depth, height * width), "bilinear")
        return tf.reshape(resized, [-1, depth, height, width])
    return tf.image.resize(maps[..., None], size, "bilinear")[..., 0]


class MethodHooks(Protocol):
    """What `Compiled` calls back on its method (`tbexplain.methods.base.Method`
    implements it), so that this module needs nothing of the methods' module."""

    trace_count: int

    @property
    def uses_layer(self) -> bool:
        """Whether the method explains a layer (the explained input differs)."""
        ...

    def _prepare(
        self,
        model: keras.Model,
        state: ModelState,
        sample: Callable[[], Any],
        map_shape: tuple[Any, ...],
    ) -> None: ...

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result: ...


class Compiled:
    """A method's state for each model and its compiled functions (see the
    module docstring).

    Owned by its method, which it holds weakly.
    """

    def __init__(self, method: MethodHooks) -> None:
        self._method = weakref.ref(method)
        self.states: weakref.WeakKeyDictionary[keras.Model, ModelState] = (
            weakref.WeakKeyDictionary()
        )

    def _owner(self) -> MethodHooks:
        method = self._method()
        if method is None:  # pragma: no cover
            raise RuntimeError("The method was garbage collected.")
        return method

    def state(
        self, model: keras.Model, inputs: InputLike = None, *, resolve: bool = True
    ) -> ModelState:
        """The method's state for `model`, resolved (`_prepare`) on the first
        sample of `inputs` unless `resolve` is False."""
        require_tensorflow_backend()
        if not isinstance(model, keras.Model):
            raise TypeError(
                "model must be a keras.Model. "
                f"Received: model of type {type(model).__name__}"
            )
        state = self.states.get(model)
        if state is None:
            info = targets_lib.output_info(model)
            specs = model_inputs(model)
            layer_rank = (
                _representation_rank(specs[default_input(specs, True)], 4)
                if specs
                else 4
            )
            state = ModelState(info, specs, None, layer_rank, collections.OrderedDict())
            self.states[model] = state
        if resolve and not state.resolved:
            arrays = None if inputs is None else read_model_inputs(inputs, state.specs)
            self.resolve(model, state, arrays)
        return state

    def resolve(
        self,
        model: keras.Model,
        state: ModelState,
        arrays: list[Any] | None,
        rank: int | None = None,
    ) -> None:
        """Runs `_prepare` once per model (and again for another input rank)."""
        if rank is None and state.resolved:
            return
        method = self._owner()
        explained = default_input(state.specs, method.uses_layer)
        kind = state.specs[explained].kind if state.specs else None
        if arrays is not None:
            shape = tuple(np.shape(arrays[explained])[1:])
        elif state.specs:
            shape = tuple(state.specs[explained].shape)
        else:
            shape = ()
        if rank is not None:
            state.layer_rank = rank

        def sample() -> Any:
            return _sample(state.specs, arrays)

        method._prepare(model, state, sample, _map_shape(kind, shape))
        state.resolved = True

    def function(
        self,
        model: keras.Model,
        state: ModelState,
        shape: tuple[int, ...],
        score_fn: Callable[[Any], Any] | None,
        upsample: bool = True,
        feeding: Feeding | None = None,
        context: tuple[Any, ...] = (),
        arrays: list[Any] | None = None,
    ) -> Any:
        """The compiled function for inputs of `shape` and these targets,
        from the cache or compiled (evicting the least recently used); a layer
        method resolves its layer again for inputs of another rank."""
        feeding = feeding or Feeding(state.specs)
        key = (
            tuple(shape),
            id(score_fn) if score_fn is not None else None,
            upsample,
            feeding.explained,
            tuple((tuple(c.shape[1:]), str(c.dtype)) for c in context),
        )
        entry = state.functions.get(key)
        if entry is not None and entry[1] is score_fn:
            state.functions.move_to_end(key)
            return entry[0]
        if state.layer is not None and state.layer_rank != len(shape) + 1:
            self.resolve(model, state, arrays, rank=len(shape) + 1)
        function = self._compile(
            model, state, tuple(shape), score_fn, upsample, feeding, context
        )
        state.functions[key] = (function, score_fn)
        while len(state.functions) > _MAX_FUNCTIONS_PER_MODEL:
            state.functions.popitem(last=False)
        return function

    def _compile(
        self,
        model: keras.Model,
        state: ModelState,
        shape: tuple[int, ...],
        score_fn: Callable[[Any], Any] | None,
        upsample: bool,
        feeding: Feeding,
        context: tuple[Any, ...],
    ) -> Any:
        spatial = feeding.map_shape(shape)
        signature = [
            tf.TensorSpec([None, *shape], tf.float32),
            tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([None], tf.int32),
            tf.TensorSpec([], tf.int32),
            *(
                tf.TensorSpec([None, *c.shape[1:]], tf.as_dtype(c.dtype))
                for c in context
            ),
        ]
        # A callable object, not a closure: TF's "frequent retracing" detector
        # keys plain functions by their code object, which every compiled
        # function here would share.
        explain_batch = _ExplainBatch(
            self._owner(), model, state, score_fn, spatial, upsample, feeding
        )
        return tf.function(explain_batch, input_signature=signature, autograph=False)


class _ExplainBatch:
    """The Python body of one compiled explanation function.

    Holds the model and the method weakly, so the cache (owned by the method,
    weakly keyed by the model) does not keep either alive.
    """

    def __init__(
        self,
        method: MethodHooks,
        model: keras.Model,
        state: ModelState,
        score_fn: Callable[[Any], Any] | None,
        spatial: tuple[int, ...],
        upsample: bool,
        feeding: Feeding,
    ) -> None:
        self._feeding = feeding
        self._method = weakref.ref(method)
        self._model = weakref.ref(model)
        self._info = state.info
        self._layer = state.layer
        self._plan = state.plan
        self._grid = state.grid
        self._score_fn = score_fn
        self._spatial = spatial
        self._upsample = upsample

    def __call__(
        self,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
        *context: tf.Tensor,
    ) -> Result:
        method = self._method()
        model = self._model()
        if method is None or model is None:  # pragma: no cover
            raise RuntimeError("The model or method was garbage collected.")
        method.trace_count += 1
        forward = Forward(
            model,
            self._info,
            self._layer,
            self._score_fn,
            self._feeding,
            context,
            self._spatial,
            self._plan,
            self._grid,
        )
        forward.fix_regions(x, index)
        result = method._attribute(forward, x, class_ids, index, seed)
        maps = tf.cast(result.maps, tf.float32)
        if maps.shape.rank != len(self._spatial) + 1:
            raise ValueError(
                f"{type(method).__name__} produced maps of shape {maps.shape}; "
                f"expected rank {len(self._spatial) + 1}."
            )
        return Result(
            resize_map(maps, self._spatial) if self._upsample else maps,
            tf.cast(result.scores, tf.float32),
            tf.cast(result.class_ids, tf.int32),
        )
