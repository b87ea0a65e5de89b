"""What a logger resolves for one model: the fitted probe, the forward pass, the
jobs' series names and the inputs series, checked before anything is logged."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import targets as targets_lib
from tbexplain.logger.display import InputDisplay, displays
from tbexplain.logger.jobs import Job
from tbexplain.logger.naming import name_series
from tbexplain.logger.probe import Probe
from tbexplain.logger.targeting import TargetPlan

__all__ = ["Binding", "bind_model"]


@dataclass
class Binding:
    """What the logger resolved for one model.

    Attributes:
      model_ref: A weak reference to the model.
      probe: The probe, fitted to the model's inputs.
      forward: A `tf.function` of the probe's pre-activation outputs [B, K].
      has_classes: Whether the model outputs class scores [B, K] (so the
        manifests can record its prediction).
      binary: Whether those are one sigmoid unit's.
      x: The probe as the model takes it: a tensor, or a dict by input name.
      x_k: The same repeated k times per sample.
      inputs_k: `x_k` as numpy.
      displays: Each model input's inputs series.
    """

    model_ref: Callable[[], Any]
    probe: Probe
    forward: Any
    has_classes: bool
    binary: bool
    x: Any
    x_k: Any
    inputs_k: Any
    displays: dict[str, InputDisplay]


def _output_rank(model: Any, x: Any) -> int:
    """The rank of the model's single output (batch included)."""
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if outputs:
        return len(outputs[0].shape)
    return len(tf.convert_to_tensor(model(x, training=False)).shape)


def _structure(specs: list[Any], arrays: list[Any]) -> Any:
    """One array for a single input, a dict by input name for several."""
    if len(specs) == 1:
        return arrays[0]
    return {spec.name: array for spec, array in zip(specs, arrays, strict=True)}


def _forward(model_ref: Callable[[], Any], info: targets_lib.OutputInfo) -> Any:
    """A `tf.function` of the model's pre-activation outputs, flattened to [B, K]."""

    @tf.function(autograph=False)
    def forward(x: tf.Tensor) -> tf.Tensor:
        outputs = targets_lib.pre_activation_outputs(model_ref(), x, info)
        outputs = tf.convert_to_tensor(outputs)
        batch = tf.shape(tf.nest.flatten(x)[0])[0]
        return tf.reshape(tf.cast(outputs, tf.float32), [batch, -1])

    return forward


def _scores_on_probe(
    model: Any, forward: Any, x: Any, arrays: list[Any]
) -> tuple[int, bool]:
    """(scores per sample, whether they are class scores) of the model on `x`."""
    try:
        num_classes = int(forward(x).shape[-1])
        vector = _output_rank(model, x) <= 2
    except Exception as err:
        raise ValueError(
            f"Model '{model.name}' cannot run on the probe: {err}. Received: "
            f"inputs of shapes {[a.shape for a in arrays]}"
        ) from err
    return num_classes, vector


def _bind_jobs(
    jobs: Sequence[Job],
    model: Any,
    probe: Probe,
    plan: TargetPlan,
    prefix: str,
    shown: dict[str, InputDisplay],
) -> None:
    """Binds each job to the model and gives it its series' names."""
    tags = {name: display.tag for name, display in shown.items()}
    keys = [job.bind(model, probe, plan, tags) for job in jobs]
    names = iter(name_series(prefix, [k for ks in keys for k in ks]))
    for job, ks in zip(jobs, keys, strict=True):
        job.names = [next(names) for _ in ks]


def bind_model(
    model: Any,
    probe: Probe,
    plan: TargetPlan,
    jobs: Sequence[Job],
    prefix: str,
    vocabulary: Any = None,
    feature_names: Any = None,
) -> Binding:
    """Resolves the probe, the targets and every job for `model`.

    Binds each job (it resolves its layers and says its series) and gives the
    jobs their series' names.

    Raises:
      TypeError, ValueError: the model cannot take the probe, the targets do
        not fit its outputs, or a job cannot apply to it.
    """
    if not callable(model):
        raise TypeError(f"model must be a Keras model. Received: model={model!r}")
    probe = probe.fit(model)
    info = targets_lib.output_info(model)
    if info.multi_output and plan.fn is None:
        raise ValueError(
            f"Model '{model.name}' has several outputs: pass targets=callable("
            "outputs) -> [B] scores to choose what to explain. Received: a class "
            "target"
        )
    model_ref = weakref.ref(model)
    forward = _forward(model_ref, info)
    specs = probe.specs
    assert specs is not None
    arrays = probe.model_inputs()
    x = _structure(specs, [tf.constant(a) for a in arrays])
    num_classes = 0
    vector = False  # class scores [B, K], not maps [B, H, W, K]
    if not info.multi_output:
        num_classes, vector = _scores_on_probe(model, forward, x, arrays)
        if plan.fn is None:
            plan.check(num_classes, probe.labels)
    shown = displays(prefix, specs, vocabulary, feature_names)
    _bind_jobs(jobs, model, probe, plan, prefix, shown)
    repeated = [np.repeat(a, plan.k, axis=0) for a in arrays]
    return Binding(
        model_ref,
        probe,
        forward,
        has_classes=vector and (num_classes > 1 or info.single_sigmoid),
        binary=info.single_sigmoid,
        x=x,
        x_k=_structure(specs, [tf.constant(a) for a in repeated]),
        inputs_k=_structure(specs, repeated),
        displays=shown,
    )
