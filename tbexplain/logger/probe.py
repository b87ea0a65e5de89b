"""The logger's probe: the fixed inputs, labels and masks, read and checked once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import inputs as inputs_lib

__all__ = ["Probe"]


def _read_masks(masks: Any, inputs: np.ndarray) -> np.ndarray | None:
    if masks is None:
        return None
    m = inputs_lib.to_numpy(masks)
    if m.ndim == inputs.ndim and m.shape[-1] == 1:
        m = m[..., 0]
    if m.shape != inputs.shape[:-1]:
        raise ValueError(
            f"masks must be [B, H, W] matching the images {inputs.shape}. "
            f"Received: masks with shape {np.shape(masks)}"
        )
    return m.astype(bool)


@dataclass
class Probe:
    """The probe set a logger explains at every step.

    Attributes:
      inputs: The inputs as given ([B, H, W, C] images or [B, T, C] sequences;
        dtype kept, for display).
      labels: Class ids [B], or None.
      masks: Ground-truth masks [B, H, W] (bool), or None.
      reread: For a probe read from a dataset, reads it again by a model's
        input rank (see `fit`); None otherwise.
    """

    inputs: np.ndarray
    labels: np.ndarray | None = None
    masks: np.ndarray | None = None
    reread: Callable[[int], Probe] | None = field(default=None, repr=False)
    _float: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def read(
        cls,
        images: Any,
        labels: Any = None,
        masks: Any = None,
        *,
        model_rank: int | None = None,
    ) -> Probe:
        """Reads and checks a probe (a finite dataset is read once, here).

        Raises:
          ValueError, TypeError: a probe of the wrong rank, empty or not
            numeric; labels or masks that do not match it.
        """
        source = images if isinstance(images, tf.data.Dataset) else None
        if source is not None:
            array, ds_labels = inputs_lib.read_dataset(source, model_rank=model_rank)
            given = labels if labels is not None else ds_labels
        else:
            array, given = inputs_lib.to_numpy(images), labels
        if array.ndim not in (3, 4) or 0 in array.shape:
            raise ValueError(
                "images must be a non-empty batch [B, H, W, C] (or sequences "
                f"[B, T, C]). Received: images with shape {array.shape}"
            )
        if array.dtype.kind not in "iufb":
            raise ValueError(f"images must be numeric. Received: dtype={array.dtype}")
        n = array.shape[0]
        ids = None if given is None else inputs_lib.class_ids(given, n, "labels")
        reread = None
        if source is not None:

            def reread(rank: int) -> Probe:
                return cls.read(source, labels, masks, model_rank=rank)

        return cls(array, ids, _read_masks(masks, array), reread)

    @property
    def n(self) -> int:
        """The number of probe samples."""
        return int(self.inputs.shape[0])

    @property
    def model_inputs(self) -> np.ndarray:
        """The inputs as float32, as the model gets them (converted once)."""
        if self._float is None:
            self._float = self.inputs.astype(np.float32, copy=False)
        return self._float

    def fit(self, model: Any) -> Probe:
        """This probe checked against `model`'s input shape.

        A probe read from a dataset whose rank differs from the model's input
        is read again by the model's rank (a batch of sequences [B, T, 3]
        looks like one image until the model is known).

        Raises:
          ValueError: a multi-input model, or inputs the model cannot take.
        """
        try:
            model_inputs = model.inputs
        except (AttributeError, ValueError):
            return self
        if not model_inputs:
            return self
        if len(model_inputs) != 1:
            raise ValueError(
                f"Model '{model.name}' has {len(model_inputs)} inputs; the logger "
                "explains single-input models. Received: a multi-input model"
            )
        expected = tuple(model_inputs[0].shape[1:])
        probe = self
        if self.reread is not None and len(expected) + 1 != self.inputs.ndim:
            probe = self.reread(len(expected) + 1)
        actual = tuple(probe.inputs.shape[1:])
        if len(expected) != len(actual) or any(
            e is not None and e != a for e, a in zip(expected, actual, strict=True)
        ):
            raise ValueError(
                f"The probe images do not fit model '{model.name}', which takes "
                f"inputs of shape {(None, *expected)}. Received: images with shape "
                f"{tuple(probe.inputs.shape)}"
            )
        return probe
