"""The model-parameter randomisation test (Adebayo et al., 2018, "Sanity checks for
saliency maps"; Quantus' ``MPRT``): does a map depend on what the model learned?

The maps of the model are compared with the maps, for the same classes, of a
copy of the model whose top ``layers`` weighted layers are re-initialised
(`tbexplain.metrics.model_copy`): the Spearman rank correlation of each pair.
A map that passes the check changes when the weights it should depend on are
randomised: a correlation near 0 (or negative). A correlation near 1 means the
map would look the same for a model that never learned those layers, e.g. an
edge detector. The copy is made once per model and kept in step with it; the
model's weights and optimizer are never touched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tbexplain.metrics._common import check_seed, spearman_rows
from tbexplain.metrics._explaining import check_method, explain_as, explain_once
from tbexplain.metrics._feeding import CACHE
from tbexplain.metrics.model_copy import RandomisedCopy

__all__ = ["randomisation", "randomised_copy"]


def randomised_copy(model: Any, layers: int) -> RandomisedCopy:
    """The model's `RandomisedCopy` for `layers`, made once per model.

    Raises:
      ValueError: the model cannot be copied, or a wrong `layers`.
    """
    if not isinstance(layers, (int, np.integer)) or isinstance(layers, bool):
        raise ValueError(
            f"`layers` must be a positive integer. Received: layers={layers!r}"
        )
    return CACHE.get(
        model, ("randomised", int(layers)), lambda: RandomisedCopy(model, layers)
    )


def randomisation(
    method: Any,
    model: Any,
    inputs: Any,
    class_ids: Any = None,
    *,
    layers: int = 1,
    seed: int | None = 0,
    input: str | int | None = None,
    maps: Any = None,
) -> np.ndarray:
    """The Spearman correlation of each map with the map of a randomised model
    (lower means the map depends on the learned weights; see the module
    docstring).

    Costs two explanations of the batch (one given `maps`), one of them of
    the copy, and the copy's memory.

    Args:
      method: An attribution method (``tbx.GradCAM()``, ...).
      model: A Keras model that Keras can copy (Functional, Sequential, or a
        subclassed model with ``get_config``).
      inputs: What the model takes (a dict by input name for several).
      class_ids: What each map explains, as ``targets=`` of
        `Method.explain`: None (the predicted class of the model), an int,
        one int per sample, or a callable target; the copy's maps explain
        the same.
      layers: How many weighted layers, from the output down, are
        re-initialised (nested models are walked into).
      seed: The seed of the re-initialised weights (None: fresh ones).
      input: For a model of several inputs, the one explained.
      maps: The method's maps of `inputs` if already computed (at its own
        resolution or the input's), with `class_ids` the classes they
        explain; saves one explanation.

    Returns:
      float64 [B] rank correlations in [-1, 1]; NaN where a map is constant
      or has a non-finite value.

    Raises:
      TypeError: `method` is not an attribution method.
      ValueError: the model cannot be copied, or a wrong `layers`.
    """
    method = check_method(method, "randomisation")
    copy = randomised_copy(model, layers)
    targets = class_ids
    if maps is None:
        maps, targets = explain_once(method, model, inputs, class_ids, input)
    maps = np.asarray(maps)
    other = explain_as(
        method, copy.update(check_seed(seed)), inputs, targets, input, maps
    )
    return spearman_rows(maps, other)
