"""Activations: the feature maps of chosen layers, per channel (a view, not an
attribution).

``tbx.Activations(layers=[...]).compute(model, inputs)`` returns, for each layer, its
feature maps [B, H, W, K] restricted to the ``K`` chosen channels and the ids of those
channels. By default the ``channels=16`` channels with the largest mean activation over
the batch (all samples and positions) are kept, in decreasing order of that mean. All
layers come from one compiled forward pass per (model, input shape). The logger writes
them with ``tbx.summary.activations``.

Not an attribution method: it is not in ``tbexplain.methods.REGISTRY`` (the attribution
contract does not apply to it).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tbexplain import layers as layers_lib
from tbexplain.checks import positive_int
from tbexplain.inputs import InputLike, as_batch, model_input_rank
from tbexplain.layers import LayerLike

__all__ = ["Activations"]


class Activations:
    """The feature maps of chosen layers, per channel.

    Example:
      >>> views = tbx.Activations(layers=["conv1", "backbone/out_relu"]).compute(model,
      x)
      >>> maps, channel_ids = views["conv1"]  # [B, H, W, K], [K]

    Args:
      layers: a list of layers (names, nested paths such as ``"backbone/out_relu"`` or
        Layer objects); None (the default) or an entry None means the last spatial
        layer.
      channels: how many channels per layer, the most active first (by mean activation
        over the batch); a list of channel ids to pick those, in that order; or None for
        all, in index order.
    """

    def __init__(
        self,
        layers: LayerLike | Sequence[LayerLike] = None,
        channels: int | Sequence[int] | None = 16,
    ) -> None:
        if layers is None or isinstance(layers, (str, keras.layers.Layer)):
            layer_list: list[LayerLike] = [layers]
        elif isinstance(layers, Sequence) and layers:
            layer_list = list(layers)
        else:
            raise ValueError(
                "`layers` must be None, a layer or a non-empty list of layers. "
                f"Received: layers={layers!r}"
            )
        for layer in layer_list:
            if layer is not None and not isinstance(layer, (str, keras.layers.Layer)):
                raise TypeError(
                    "Each layer must be None, a name, a nested path or a Layer. "
                    f"Received: layers={layers!r}"
                )
        self.layers = layer_list
        if isinstance(channels, (int, np.integer)) and not isinstance(channels, bool):
            self.channels: int | list[int] | None = positive_int(channels, "channels")
        elif channels is None:
            self.channels = None
        elif (
            isinstance(channels, Sequence)
            and all(
                isinstance(c, (int, np.integer)) and not isinstance(c, bool) and c >= 0
                for c in channels
            )
            and len(channels) > 0
        ):
            self.channels = [int(c) for c in channels]
        else:
            raise ValueError(
                "`channels` must be a positive int, a list of channel ids or None. "
                f"Received: channels={channels!r}"
            )
        self._cache: weakref.WeakKeyDictionary[keras.Model, dict[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        names = [
            layer.name if isinstance(layer, keras.layers.Layer) else layer
            for layer in self.layers
        ]
        return f"Activations(layers={names!r}, channels={self.channels!r})"

    def _refs(self, model: keras.Model, rank: int) -> list[layers_lib.LayerRef]:
        refs: list[layers_lib.LayerRef] = []
        for layer in self.layers:
            ref = layers_lib.find_layer(model, layer, rank=rank)
            if all(r.path != ref.path for r in refs):
                refs.append(ref)
        return refs

    def layer_names(self, model: keras.Model) -> list[str]:
        """The resolved nested paths of the layers, in order (duplicates dropped)."""
        rank = model_input_rank(model) or 4
        return [ref.path for ref in self._refs(model, rank)]

    def _function(self, model: keras.Model, shape: tuple[int, ...]) -> Any:
        per_model = self._cache.setdefault(model, {})
        if shape in per_model:
            return per_model[shape]
        refs = self._refs(model, len(shape) + 1)
        model_ref = weakref.ref(model)

        def run(x: tf.Tensor) -> dict[str, tf.Tensor]:
            live = model_ref()
            if live is None:  # pragma: no cover
                raise RuntimeError("The model was garbage collected.")
            with contextlib.ExitStack() as stack:
                captured = [
                    stack.enter_context(layers_lib.capture_layer(r)) for r in refs
                ]
                live(x, training=False)
            return {
                r.path: tf.cast(layers_lib.single_capture(r, c), tf.float32)
                for r, c in zip(refs, captured, strict=True)
            }

        function = tf.function(
            run,
            input_signature=[tf.TensorSpec([None, *shape], tf.float32)],
            autograph=False,
        )
        per_model[shape] = (function, [r.path for r in refs])
        return per_model[shape]

    def compute(
        self, model: keras.Model, inputs: InputLike
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The chosen channels of each layer's feature maps on ``inputs``.

        Args:
          model: a Keras model.
          inputs: images [B, H, W, C] or sequences [B, T, C] (numpy, tf.Tensor or a
            finite tf.data.Dataset).

        Returns:
          ``{layer_path: (maps, channel_ids)}`` in the order of ``layers``: maps float32
          [B, H', W', K] (sequence layers [B, T', K] become [B, T', 1, K]) and int64 [K]
          channel ids.
        """
        if not isinstance(model, keras.Model):
            raise TypeError(
                "model must be a keras.Model. Received: model of type "
                f"{type(model).__name__}"
            )
        x = as_batch(inputs, model_input_rank(model))
        function, paths = self._function(model, tuple(x.shape[1:]))
        outputs = function(tf.constant(x))
        result: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for path in paths:
            maps = outputs[path].numpy()
            if maps.ndim == 3:
                maps = maps[:, :, None, :]
            result[path] = self._select(maps, path)
        return result

    def _select(self, maps: np.ndarray, path: str) -> tuple[np.ndarray, np.ndarray]:
        count = maps.shape[-1]
        if isinstance(self.channels, list):
            bad = [c for c in self.channels if c >= count]
            if bad:
                raise ValueError(
                    f"Layer '{path}' has {count} channels. Received: "
                    f"channels={self.channels!r}"
                )
            ids = np.asarray(self.channels, np.int64)
        elif self.channels is None:
            ids = np.arange(count, dtype=np.int64)
        else:
            means = np.nan_to_num(maps.reshape(-1, count).mean(axis=0), nan=-np.inf)
            ids = np.argsort(-means, kind="stable")[: self.channels].astype(np.int64)
        return np.ascontiguousarray(maps[..., ids]), ids
