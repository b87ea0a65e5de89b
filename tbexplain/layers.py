"""Finding layers of Keras models, also inside nested models.

Layers are addressed by a *path*: the names of the nested models and layers
that lead to the layer, joined by ``/``, e.g. ``"mobilenetv2_1.00_96/out_relu"``
for the last activation of a MobileNetV2 backbone used as a layer of a bigger
model, or ``"vit_backbone/vit_encoder/transformer_block_2"`` for a block that
is a sublayer of a custom layer (keras_hub's encoders hold their blocks so:
they are no nodes of a functional graph). Keras' own layers (``Dense``,
``MultiHeadAttention``, ...) are leaves: their inner layers are not listed.

`find_layer` resolves what a user passes as ``layer=`` (None, a name, a path
or a Layer object); `capture_layer` records a layer's output while a model
runs, so gradients can be taken with respect to it inside the same tape. The
capture works by temporarily replacing the layer's ``call`` for the duration
of one trace and restoring it afterwards (also on error): it needs no
sub-model, so it works for Sequential, Functional and nested models, and for
subclassed models when the layer is named.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import keras

__all__ = [
    "LayerRef",
    "capture_layer",
    "find_layer",
    "iter_layers",
    "output_rank",
    "static_output_shape",
]

LayerLike: TypeAlias = str | keras.layers.Layer | None


@dataclass(frozen=True)
class LayerRef:
    """A resolved layer: its nested path and the layer object."""

    path: str
    layer: keras.layers.Layer


def _is_model(layer: Any) -> bool:
    return isinstance(layer, keras.Model)


def sublayers(layer: keras.layers.Layer) -> list[keras.layers.Layer]:
    """The layers directly inside `layer`: a model's layers, a custom layer's
    tracked sublayers; none for Keras' own layers (they are leaves)."""
    if _is_model(layer):
        return list(layer.layers)
    if type(layer).__module__.startswith("keras."):
        return []
    flatten = getattr(layer, "_flatten_layers", None)
    if flatten is None:  # pragma: no cover - every Keras 3 layer has it
        return []
    return list(flatten(include_self=False, recursive=False))


def iter_layers(model: keras.Model, prefix: str = "") -> Iterator[LayerRef]:
    """Yields every layer of `model`, depth first: nested models and the
    sublayers of custom layers included.

    A nested model or custom layer is yielded itself before its own layers.
    A layer reached twice (shared) is yielded once, at its first path.

    Args:
        model: A Keras model.
        prefix: Path prefix of `model` (used by the recursion).
    """
    seen: set[int] = set()

    def walk(parent: keras.layers.Layer, prefix: str) -> Iterator[LayerRef]:
        for layer in sublayers(parent):
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            path = f"{prefix}{layer.name}"
            yield LayerRef(path, layer)
            yield from walk(layer, f"{path}/")

    yield from walk(model, prefix)


def output_rank(layer: keras.layers.Layer) -> int | None:
    """Rank of the layer's symbolic output, or None when it is unknown.

    Unknown for layers that were never called symbolically (subclassed models),
    that were called several times, or that have several outputs.
    """
    try:
        output = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return None
    shape = getattr(output, "shape", None)
    if shape is None:
        return None
    return len(shape)


def static_output_shape(layer: keras.layers.Layer) -> tuple[Any, ...] | None:
    """The shape of the layer's symbolic output (batch included), or None."""
    return _output_shape(layer)


def _output_shape(layer: keras.layers.Layer) -> tuple[Any, ...] | None:
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError, RuntimeError):
        return None


def _is_input_layer(layer: keras.layers.Layer) -> bool:
    return isinstance(layer, keras.layers.InputLayer)


def _spatial_candidates(model: keras.Model, rank: int) -> list[LayerRef]:
    """Layers (in model order) a method of `rank` can explain: those whose
    output has `rank`, over images also those of tokens [B, N, D] (a
    transformer's, put on their patch grid), and the layers inside custom
    layers, whose output is only known when the model runs."""
    found = []
    for ref in iter_layers(model):
        if _is_input_layer(ref.layer) or _is_model(ref.layer):
            continue
        actual = output_rank(ref.layer)
        if actual == rank or (actual == 3 and rank == 4) or _custom_inner(ref):
            found.append(ref)
    return found


def _custom_inner(ref: LayerRef) -> bool:
    """A custom layer (not Keras' own) without a graph node of its own."""
    return (
        output_rank(ref.layer) is None
        and not type(ref.layer).__module__.startswith("keras.")
        and "/" in ref.path
    )


def _last_spatial(model: keras.Model, rank: int, prefix: str = "") -> LayerRef | None:
    for layer in reversed(model.layers):
        if _is_input_layer(layer):
            continue
        path = f"{prefix}{layer.name}"
        if _is_model(layer):
            inner = _last_spatial(layer, rank, prefix=f"{path}/")
            if inner is not None:
                return inner
            continue
        if output_rank(layer) == rank:
            return LayerRef(path, layer)
    return None


def _describe(refs: list[LayerRef], limit: int = 40) -> str:
    names = [
        f"{ref.path} {_output_shape(ref.layer) or ''}".rstrip()
        for ref in refs
        if not _is_input_layer(ref.layer)
    ]
    if len(names) > limit:
        names = [*names[: limit // 2], "...", *names[-limit // 2 :]]
    return ", ".join(names) if names else "(none)"


def _has_static_graph(model: keras.Model) -> bool:
    try:
        return bool(model.outputs)
    except (AttributeError, ValueError):
        return False


def find_layer(
    model: keras.Model, layer: LayerLike = None, *, rank: int | None = 4
) -> LayerRef:
    """Resolves `layer` in `model`.

    Args:
        model: A Keras model (Sequential, Functional, possibly with nested
            models; subclassed models only with an explicit name or Layer).
        layer: None for the last layer with a spatial output (searched inside
            nested models); a layer name (searched at the top level first,
            then inside nested models; it must be unique); a nested path such
            as ``"mobilenetv2_1.00_96/out_relu"``; or a Layer object of the
            model.
        rank: The rank a spatial output has (4 for images [B, H, W, K], 3 for
            sequences [B, T, K]); used for None and to validate the result.
            None skips the check.

    Returns:
        The layer and its path.

    Raises:
        ValueError: When the layer is unknown (the message lists the
            candidates), ambiguous or has no spatial output.
        TypeError: When `layer` has an unsupported type.
    """
    if layer is None:
        if rank is None:
            raise ValueError("find_layer(layer=None) needs a rank. Received: rank=None")
        ref = _last_spatial(model, rank)
        if ref is None:
            if not _has_static_graph(model):
                raise ValueError(
                    f"Cannot find the last spatial layer of model '{model.name}' "
                    "automatically: it has no static graph (a subclassed model?). "
                    "Pass layer=<name> explicitly. Candidates: "
                    f"{_describe(list(iter_layers(model)))}. Received: layer=None"
                )
            raise ValueError(
                f"Model '{model.name}' has no layer with a spatial output of rank "
                f"{rank}. Layers: {_describe(list(iter_layers(model)))}. "
                "Received: layer=None"
            )
        return ref
    if isinstance(layer, keras.layers.Layer):
        for ref in iter_layers(model):
            if ref.layer is layer:
                return _checked(model, ref, rank)
        raise ValueError(
            f"Layer '{layer.name}' is not part of model '{model.name}'. "
            f"Candidates: {_describe(list(iter_layers(model)))}. "
            f"Received: layer={layer!r}"
        )
    if not isinstance(layer, str):
        raise TypeError(
            "layer must be None, a layer name, a nested path or a Layer. "
            f"Received: layer={layer!r}"
        )
    refs = list(iter_layers(model))
    exact = [ref for ref in refs if ref.path == layer]
    if exact:
        return _checked(model, exact[0], rank)
    by_name = [ref for ref in refs if ref.layer.name == layer]
    if len(by_name) == 1:
        return _checked(model, by_name[0], rank)
    if len(by_name) > 1:
        paths = ", ".join(ref.path for ref in by_name)
        raise ValueError(
            f"Layer name '{layer}' is ambiguous in model '{model.name}'; use a "
            f"path: {paths}. Received: layer={layer!r}"
        )
    if rank is not None:
        spatial = _spatial_candidates(model, rank)
        hint = f"Layers with a spatial or token output: {_describe(spatial)}"
    else:
        hint = f"Layers: {_describe(refs)}"
    raise ValueError(
        f"No layer '{layer}' in model '{model.name}'. {hint}. Received: layer={layer!r}"
    )


def _checked(model: keras.Model, ref: LayerRef, rank: int | None) -> LayerRef:
    if rank is None:
        return ref
    actual = output_rank(ref.layer)
    tokens = rank == 4 and actual == 3  # a transformer's, on their patch grid
    if actual is not None and actual != rank and not tokens:
        raise ValueError(
            f"Layer '{ref.path}' has output shape {_output_shape(ref.layer)}, "
            f"without the spatial dimensions this method needs (rank {rank}). "
            f"Layers with a spatial or token output: "
            f"{_describe(_spatial_candidates(model, rank))}. "
            f"Received: layer={ref.path!r}"
        )
    return ref


@contextlib.contextmanager
def patched_call(layer: keras.layers.Layer, wrapper: Any) -> Iterator[None]:
    """Temporarily replaces ``layer.call`` by ``wrapper(original_call)``.

    The original is restored on exit, also when an error is raised.
    """
    original = layer.call
    had_instance_attr = "call" in layer.__dict__
    patched = functools.wraps(original)(wrapper(original))
    object.__setattr__(layer, "call", patched)
    try:
        yield
    finally:
        if had_instance_attr:
            object.__setattr__(layer, "call", original)
        else:
            object.__delattr__(layer, "call")


@contextlib.contextmanager
def capture_layer(ref: LayerRef, tape: Any = None) -> Iterator[list[Any]]:
    """Records the outputs of a layer while the model runs.

    Yields a list that receives the layer's output each time it is called;
    take gradients with respect to ``captured[0]`` in the same tape. With
    `tape`, the output is watched on it: its gradient exists even when no
    input the tape watches leads to it (an integer input, a mask).
    """
    captured: list[Any] = []

    def wrapper(original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            output = original(*args, **kwargs)
            first = _first_output(output)
            if tape is not None and first is not None and first.dtype.is_floating:
                tape.watch(first)
            captured.append(output)
            return output

        return call

    with patched_call(ref.layer, wrapper):
        yield captured


def _first_output(output: Any) -> Any:
    """The tensor a layer returns, or the first of a tuple it returns."""
    if isinstance(output, (list, tuple)):
        output = output[0] if output else None
    return output if hasattr(output, "dtype") and hasattr(output, "shape") else None


def single_capture(ref: LayerRef, captured: list[Any]) -> Any:
    """The one output captured for `ref`, or a clear error."""
    if not captured:
        raise ValueError(
            f"Layer '{ref.path}' was not called when the model ran, so its output "
            "cannot be explained (is it part of the forward pass?). "
            f"Received: layer={ref.path!r}"
        )
    if len(captured) > 1:
        raise ValueError(
            f"Layer '{ref.path}' is called {len(captured)} times in one forward "
            "pass (a shared layer); pick a layer that is used once. "
            f"Received: layer={ref.path!r}"
        )
    output = captured[0]
    if isinstance(output, (list, tuple)):
        first = _first_output(output)
        if first is not None and all(o is None for o in output[1:]):
            return first  # (outputs, None): a block that returns no scores
        raise ValueError(
            f"Layer '{ref.path}' has several outputs; pick a layer with one. "
            f"Received: layer={ref.path!r}"
        )
    return output
