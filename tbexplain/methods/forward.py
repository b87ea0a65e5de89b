"""The traced view of a model that a method's `_attribute` reads (`Forward`),
and what it returns (`Result`).

A `Forward` lives inside one compiled explanation function
(`tbexplain.methods.compiled`): it runs the model on the pre-activation
outputs, scores the targets and takes gradients with respect to the explained
input or to the method's layer, its tokens put on the input's grid.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

import keras
import tensorflow as tf

from tbexplain import calltrace, grids
from tbexplain import layers as layers_lib
from tbexplain import targets as targets_lib
from tbexplain.attention import capture as attention_capture
from tbexplain.methods.feeding import Feeding

__all__ = ["Forward", "Result"]


class Result(NamedTuple):
    """What `Method._attribute` returns for one batch (tensors)."""

    maps: tf.Tensor  # [B, h, w] or [B, t] (resized by the base), or input-res
    scores: tf.Tensor  # [B]
    class_ids: tf.Tensor  # [B] int32 (-1 for callable targets)


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
        grid: grids.TokenGrid | None = None,
    ) -> None:
        self.model = model
        self.map_shape = map_shape
        self.plan = plan
        # Where the layer's tokens lie, found on a sample when the method was
        # prepared: the trace may not know their number (a model that counts
        # its tokens at run time).
        self.grid = grid
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
        shape = tuple(values.shape)
        if len(shape) == 3 and shape[1] is None and self.grid is not None:
            # Checked when it runs: a model whose tokens change in number
            # after it was prepared fails here, not on a wrong grid.
            values = tf.ensure_shape(values, [None, self.grid.tokens, shape[2]])
            return grids.to_grid(values, self.grid)
        token_grid = grids.layer_grid(shape, self.map_shape, self._layer().path)
        return values if token_grid is None else grids.to_grid(values, token_grid)

    def _layer(self) -> layers_lib.LayerRef:
        if self.layer is None:
            raise RuntimeError("This method has no layer.")
        return self.layer
