"""How a method feeds a model from the one input it explains: the array it attributes
to, the other inputs held at their values, and token ids seen through their embedding.

A method attributes to one array ``x`` per sample batch, as the explained
input's kind says (`tbexplain.kinds.Kind.fed`): the input itself
(`FED_AS_IS`: images [B, H, W, C], sequences [B, T, C], ...); features
[B, F] as a sequence [B, F, 1], one value per feature (`FED_AS_CHANNEL`);
token ids [B, T] as their embeddings [B, T, E] (`FED_EMBEDDED`: the output of
the ``Embedding`` layer that reads them, so gradients and perturbations are
taken there and summed over the embedding dimension by the methods' channel
reductions). A `Feeding` turns any batch of such arrays (perturbed copies
included) back into the model's inputs, with the other inputs' values of the
samples each copy was made from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import kinds
from tbexplain.inputs import InputSpec
from tbexplain.layers import patched_call

__all__ = ["Feeding", "pad_id"]


def pad_id(embedding: Any) -> int | None:
    """The pad token of an ``Embedding`` layer: 0 with ``mask_zero``, else unknown."""
    return 0 if getattr(embedding, "mask_zero", False) else None


class Feeding:
    """Feeds a model from the explained input's array (see the module docstring).

    Args:
      specs: The model's inputs (None: one input of unknown kind, fed as is).
      explained: The index of the explained input.
    """

    def __init__(self, specs: Sequence[InputSpec] | None, explained: int = 0) -> None:
        self.specs = list(specs) if specs else None
        self.explained = explained
        spec = self.specs[explained] if self.specs else None
        self.kind = spec.kind if spec is not None else None
        kind = kinds.find(self.kind) if self.kind is not None else None
        self.fed = kind.fed if kind is not None else kinds.FED_AS_IS
        self._baseline = kind.baseline if kind is not None else kinds.BASELINE_FILL
        self.embedding: Any = spec.embedding if spec is not None else None
        self.multi = self.specs is not None and len(self.specs) > 1

    @property
    def needs_context(self) -> bool:
        """Whether the compiled function takes the model's inputs besides `x`."""
        return self.multi or self.fed == kinds.FED_EMBEDDED

    # ---------------------------------------------------- outside the function

    def representation(self, arrays: Sequence[Any]) -> Any:
        """The array a method attributes to, from the model's input arrays."""
        x = arrays[self.explained]
        if self.fed == kinds.FED_EMBEDDED:
            return self.embedding(tf.convert_to_tensor(x)).numpy()
        if self.fed == kinds.FED_AS_CHANNEL:
            return np.asarray(x, np.float32)[..., None]
        return x

    def map_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The spatial shape of maps at input resolution, from `x`'s shape."""
        return tuple(shape[:-1])

    # ----------------------------------------------------- inside the function

    def feed(self, x: tf.Tensor, context: Sequence[tf.Tensor], rows: Any) -> Any:
        """The model's inputs for a batch `x` of the explained representation.

        Args:
          x: [n, ...] arrays of the representation (perturbed copies too).
          context: The model's inputs of the call's batch (empty when the
            function takes none).
          rows: int32 [n]: the sample of the batch each row of `x` comes from,
            or None when `x` is the batch itself.
        """
        as_channel = self.fed == kinds.FED_AS_CHANNEL
        if not self.needs_context:
            return x[..., 0] if as_channel else x
        values = [c if rows is None else tf.gather(c, rows) for c in context]
        if as_channel:
            values[self.explained] = x[..., 0]
        elif self.fed != kinds.FED_EMBEDDED:
            values[self.explained] = x
        if not self.multi:
            return values[0]
        assert self.specs is not None
        return {
            spec.name: value for spec, value in zip(self.specs, values, strict=True)
        }

    @contextlib.contextmanager
    def rules(self, x: tf.Tensor) -> Iterator[None]:
        """While the model runs: token embeddings replaced by `x`."""
        if self.fed != kinds.FED_EMBEDDED:
            yield
            return

        def wrapper(original: Any) -> Any:
            def call(inputs: Any, *args: Any, **kwargs: Any) -> Any:
                return tf.cast(x, self.embedding.compute_dtype)

            return call

        with patched_call(self.embedding, wrapper):
            yield

    def baseline(self, x: tf.Tensor) -> tf.Tensor | None:
        """The explained input's "absent" value for perturbations and paths:
        the pad token's embedding at every position (`BASELINE_PAD`: zeros
        when the pad token is unknown); None for `BASELINE_FILL` (the
        methods' own fills)."""
        if self._baseline != kinds.BASELINE_PAD:
            return None
        pad = pad_id(self.embedding)
        if pad is None:
            return tf.zeros_like(x)
        vector = tf.cast(self.embedding.embeddings[pad], x.dtype)
        return tf.broadcast_to(vector, tf.shape(x))
