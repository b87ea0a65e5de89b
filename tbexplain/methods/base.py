"""The base of every explanation method.

A `Method` is a configuration object: it is built before any model exists (so
a callback can hold it) and compiles one `tf.function` per model (weakly
keyed), per input shape and per kind of target, reused on every later call
without retracing (the batch dimension is dynamic). The base class owns the
shared work:

- input sanitising (`tbexplain.inputs`): numpy, `tf.Tensor` or a finite
  `tf.data.Dataset` -> float32 batches; images are [B, H, W, C], sequences
  [B, T, C];
- targets (`tbexplain.targets`): None / int / one int per sample / callable,
  explained on the pre-softmax (pre-sigmoid) score;
- layer resolution (`tbexplain.layers`) for layer-based methods, with a
  transformer's tokens put on their grid (`tbexplain.grids`), so every CAM
  sees a map [B, h, w, K] (or [B, t, K] over token ids);
- batching (``batch_size``), bilinear resizing of a layer map to the input
  resolution (skipped with ``upsample=False``, which returns the CAM family's
  maps at the layer's resolution), and the float32 numpy result.

A subclass implements one hook, `Method._attribute`, which runs inside the
compiled function and returns the map of one batch, using a `Forward` (the
traced view of the model: scores, gradients with respect to the input or to
the chosen layer's output, and optional rules such as guided ReLUs).

Shared arguments, described once here:

- ``batch_size``: samples per compiled call (None: all at once). Results do not
  depend on it.
- ``layer`` (layer-based methods): None for the last layer with a spatial
  output (searched inside nested models) or, for a transformer, its last
  tokens the score depends on (`tbexplain.calltrace`); a name, a nested path
  such as ``"mobilenetv2_1.00_96/out_relu"`` or
  ``"vit_backbone/vit_encoder/transformer_block_2"`` (sublayers of custom
  layers too), or a Layer object.
- ``seed`` (stochastic methods): maps are a deterministic function of the seed
  and of each sample's index in the ``explain`` call, so they do not depend on
  ``batch_size``. None draws a fresh seed per call.
"""

from __future__ import annotations

import collections
import contextlib
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple, TypeVar

import keras
import numpy as np
import tensorflow as tf

from tbexplain import calltrace, grids, kinds
from tbexplain import layers as layers_lib
from tbexplain import targets as targets_lib
from tbexplain.attention import attention_layers
from tbexplain.attention import capture as attention_capture
from tbexplain.checks import positive_int, require_tensorflow_backend
from tbexplain.inputs import (
    InputLike,
    InputSpec,
    explained_inputs,
    model_inputs,
    read_model_inputs,
)
from tbexplain.methods.feeding import Feeding

__all__ = [
    "REGISTRY",
    "Explanation",
    "Forward",
    "LayerMethod",
    "Method",
    "Result",
    "reduce_channels",
    "register",
]

REGISTRY: dict[str, type[Method]] = {}

M = TypeVar("M", bound="type[Method]")


def register(cls: M) -> M:
    """Class decorator adding a method to `REGISTRY` under ``cls.name``."""
    name = cls.name
    if not name:
        raise ValueError(f"A registered method needs a name. Received: {cls!r}")
    if name in REGISTRY and REGISTRY[name] is not cls:
        raise ValueError(
            f"Method name '{name}' is already registered by {REGISTRY[name]}"
        )
    REGISTRY[name] = cls
    return cls


@dataclass(frozen=True)
class Explanation:
    """Maps with the targets they explain.

    Attributes:
        maps: float32 [B, H, W] (images) or [B, T] (sequences).
        class_ids: int32 [B] classes explained, or None for callable targets.
        scores: float32 [B], the explained (pre-activation) score of each sample.
    """

    maps: np.ndarray
    class_ids: np.ndarray | None
    scores: np.ndarray


class Result(NamedTuple):
    """What `Method._attribute` returns for one batch (tensors)."""

    maps: tf.Tensor  # [B, h, w] or [B, t] (resized by the base), or input-res
    scores: tf.Tensor  # [B]
    class_ids: tf.Tensor  # [B] int32 (-1 for callable targets)


def reduce_channels(values: tf.Tensor, how: str) -> tf.Tensor:
    """Reduces the last (channel) axis: "sum", "mean", "max", "max_abs", "abs_sum"."""
    if how == "sum":
        return tf.reduce_sum(values, axis=-1)
    if how == "mean":
        return tf.reduce_mean(values, axis=-1)
    if how == "max":
        return tf.reduce_max(values, axis=-1)
    if how == "max_abs":
        return tf.reduce_max(tf.abs(values), axis=-1)
    if how == "abs_sum":
        return tf.reduce_sum(tf.abs(values), axis=-1)
    raise ValueError(f"Unknown channel reduction. Received: how={how!r}")


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


class Forward:
    """The traced view of a model used by `Method._attribute`.

    Runs the model in inference mode on the pre-activation outputs (for class
    targets), computes the target scores, and takes gradients with respect to
    the explained input (as `tbexplain.methods.feeding` represents it) or to
    the output of the method's layer. A method that scores other rows than
    the batch's own (interpolation points, perturbed copies) passes ``rows``:
    the sample each row comes from, so the model gets that sample's other
    inputs.
    """

    def __init__(
        self,
        model: keras.Model,
        info: targets_lib.OutputInfo,
        layer: layers_lib.LayerRef | None,
        score_fn: Callable[[Any], Any] | None,
        feeding: Feeding | None = None,
        context: tuple[tf.Tensor, ...] = (),
        map_shape: tuple[int, ...] = (),
        plan: calltrace.TokenPlan | None = None,
    ) -> None:
        self.model = model
        self.map_shape = map_shape
        self.plan = plan
        self.info = info
        self.layer = layer
        self.score_fn = score_fn
        self.feeding = feeding or Feeding(None)
        self.context = context
        # Targets with a fixed region per sample (`targets.Segment`): found
        # once on the batch itself by `fix_regions`, then used for every copy.
        self.regions: tf.Tensor | None = None
        self._logits = score_fn is None or bool(getattr(score_fn, "logits", False))

    def fix_regions(self, x: tf.Tensor, index: tf.Tensor) -> None:
        """Finds the batch's target regions, for targets that have them."""
        regions = getattr(self.score_fn, "regions", None)
        if regions is not None:
            self.regions = tf.stop_gradient(regions(self.outputs(x), index))

    def outputs(self, x: tf.Tensor, rows: tf.Tensor | None = None) -> Any:
        """Model outputs (pre-activation when the targets are classes)."""
        with self.feeding.rules(x):
            return targets_lib.pre_activation_outputs(
                self.model,
                self.feeding.feed(x, self.context, rows),
                self.info,
                logits=self._logits,
            )

    def baseline(self, x: tf.Tensor) -> tf.Tensor | None:
        """The explained input's absent value (token inputs: the pad token's
        embedding), or None where each method uses its own fill."""
        return self.feeding.baseline(x)

    def scores(
        self, outputs: Any, class_ids: tf.Tensor, rows: tf.Tensor | None = None
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """(scores [B], explained class ids [B]) for `outputs` (of `rows`)."""
        if self.regions is not None:
            assert self.score_fn is not None
            regions = self.regions if rows is None else tf.gather(self.regions, rows)
            scores = self.score_fn.score(outputs, regions)  # type: ignore[attr-defined]
            return scores, tf.fill(tf.shape(scores), -1)
        if self.score_fn is not None:
            scores = targets_lib.callable_scores(self.score_fn, outputs)
            return scores, tf.fill(tf.shape(scores), -1)
        # Copies (rows given) explain their batch's resolved, checked classes.
        return targets_lib.class_scores(outputs, class_ids, check=rows is None)

    def forward_scores(
        self, x: tf.Tensor, class_ids: tf.Tensor, rows: tf.Tensor | None = None
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Scores and class ids of a forward pass (no gradient)."""
        return self.scores(self.outputs(x, rows), class_ids, rows)

    def input_gradients(
        self,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        rules: AbstractContextManager[Any] | None = None,
        rows: tf.Tensor | None = None,
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(d score / d x, scores, class ids); `rules` wraps the forward pass."""
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            with rules if rules is not None else contextlib.nullcontext():
                outputs = self.outputs(x, rows)
            scores, ids = self.scores(outputs, class_ids, rows)
        grads = tape.gradient(scores, x)
        if grads is None:
            grads = tf.zeros_like(x)
        return grads, scores, ids

    def layer_output(
        self, x: tf.Tensor, class_ids: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """(layer activations, scores, class ids) of one forward pass."""
        ref = self._layer()
        with layers_lib.capture_layer(ref) as captured:
            outputs = self.outputs(x)
        activations = layers_lib.single_capture(ref, captured)
        scores, ids = self.scores(outputs, class_ids)
        return self.on_grid(activations), scores, ids

    def layer_gradients(
        self, x: tf.Tensor, class_ids: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        """(activations A, d score / d A, scores, class ids) of the layer."""
        ref = self._layer()
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            with layers_lib.capture_layer(ref, tape) as captured:
                outputs = self.outputs(x)
            activations = layers_lib.single_capture(ref, captured)
            scores, ids = self.scores(outputs, class_ids)
        grads = tape.gradient(scores, activations)
        if grads is None:
            raise ValueError(
                f"The explained score does not depend on layer '{ref.path}'. "
                f"Received: layer={ref.path!r}"
            )
        return self.on_grid(activations), self.on_grid(grads), scores, ids

    def attention(
        self, x: tf.Tensor, class_ids: tf.Tensor, gradients: bool = False
    ) -> tuple[list[tf.Tensor], list[tf.Tensor] | None, tf.Tensor, tf.Tensor]:
        """(attention weights [B, heads, T, S] of every attention call in call
        order, d score / d weights (with `gradients`, else None), scores,
        class ids) of one forward pass (and one backward)."""
        if self.plan is None:
            raise RuntimeError("This method has no attention plan.")
        tape = tf.GradientTape(watch_accessed_variables=False) if gradients else None
        with tape if tape is not None else contextlib.nullcontext():
            if tape is not None:
                # The weights are used inside the layer before they are
                # recorded: the tape must see them made from `x`.
                tape.watch(x)
            with attention_capture(self.plan.attention, tape) as calls:
                outputs = self.outputs(x)
            scores, ids = self.scores(outputs, class_ids)
        weights = [call.weights for call in calls]
        grads = None
        if tape is not None:
            grads = [
                tf.zeros_like(w) if g is None else g
                for w, g in zip(weights, tape.gradient(scores, weights), strict=True)
            ]
        return weights, grads, scores, ids

    def on_grid(self, values: tf.Tensor) -> tf.Tensor:
        """A layer's values on the grid of the input's positions: a
        transformer's tokens [B, N, D] as [B, h, w, D] over an image (special
        tokens left out, `tbexplain.grids`); other layers' as they are."""
        token_grid = grids.layer_grid(
            tuple(values.shape), self.map_shape, self._layer().path
        )
        return values if token_grid is None else grids.to_grid(values, token_grid)

    def _layer(self) -> layers_lib.LayerRef:
        if self.layer is None:
            raise RuntimeError("This method has no layer.")
        return self.layer


@dataclass
class _ModelState:
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


def _needs(sample: Any, what: str) -> Any:
    if sample is None:
        raise ValueError(
            f"Finding {what} runs the model once, on inputs of a known size: "
            "call explain(model, inputs) first, or pass inputs=. Received: "
            "inputs=None"
        )
    return sample


_MAX_FUNCTIONS_PER_MODEL = 8


class Method:
    """Base class of explanation methods (see the module docstring).

    Subclasses set ``name`` (the `REGISTRY` key) and ``signed`` (whether maps
    may be negative), and implement `_attribute`.

    Args:
        batch_size: Samples per compiled call; None for all at once.
    """

    name: ClassVar[str] = ""
    signed: ClassVar[bool] = False
    uses_layer: ClassVar[bool] = False
    # Explains one input of its own choosing (its layer's, its attention's).
    fixed_input: ClassVar[bool] = False

    def __init__(self, *, batch_size: int | None = None) -> None:
        self.batch_size = positive_int(batch_size, "batch_size", allow_none=True)
        self.trace_count = 0
        self._states: weakref.WeakKeyDictionary[keras.Model, _ModelState] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._config_repr()})"

    def _config_repr(self) -> str:
        return f"batch_size={self.batch_size}"

    # ----------------------------------------------------------------- public

    def explain(
        self,
        model: keras.Model,
        inputs: InputLike,
        targets: targets_lib.TargetLike = None,
        *,
        upsample: bool = True,
        input: str | int | None = None,
    ) -> np.ndarray:
        """Explains `model`'s `targets` on `inputs`.

        Args:
            model: A Keras model (Sequential, Functional, nested models).
            inputs: A batch of any kind of input (`tbexplain.kinds`): images
                [B, H, W, C], sequences [B, T, C], token ids [B, T] (read
                through their ``Embedding``), features [B, F], ...: numpy,
                tf.Tensor or a finite tf.data.Dataset; for a model of several
                inputs, a dict by input name or a list.
            targets: None (predicted class), an int, one int per sample, or a
                callable outputs -> [B] scores (see `tbexplain.targets`).
            upsample: Resize maps computed at a layer's resolution (the CAM
                family) bilinearly to the input resolution. False returns them
                as computed, e.g. [B, 8, 8] for an 8x8 layer (what the logger
                stores; the plugin upsamples them over the inputs). Methods
                whose maps are input-sized ignore it.
            input: Which input of a multi-input model to explain (its name or
                index; the others are held at their values). Default: the
                first, or for layer methods the one of the highest rank.

        Returns:
            float32 maps at the explained input's resolution (with
            ``upsample=False``, at the method's own): one value per position
            of the input (`tbexplain.kinds.Kind.map_shape`), e.g. [B, H, W]
            for images, [B, T] for sequences and tokens, [B, F] for features.
        """
        return self.explain_with_targets(
            model, inputs, targets, upsample=upsample, input=input
        ).maps

    def explain_with_targets(
        self,
        model: keras.Model,
        inputs: InputLike,
        targets: targets_lib.TargetLike = None,
        *,
        upsample: bool = True,
        input: str | int | None = None,
    ) -> Explanation:
        """Like `explain`, also returning the explained class ids and scores."""
        state = self._state(model, resolve=False)
        arrays = read_model_inputs(inputs, state.specs)
        self._resolve(model, state, arrays)
        feeding = Feeding(state.specs, self._explained_index(state, input))
        x = feeding.representation(arrays)
        context = tuple(arrays) if feeding.needs_context else ()
        n = x.shape[0]
        resolved = targets_lib.resolve_targets(targets, n, state.info)
        function = self._function(
            model,
            state,
            tuple(x.shape[1:]),
            resolved.fn,
            bool(upsample),
            feeding,
            context,
            arrays,
        )
        ids = (
            resolved.class_ids
            if resolved.class_ids is not None
            else np.full((n,), -1, np.int32)
        )
        index = np.arange(n, dtype=np.int32)
        step = self.batch_size or n
        maps, scores, class_ids = [], [], []
        for start in range(0, n, step):
            stop = min(n, start + step)
            whole = stop - start == n
            result = function(
                tf.convert_to_tensor(x if whole else x[start:stop]),
                tf.constant(ids[start:stop]),
                tf.constant(index[start:stop]),
                tf.constant(self._call_seed(), tf.int32),
                *(tf.convert_to_tensor(c if whole else c[start:stop]) for c in context),
            )
            maps.append(result.maps.numpy())
            scores.append(result.scores.numpy())
            class_ids.append(result.class_ids.numpy())
        return Explanation(
            maps=np.concatenate(maps).astype(np.float32, copy=False),
            class_ids=None if resolved.fn is not None else np.concatenate(class_ids),
            scores=np.concatenate(scores).astype(np.float32, copy=False),
        )

    def input_names(self, model: keras.Model) -> list[str]:
        """The inputs this method can explain one by one (all of a model's
        inputs for input-space methods; the default one for layer methods)."""
        specs = self._state(model, resolve=False).specs
        if not specs:
            return []
        if self.uses_layer:
            return [specs[default_input(specs, True)].name]
        return [specs[i].name for i in explained_inputs(specs)]

    def _explained_index(self, state: _ModelState, input: str | int | None) -> int:
        specs = state.specs
        if input is None or not specs:  # no names known: the one input
            return default_input(specs, self.uses_layer)
        names = [spec.name for spec in specs] if specs else []
        if isinstance(input, str) and input in names:
            return names.index(input)
        if (
            isinstance(input, (int, np.integer))
            and not isinstance(input, bool)
            and 0 <= input < max(len(names), 1)
        ):
            return int(input)
        raise ValueError(
            f"input must name one of the model's inputs {names} (or be its "
            f"index). Received: input={input!r}"
        )

    def prepare(self, model: keras.Model, inputs: InputLike = None) -> None:
        """Resolves what the method needs of `model` (its layer; where a
        transformer's tokens lie), running the model once on the first sample
        of `inputs` where needed, so configuration errors raise here.

        Without inputs, a sample is made from the model's input shapes where
        they are known. `explain` prepares on its own inputs.
        """
        self._state(model, inputs)

    def layer_name(self, model: keras.Model, inputs: InputLike = None) -> str | None:
        """The resolved layer's nested path, or None for input-space methods.

        Args:
          model: The model.
          inputs: Inputs the model takes (as for `explain`; the first sample
            is used). A transformer's layer is found by running the model
            once; without inputs, on a sample made from its input shapes.
        """
        layer = self._state(model, inputs).layer
        if not self.uses_layer:
            return None
        return layer.path if layer is not None else None

    def layer_description(self, model: keras.Model, inputs: InputLike = None) -> str:
        """E.g. ``"layer `block_2/ln_1` (17 tokens on a 4x4 grid, 1 leading
        token left out)"``; empty for input-space methods."""
        state = self._state(model, inputs)
        path = state.layer.path if self.uses_layer and state.layer else None
        if path is None:
            return ""
        grid = state.grid
        return f"layer `{path}`" + (f" ({grid.describe()})" if grid else "")

    # ------------------------------------------------------------------ hooks

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        """Computes the maps of one batch (runs inside the compiled function).

        Args:
            forward: The traced model view.
            x: float32 inputs [b, H, W, C] or [b, T, C].
            class_ids: int32 [b] class targets, -1 for the predicted class.
            index: int32 [b] index of each sample in the `explain` call (for
                per-sample random streams that do not depend on batching).
            seed: int32 scalar seed of the call (see `_call_seed`).

        Returns:
            A `Result`; maps [b, h, w] / [b, t] are resized to the input size.
        """
        raise NotImplementedError

    def _call_seed(self) -> int:
        """The seed passed to `_attribute` (stochastic methods override)."""
        return 0

    def _prepare(
        self,
        model: keras.Model,
        state: _ModelState,
        sample: Callable[[], Any],
        map_shape: tuple[Any, ...],
    ) -> None:
        """Resolves what the method needs of `model` before it compiles (the
        layer of layer methods, a transformer's plan for the rollouts); may
        run the model once on `sample()`. Errors raise here (so a logger
        raises them before training)."""

    # -------------------------------------------------------------- machinery

    def _state(
        self, model: keras.Model, inputs: InputLike = None, *, resolve: bool = True
    ) -> _ModelState:
        """The method's state for `model`, resolved (`_prepare`) on the first
        sample of `inputs` unless `resolve` is False."""
        require_tensorflow_backend()
        if not isinstance(model, keras.Model):
            raise TypeError(
                "model must be a keras.Model. "
                f"Received: model of type {type(model).__name__}"
            )
        state = self._states.get(model)
        if state is None:
            info = targets_lib.output_info(model)
            specs = model_inputs(model)
            layer_rank = (
                _representation_rank(specs[default_input(specs, True)], 4)
                if specs
                else 4
            )
            state = _ModelState(
                info, specs, None, layer_rank, collections.OrderedDict()
            )
            self._states[model] = state
        if resolve and not state.resolved:
            arrays = None if inputs is None else read_model_inputs(inputs, state.specs)
            self._resolve(model, state, arrays)
        return state

    def _resolve(
        self,
        model: keras.Model,
        state: _ModelState,
        arrays: list[Any] | None,
        rank: int | None = None,
    ) -> None:
        """Runs `_prepare` once per model (and again for another input rank)."""
        if rank is None and state.resolved:
            return
        explained = default_input(state.specs, self.uses_layer)
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

        self._prepare(model, state, sample, _map_shape(kind, shape))
        state.resolved = True

    def _function(
        self,
        model: keras.Model,
        state: _ModelState,
        shape: tuple[int, ...],
        score_fn: Callable[[Any], Any] | None,
        upsample: bool = True,
        feeding: Feeding | None = None,
        context: tuple[Any, ...] = (),
        arrays: list[Any] | None = None,
    ) -> Any:
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
            self._resolve(model, state, arrays, rank=len(shape) + 1)
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
        state: _ModelState,
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
            self, model, state, score_fn, spatial, upsample, feeding
        )
        return tf.function(explain_batch, input_signature=signature, autograph=False)


class _ExplainBatch:
    """The Python body of one compiled explanation function.

    Holds the model and the method weakly, so the cache (owned by the method,
    weakly keyed by the model) does not keep either alive.
    """

    def __init__(
        self,
        method: Method,
        model: keras.Model,
        state: _ModelState,
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


class LayerMethod(Method):
    """A method that explains through one layer's output (CAM family).

    Args:
        layer: None, a name, a nested path or a Layer (see the module docstring).
        batch_size: See the module docstring.
    """

    uses_layer: ClassVar[bool] = True
    fixed_input: ClassVar[bool] = True

    def __init__(
        self,
        layer: str | keras.layers.Layer | None = None,
        *,
        batch_size: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size)
        if layer is not None and not isinstance(layer, (str, keras.layers.Layer)):
            raise TypeError(
                "layer must be None, a layer name, a nested path or a Layer. "
                f"Received: layer={layer!r}"
            )
        self.layer = layer

    def _config_repr(self) -> str:
        layer = (
            self.layer.name
            if isinstance(self.layer, keras.layers.Layer)
            else self.layer
        )
        return f"layer={layer!r}, batch_size={self.batch_size}"

    def _prepare(
        self,
        model: keras.Model,
        state: _ModelState,
        sample: Callable[[], Any],
        map_shape: tuple[Any, ...],
    ) -> None:
        rank = state.layer_rank
        ref = None
        if (
            self.layer is None
            and rank in (3, 4)
            and None not in map_shape
            and attention_layers(model)
        ):
            one = _needs(sample(), f"the last tokens of model '{model.name}'")
            state.plan = calltrace.TokenPlan.of(model, one, map_shape)
            if state.plan is not None:
                ref = state.plan.layer
        if ref is None:
            ref = layers_lib.find_layer(model, self.layer, rank=rank)
        state.layer = ref
        state.grid = None
        if rank in (3, 4) and None not in map_shape:
            shape = layers_lib.static_output_shape(ref.layer)
            one = sample()
            if (shape is None or None in shape[1:]) and one is not None:
                shape = calltrace.output_shape(model, one, ref)
            if shape is not None:
                state.grid = grids.layer_grid(shape, map_shape, ref.path)
