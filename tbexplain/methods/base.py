"""The base of every explanation method.

A `Method` is a configuration object: it is built before any model exists (so
a callback can hold it) and compiles one `tf.function` per model (weakly
keyed), per input shape and per kind of target, reused on every later call
without retracing (the batch dimension is dynamic; the state and the cache
are `tbexplain.methods.compiled`'s). The base class owns the shared work:

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
compiled function and returns the map of one batch, using a `Forward`
(`tbexplain.methods.forward`, the traced view of the model: scores,
gradients with respect to the input or to the chosen layer's output, and
optional rules such as guided ReLUs).

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import keras
import numpy as np
import tensorflow as tf

from tbexplain import calltrace, grids
from tbexplain import layers as layers_lib
from tbexplain import targets as targets_lib
from tbexplain.attention import attention_layers
from tbexplain.checks import positive_int
from tbexplain.inputs import InputLike, explained_inputs, read_model_inputs
from tbexplain.methods.compiled import (
    Compiled,
    ModelState,
    default_input,
    needs_sample,
)
from tbexplain.methods.feeding import Feeding
from tbexplain.methods.forward import Forward, Result

__all__ = [
    "REGISTRY",
    "Explanation",
    "LayerMethod",
    "Method",
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
        self._compiled = Compiled(self)

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
        state = self._compiled.state(model, resolve=False)
        arrays = read_model_inputs(inputs, state.specs)
        self._compiled.resolve(model, state, arrays)
        feeding = Feeding(state.specs, self._explained_index(state, input))
        x = feeding.representation(arrays)
        context = tuple(arrays) if feeding.needs_context else ()
        n = x.shape[0]
        resolved = targets_lib.resolve_targets(targets, n, state.info)
        function = self._compiled.function(
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
        maps, scores, class_ids = self._run_batches(function, x, ids, context)
        return Explanation(
            maps=np.concatenate(maps).astype(np.float32, copy=False),
            class_ids=None if resolved.fn is not None else np.concatenate(class_ids),
            scores=np.concatenate(scores).astype(np.float32, copy=False),
        )

    def _run_batches(
        self, function: Any, x: Any, ids: np.ndarray, context: tuple[Any, ...]
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """(maps, scores, class ids) of `function`, a call per `batch_size` samples."""
        n = x.shape[0]
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
        return maps, scores, class_ids

    def input_names(self, model: keras.Model) -> list[str]:
        """The inputs this method can explain one by one (all of a model's
        inputs for input-space methods; the default one for layer methods)."""
        specs = self._compiled.state(model, resolve=False).specs
        if not specs:
            return []
        if self.uses_layer:
            return [specs[default_input(specs, True)].name]
        return [specs[i].name for i in explained_inputs(specs)]

    def _explained_index(self, state: ModelState, input: str | int | None) -> int:
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
        self._compiled.state(model, inputs)

    def layer_name(self, model: keras.Model, inputs: InputLike = None) -> str | None:
        """The resolved layer's nested path, or None for input-space methods.

        Args:
          model: The model.
          inputs: Inputs the model takes (as for `explain`; the first sample
            is used). A transformer's layer is found by running the model
            once; without inputs, on a sample made from its input shapes.
        """
        layer = self._compiled.state(model, inputs).layer
        if not self.uses_layer:
            return None
        return layer.path if layer is not None else None

    def layer_description(self, model: keras.Model, inputs: InputLike = None) -> str:
        """E.g. ``"layer `block_2/ln_1` (17 tokens on a 4x4 grid, 1 leading
        token left out)"``; empty for input-space methods."""
        state = self._compiled.state(model, inputs)
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
        state: ModelState,
        sample: Callable[[], Any],
        map_shape: tuple[Any, ...],
    ) -> None:
        """Resolves what the method needs of `model` before it compiles (the
        layer of layer methods, a transformer's plan for the rollouts); may
        run the model once on `sample()`. Errors raise here (so a logger
        raises them before training)."""


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
        state: ModelState,
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
            one = needs_sample(sample(), f"the last tokens of model '{model.name}'")
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
