"""Where a transformer's last tokens are: one traced run of the model on one sample.

A transformer's blocks are often no nodes of a functional graph (keras_hub's
encoders call them inside one layer), so their order and shapes are only
seen by running the model. `trace` runs it once, eagerly, on one sample,
recording every layer's call (sublayers of custom layers included) in the
order the calls finish; `TokenPlan.of` reads from it what the CAM family and
the rollouts need:

- the last attention layer, and the *block* around it: the outermost layer
  (not a model) that holds it and no other attention layer (keras_hub's
  ``transformer_block_2``, BERT's ``transformer_layer_1``); in a functional
  graph without block layers, the last layer of tokens after it;
- whether the score depends on the block's output tokens on their grid
  (`tbexplain.grids`), from the gradient of the outputs on the sample: a head
  that pools the tokens depends on all of them; a head that reads one token
  (a class token) depends on that token only;
- the default layer of a CAM: the last block's output when the head pools
  the tokens; otherwise the tokens entering the last block, i.e. the layer
  whose output the last attention layer reads (the last block's first norm
  in a pre-norm ViT, as pytorch-grad-cam's ViT guidance uses; the previous
  block in a post-norm BERT): there the score's gradient reaches every token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tbexplain import attention as attention_lib
from tbexplain import grids
from tbexplain.layers import (
    LayerRef,
    capture_layer,
    iter_layers,
    patched_call,
    single_capture,
)

__all__ = ["Call", "TokenPlan", "output_shape", "trace"]


@dataclass
class Call:
    """One finished call of a layer on the traced sample.

    Attributes:
      ref: The layer and its path.
      output: The first tensor of its output.
      query: For attention layers, the tensor its queries are made from.
    """

    ref: LayerRef
    output: Any
    query: Any = None


def _first_tensor(value: Any) -> Any:
    for item in tf.nest.flatten(value):
        if tf.is_tensor(item):
            return item
    return None


def trace(
    model: keras.Model, sample: Any
) -> tuple[list[Call], tf.Tensor, tf.GradientTape]:
    """Runs `model` on `sample` (inference mode), recording every layer's calls.

    Returns:
      (the calls in the order they finish, a score that depends on every
      output unit, the tape that recorded it from every recorded output, for
      gradients with respect to them).
    """
    calls: list[Call] = []
    tape = tf.GradientTape(persistent=True, watch_accessed_variables=False)

    def recorder(ref: LayerRef) -> Any:
        def wrapper(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                output = original(*args, **kwargs)
                first = _first_tensor(output)
                if first is not None and first.dtype.is_floating:
                    tape.watch(first)
                query = args[0] if args else kwargs.get("query")
                calls.append(Call(ref, first, query))
                return output

            return call

        return wrapper

    with contextlib.ExitStack() as stack:
        for ref in iter_layers(model):
            if not isinstance(ref.layer, keras.Model):
                stack.enter_context(patched_call(ref.layer, recorder(ref)))
        with tape:
            score = _weighted_sum(model(sample, training=False))
    return calls, score, tape


def _weighted_sum(outputs: Any) -> tf.Tensor:
    """A score that depends on every output unit (fixed, irregular weights)."""
    total = tf.constant(0.0)
    for output in tf.nest.flatten(outputs):
        values = tf.reshape(tf.cast(output, tf.float32), [-1])
        weights = tf.cos(tf.range(tf.size(values), dtype=tf.float32) * 1.7 + 0.3)
        total += tf.reduce_sum(values * weights)
    return total


def _block(attention: LayerRef, refs: dict[str, LayerRef], paths: list[str]) -> Any:
    """The outermost non-model layer holding `attention` and no other one."""
    parts = attention.path.split("/")
    for depth in range(1, len(parts)):
        prefix = "/".join(parts[:depth])
        ref = refs.get(prefix)
        if ref is None or isinstance(ref.layer, keras.Model):
            continue
        inside = [p for p in paths if p.startswith(prefix + "/")]
        if len(inside) == 1:
            return ref
    return None


def _rank3(value: Any) -> bool:
    return value is not None and value.shape.rank == 3


def _last_attention_call(
    calls: list[Call], layers: list[attention_lib.Attention]
) -> Call | None:
    """The last call of one of the attention `layers`, or None."""
    attention_ids = {id(a.ref.layer) for a in layers}
    attention_calls = [c for c in calls if id(c.ref.layer) in attention_ids]
    return attention_calls[-1] if attention_calls else None


def _block_call(
    model: keras.Model,
    calls: list[Call],
    last: Call,
    layers: list[attention_lib.Attention],
) -> Call | None:
    """The last block's call: its block layer's, else the last tokens after `last`."""
    refs = {ref.path: ref for ref in iter_layers(model)}
    paths = [a.ref.path for a in layers]
    block_ref = _block(last.ref, refs, paths)
    block = None
    if block_ref is not None:
        block = next((c for c in calls if c.ref.layer is block_ref.layer), None)
    if block is None or not _rank3(block.output):
        block = _last_tokens_after(calls, last, paths)
    return block


def _last_tokens_after(calls: list[Call], last: Call, paths: list[str]) -> Call | None:
    """In a functional graph, the last call of tokens after the attention `last`."""
    after = calls[calls.index(last) + 1 :]
    tokens = last.output.shape[1] if _rank3(last.output) else None
    return next(
        (
            c
            for c in reversed(after)
            if _rank3(c.output)
            and c.output.shape[1] == tokens
            and not any(p.startswith(c.ref.path + "/") for p in paths)
        ),
        None,
    )


def _read_token(
    score: tf.Tensor, tape: tf.GradientTape, block: Call, grid: grids.TokenGrid
) -> int | None:
    """The first token the gradient reaches if under 2 on the grid do, or None."""
    gradient = tape.gradient(score, block.output)
    reached = (
        np.zeros(grid.tokens, bool)
        if gradient is None
        else np.abs(gradient.numpy()[0]).sum(axis=-1) > 0
    )
    if int(reached[grid.special :].sum()) < 2 and reached.any():
        return int(np.argmax(reached))
    return None


def _entering_call(calls: list[Call], last: Call) -> Call | None:
    """The call whose output the `last` attention call makes its queries from."""
    return next(
        (c for c in reversed(calls) if c.output is last.query and c is not last),
        None,
    )


def _entering_layer(
    entering: Call | None, block: Call, grid: grids.TokenGrid, map_shape: Any
) -> tuple[LayerRef, grids.TokenGrid]:
    """`entering`'s layer and grid if its tokens lie on a grid, else `block`'s."""
    layer, layer_grid = block.ref, grid
    if entering is not None and _rank3(entering.output):
        try:
            layer_grid = grids.grid(int(entering.output.shape[1]), tuple(map_shape))
            layer = entering.ref
        except ValueError:
            pass
    return layer, layer_grid


@dataclass(frozen=True)
class TokenPlan:
    """What a traced transformer gives the token methods (see the module docstring).

    Attributes:
      attention: The model's attention layers.
      block: The last block's output (its layer), on `grid`.
      entering: The layer whose output the last attention reads, or None.
      grid: Where the last block's tokens lie on the input.
      reads: The token the score reads (a class token), or None when it
        depends on the tokens on the grid (a head that pools them).
      layer: The CAM family's default layer.
      layer_grid: Where that layer's tokens lie.
    """

    attention: list[attention_lib.Attention]
    block: LayerRef
    entering: LayerRef | None
    grid: grids.TokenGrid
    reads: int | None
    layer: LayerRef
    layer_grid: grids.TokenGrid

    @classmethod
    def of(
        cls, model: keras.Model, sample: Any, map_shape: Sequence[int]
    ) -> TokenPlan | None:
        """The plan of `model` over an input whose maps are `map_shape`, or
        None for a model without attention layers or whose tokens lie on no
        grid of that input (the CNN rules apply then).

        Args:
          model: The model.
          sample: One sample as the model takes it.
          map_shape: (H, W) for images, (T,) for token ids and sequences.
        """
        layers = attention_lib.attention_layers(model)
        if not layers:
            return None
        calls, score, tape = trace(model, sample)
        last = _last_attention_call(calls, layers)
        if last is None:
            return None
        block = _block_call(model, calls, last, layers)
        if block is None:
            return None
        try:
            grid = grids.grid(int(block.output.shape[1]), tuple(map_shape))
        except ValueError:
            return None
        plan_reads = _read_token(score, tape, block, grid)
        entering = _entering_call(calls, last)
        layer, layer_grid = block.ref, grid
        if plan_reads is not None:
            layer, layer_grid = _entering_layer(entering, block, grid, map_shape)
        return cls(
            attention=layers,
            block=block.ref,
            entering=None if entering is None else entering.ref,
            grid=grid,
            reads=plan_reads,
            layer=layer,
            layer_grid=layer_grid,
        )


def output_shape(model: keras.Model, sample: Any, ref: LayerRef) -> tuple[Any, ...]:
    """The shape of `ref`'s output when `model` runs on `sample`.

    Raises:
      ValueError: the layer does not run once, with one output.
    """
    with capture_layer(ref) as captured:
        model(sample, training=False)
    return tuple(single_capture(ref, captured).shape)
