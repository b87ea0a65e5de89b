"""The base of the attention rollouts: attention captured in one pass, rolled out
over the layers, read on the input's grid.

A rollout (`AttentionRollout`, `GradientRollout`) turns the attention weights
``[B, heads, T, T]`` of every self-attention call, in call order, into one
relevance matrix ``R [B, T, T]`` (row i: how much each token reached token i
at the last layer). The map is the row of the token the score reads (a
class token) or, for a head that pools its tokens, the mean of all rows; the
special tokens' columns are left out and the rest put on the input's grid
(`tbexplain.grids`): an h x w map over an image (resized like a CAM's), one
value per token over token ids. What the score reads and where the grid
lies come from one traced run of the model (`tbexplain.calltrace`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import keras
import tensorflow as tf

from tbexplain import calltrace
from tbexplain.attention import attention_layers
from tbexplain.methods.base import Method
from tbexplain.methods.compiled import ModelState, default_input, needs_sample
from tbexplain.methods.forward import Forward, Result

__all__ = ["Rollout", "read_relevance"]


def read_relevance(relevance: tf.Tensor, plan: calltrace.TokenPlan) -> tf.Tensor:
    """The map [B, *grid] of a relevance matrix [B, T, T] (module docstring)."""
    rows = (
        tf.reduce_mean(relevance, axis=1)
        if plan.reads is None
        else relevance[:, plan.reads, :]
    )
    grid = plan.grid
    return tf.reshape(rows[:, grid.special :], [-1, *grid.shape])


def _pinned(weights: tf.Tensor, tokens: int) -> tf.Tensor:
    """Attention weights [B, heads, T, T] of a T the trace does not know (a
    model that counts its tokens at run time) as the plan's `tokens`, checked
    when they run; others as they are."""
    shape = weights.shape
    if shape.rank == 4 and shape[-1] is None and shape[-2] is None:
        return tf.ensure_shape(weights, [None, None, tokens, tokens])
    return weights


class Rollout(Method):
    """Base of the attention rollouts (see the module docstring).

    A subclass implements `_relevance`, from the weights (and, with
    ``gradients = True``, their gradients) to ``R [B, T, T]``.
    """

    signed: ClassVar[bool] = False
    fixed_input: ClassVar[bool] = True
    gradients: ClassVar[bool] = False

    def input_names(self, model: keras.Model) -> list[str]:
        """The one input whose tokens the attention runs over."""
        specs = self._compiled.state(model, resolve=False).specs
        return [specs[default_input(specs, True)].name] if specs else []

    def _prepare(
        self,
        model: keras.Model,
        state: ModelState,
        sample: Callable[[], Any],
        map_shape: tuple[Any, ...],
    ) -> None:
        method = type(self).__name__
        layers = attention_layers(model)
        if not layers:
            raise ValueError(
                f"{method} needs attention layers (keras.layers.MultiHeadAttention, "
                f"also inside custom layers): model '{model.name}' has none. "
                f"Received: model={model.name!r}"
            )
        windowed = [a.ref.path for a in layers if a.windowed]
        if windowed:
            raise ValueError(
                f"{method} rolls attention out over all tokens; model "
                f"'{model.name}' attends within windows ({', '.join(windowed[:3])}"
                f"{', ...' if len(windowed) > 3 else ''}), so its attention is no "
                "token-to-token matrix of the input: use a CAM. "
                f"Received: model={model.name!r}"
            )
        one = needs_sample(sample(), f"where the tokens of model '{model.name}' lie")
        plan = calltrace.TokenPlan.of(model, one, map_shape)
        if plan is None:
            raise ValueError(
                f"{method}: the tokens of model '{model.name}' lie on no grid of "
                f"its input, whose maps are {tuple(map_shape)} (square patches "
                "after a few leading class or register tokens, or one token per "
                f"token id). Received: model={model.name!r}"
            )
        state.plan = plan

    def _attribute(
        self,
        forward: Forward,
        x: tf.Tensor,
        class_ids: tf.Tensor,
        index: tf.Tensor,
        seed: tf.Tensor,
    ) -> Result:
        weights, grads, scores, ids = forward.attention(
            x, class_ids, gradients=self.gradients
        )
        plan = forward.plan
        assert plan is not None
        tokens = plan.grid.tokens
        if not weights:
            raise ValueError(
                f"{type(self).__name__}: no attention layer of the model ran. "
                "Received: a forward pass without attention"
            )
        weights = [_pinned(w, tokens) for w in weights]
        if grads is not None:
            grads = [_pinned(g, tokens) for g in grads]
        for w in weights:
            if w.shape.rank != 4 or w.shape[-1] != tokens or w.shape[-2] != tokens:
                raise ValueError(
                    f"{type(self).__name__} rolls out self-attention over the "
                    f"{tokens} tokens of the last block; an attention call gave "
                    f"weights {tuple(w.shape)} (cross-attention, or another "
                    "number of tokens). Received: a model whose attention "
                    "changes its tokens"
                )
        relevance = self._relevance(
            [tf.cast(w, tf.float32) for w in weights],
            None if grads is None else [tf.cast(g, tf.float32) for g in grads],
            plan,
        )
        return Result(read_relevance(relevance, plan), scores, ids)

    def _relevance(
        self,
        weights: list[tf.Tensor],
        grads: list[tf.Tensor] | None,
        plan: calltrace.TokenPlan,
    ) -> tf.Tensor:
        """R [B, T, T] from each call's weights [B, heads, T, T] (and grads)."""
        raise NotImplementedError
