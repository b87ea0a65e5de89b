"""The attention layers of a model, and their attention weights captured while it
runs, without changing the model.

Attention layers are found at any depth (`tbexplain.layers.iter_layers`):
`keras.layers.MultiHeadAttention` and its subclasses wherever they sit (in a
functional graph, inside keras_hub's blocks and attention wrappers: ViT,
DeiT, DINOv2, BERT's ``TransformerEncoder``), and windowed attention layers
(Swin's, recognised by their ``window_size`` and ``return_attns``), which
attend within windows only.

`capture` records the weights ``[B, heads, T, S]`` of every
`MultiHeadAttention` call in call order. It replaces the layer's
``_compute_attention`` for the duration of a forward pass (restored on exit,
also on error) by one that asks the original for its weights: the layer
then computes them explicitly, as it does with
``return_attention_scores=True``, and returns what its caller asked for. The
weights recorded are the tensor the layer multiplies its values by (dropout
is the identity at inference), so gradients of a score with respect to
them are the ones the gradient-weighted rollout needs.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from tbexplain.layers import LayerRef, iter_layers

__all__ = ["Attention", "AttentionCall", "attention_layers", "capture"]


@dataclass(frozen=True)
class Attention:
    """An attention layer of a model.

    Attributes:
      ref: The layer and its path.
      windowed: Whether it attends within windows only (Swin), so that its
        weights are no token-to-token matrix of the whole input.
    """

    ref: LayerRef
    windowed: bool = False


@dataclass(frozen=True)
class AttentionCall:
    """One call of an attention layer: its weights [B, heads, T, S]."""

    ref: LayerRef
    weights: tf.Tensor


def _windowed(layer: keras.layers.Layer) -> bool:
    if getattr(layer, "window_size", None) is None:
        return False
    try:
        parameters = inspect.signature(layer.call).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False
    return "return_attns" in parameters


def attention_layers(model: keras.Model) -> list[Attention]:
    """The attention layers of `model`, in the order of its layers."""
    found = []
    for ref in iter_layers(model):
        if isinstance(ref.layer, keras.layers.MultiHeadAttention):
            found.append(Attention(ref))
        elif _windowed(ref.layer):
            found.append(Attention(ref, windowed=True))
    return found


@contextlib.contextmanager
def capture(
    layers: list[Attention], tape: tf.GradientTape | None = None
) -> Iterator[list[AttentionCall]]:
    """Records the weights of every call of `layers` while active.

    Args:
      layers: The model's attention layers (windowed ones are not recorded).
      tape: A tape to watch the weights on. The layer uses its weights before
        they are recorded, so for gradients with respect to them the tape
        must also watch an input they are made from.

    Yields:
      A list that receives one `AttentionCall` per call, in call order.
    """
    calls: list[AttentionCall] = []
    restore: list[tuple[Any, dict[str, Any]]] = []

    def recorder(ref: LayerRef, original: Any) -> Any:
        def compute(*args: Any, **kwargs: Any) -> Any:
            wanted = kwargs.get("return_attention_scores", False)
            if len(args) > 5:  # (query, key, value, mask, training, return_scores)
                wanted = args[5]
                args = (*args[:5], True, *args[6:])
            else:
                kwargs["return_attention_scores"] = True
            output, weights = original(*args, **kwargs)
            if tape is not None:
                tape.watch(weights)
            calls.append(AttentionCall(ref, weights))
            return output, (weights if wanted else None)

        return compute

    try:
        for attention in layers:
            layer = attention.ref.layer
            if attention.windowed or any(layer is r[0] for r in restore):
                continue
            saved = {
                name: layer.__dict__[name]
                for name in ("_compute_attention", "_flash_attention")
                if name in layer.__dict__
            }
            restore.append((layer, saved))
            object.__setattr__(
                layer,
                "_compute_attention",
                recorder(attention.ref, layer._compute_attention),
            )
            # Flash attention never returns its weights; off while captured.
            object.__setattr__(layer, "_flash_attention", False)
        yield calls
    finally:
        for layer, saved in reversed(restore):
            for name in ("_compute_attention", "_flash_attention"):
                if name in saved:
                    object.__setattr__(layer, name, saved[name])
                elif name in layer.__dict__:
                    object.__delattr__(layer, name)
