"""How the metrics that explain again (max-sensitivity, randomisation) call a method:
checked once, the same targets every time, maps at the method's own resolution."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain.methods.base import Method
from tbexplain.methods.compiled import resize_map

__all__ = ["check_method", "explain_as", "explain_once", "repeat_targets"]


def check_method(method: Any, metric: str) -> Method:
    """`method` if it is an attribution method.

    Raises:
      TypeError: a view (``Activations``, ``FilterVisualization``) or
        anything else that makes no attribution maps.
    """
    if not isinstance(method, Method):
        raise TypeError(
            f"{metric} compares the maps of an attribution method (e.g. "
            "tbx.Saliency(), tbx.GradCAM()); views and other objects make none. "
            f"Received: method={method!r}"
        )
    return method


def explain_once(
    method: Method,
    model: Any,
    inputs: Any,
    targets: Any,
    input: str | int | None,
) -> tuple[np.ndarray, Any]:
    """(maps as the method computes them, the targets they explain, fixed):
    the predicted classes become the class ids, so that every later
    explanation of other copies or models explains the same classes."""
    explanation = method.explain_with_targets(
        model, inputs, targets, upsample=False, input=input
    )
    fixed = explanation.class_ids if explanation.class_ids is not None else targets
    return explanation.maps, fixed


def repeat_targets(targets: Any, times: int) -> Any:
    """`targets` for `times` stacked copies of the batch (callables as they are)."""
    if isinstance(targets, np.ndarray) and targets.ndim == 1:
        return np.tile(targets, times)
    return targets


def explain_as(
    method: Method,
    model: Any,
    inputs: Any,
    targets: Any,
    input: str | int | None,
    like: np.ndarray,
) -> np.ndarray:
    """The method's maps of `inputs` for `targets`, resized (bilinearly) to
    the resolution of the maps `like` they are compared with."""
    maps = method.explain_with_targets(
        model, inputs, targets, upsample=False, input=input
    ).maps
    spatial = tuple(like.shape[1:])
    if tuple(maps.shape[1:]) != spatial:
        maps = resize_map(tf.constant(maps), spatial).numpy()
    return maps
