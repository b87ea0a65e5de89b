"""The part of a model above one of its layers: the model rerun with that layer's
output replaced, computing only what depends on it.

A method that scores many versions of a layer's output (AblationCAM: one per
channel set to zero) needs ``f(x with the layer's output replaced by A')``
for each. Rerunning the whole model would recompute everything below the
layer for every version. For models with a graph (Functional and Sequential
models, nested in each other as deep as they go), `Above` runs only the
nodes whose inputs depend on the layer's output; everything else they read
(the tensors of skip connections that bypass the layer, the branches of the
other inputs, outputs that do not depend on the layer) is recorded during one
ordinary forward pass of the batch and looked up per copy.

Where the model has no graph to cut (a subclassed model; a layer called
inside another layer, such as the blocks of an encoder layer; a layer or a
producer of a bypassing tensor shared by several calls), the copies run the
whole model with the layer's call returning the replacement: the same
outputs, at the cost of a whole forward pass per copy.

Usage, inside one traced function::

    above = Above.of(model, ref)
    with above.recording() as held:
        ...  # one forward pass of the batch (e.g. `Forward.layer_output`)
    with above.replacing(values, held, rows):
        outputs = model(...)  # the model's outputs with the layer's output
                              # replaced by `values` (rows of the batch's samples)

The graph walk reads Keras' functional-graph records (each symbolic tensor's
producing node, each node's operation, arguments and outputs), as Keras' own
`Functional.call` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import keras
import tensorflow as tf
from keras import tree
from keras.src.models.functional import Functional
from keras.src.models.functional import operation_fn as _with_call_context

from tbexplain import layers as layers_lib

__all__ = ["Above", "Held"]


@dataclass
class Held:
    """What a recorded forward pass left: the layer's output and, per level of
    the cut, the values of the tensors that bypass it (each [B, ...])."""

    output: Any = None
    bypass: list[list[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Level:
    """One model on the way from the top model down to the layer.

    ``source`` is the node of this model's graph whose outputs stand for the
    layer's output at this level (the layer's own node at the deepest level,
    the node calling the next nested model otherwise); ``nodes`` are the
    nodes above it in execution order; ``bypass`` the other tensors they (and
    the outputs) read.
    """

    model: keras.Model
    graph: Functional
    source: Any
    nodes: tuple[Any, ...]
    bypass: tuple[Any, ...]


def _graph(model: Any) -> Functional | None:
    """The functional graph a model runs through, or None if it has none."""
    if isinstance(model, keras.Sequential):
        model = getattr(model, "_functional", None)
    if not isinstance(model, Functional) or type(model).call is not Functional.call:
        return None
    return model


def _producer(tensor: Any) -> tuple[Any, int]:
    """(node, output index) of the node that produced a symbolic tensor."""
    operation, node_index, tensor_index = tensor._keras_history
    return operation._inbound_nodes[node_index], tensor_index


def _nodes(graph: Functional) -> list[Any]:
    """The graph's nodes (inputs excluded), each after the nodes it reads."""
    order: list[Any] = []
    seen: set[int] = set()
    stack = [(_producer(t)[0], False) for t in reversed(tree.flatten(graph.outputs))]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.is_input:
            continue
        stack.append((node, True))
        stack.extend((_producer(t)[0], False) for t in reversed(node.input_tensors))
    return order


def _level(model: keras.Model, child: Any) -> _Level | None:
    """The cut of `model`'s graph above its one call of `child`, or None."""
    graph = _graph(model)
    if graph is None:
        return None
    nodes = _nodes(graph)
    sources = [node for node in nodes if node.operation is child]
    if len(sources) != 1:
        return None
    source = sources[0]
    above_ids = {id(t) for t in source.outputs}
    above = []
    for node in nodes[nodes.index(source) + 1 :]:
        if any(id(t) in above_ids for t in node.input_tensors):
            above.append(node)
            above_ids.update(id(t) for t in node.outputs)
    bypass: dict[int, Any] = {}
    reads = [t for node in above for t in node.input_tensors]
    for tensor in [*reads, *tree.flatten(graph.outputs)]:
        if id(tensor) not in above_ids:
            bypass.setdefault(id(tensor), tensor)
    for tensor in bypass.values():
        node, _ = _producer(tensor)
        if not node.is_input and len(node.operation._inbound_nodes) != 1:
            return None  # a shared producer: which call is this one's?
    return _Level(model, graph, source, tuple(above), tuple(bypass.values()))


def _flat_inputs(graph: Functional, inputs: Any) -> list[Any]:
    """A model call's inputs as a list aligned with ``graph.inputs``."""
    return list(graph._standardize_inputs(inputs))


class Above:
    """The model above one layer (see the module docstring).

    Build with `Above.of`; ``cut`` says whether only the part above the layer
    runs (True) or the whole model (False).
    """

    def __init__(
        self,
        model: keras.Model,
        ref: layers_lib.LayerRef,
        levels: list[_Level] | None,
    ) -> None:
        self.model = model
        self.ref = ref
        self._levels = levels

    @classmethod
    def of(
        cls, model: keras.Model, ref: layers_lib.LayerRef, embedding: Any = None
    ) -> Above:
        """The part of `model` above `ref`.

        Args:
          model: The model.
          ref: A layer of it (see `tbexplain.layers.find_layer`).
          embedding: An ``Embedding`` layer whose call is replaced while the
            model runs (token inputs, see `tbexplain.methods.feeding`): a cut
            that would record its output runs the whole model instead.
        """
        levels = _cut(model, ref)
        if levels is not None and embedding is not None:
            producers = {
                id(_producer(t)[0].operation) for lv in levels for t in lv.bypass
            }
            if id(embedding) in producers:
                levels = None  # its output is replaced, never computed: no record
        return cls(model, ref, levels)

    @property
    def cut(self) -> bool:
        """Whether only what depends on the layer reruns."""
        return self._levels is not None

    @property
    def bypass(self) -> list[list[Any]]:
        """For a cut, per model from the layer's up to the top model: the
        symbolic tensors from below that the part above reads."""
        return [list(level.bypass) for level in self._levels or []]

    @contextlib.contextmanager
    def recording(self) -> Iterator[Held]:
        """While the model runs once: records the layer's output and, for a
        cut, every tensor from below that the part above reads."""
        held = Held()
        with contextlib.ExitStack() as stack:
            captured = stack.enter_context(layers_lib.capture_layer(self.ref))
            slots: list[list[list[Any]]] = []
            for level in self._levels or []:
                slots.append(
                    [stack.enter_context(self._record(level, t)) for t in level.bypass]
                )
            yield held
        held.output = layers_lib.single_capture(self.ref, captured)
        for level, level_slots in zip(self._levels or [], slots, strict=True):
            values = []
            for tensor, slot in zip(level.bypass, level_slots, strict=True):
                if len(slot) != 1:
                    raise RuntimeError(
                        f"Tensor '{tensor.name}' of model '{level.model.name}' was "
                        f"computed {len(slot)} times in one forward pass."
                    )
                values.append(slot[0])
            held.bypass.append(values)

    @contextlib.contextmanager
    def _record(self, level: _Level, tensor: Any) -> Iterator[list[Any]]:
        """Appends the value `tensor` takes while the model runs to the list
        it yields."""
        node, index = _producer(tensor)
        slot: list[Any] = []
        if node.is_input:
            position = [id(t) for t in level.graph.inputs].index(id(tensor))
            owner, pick = level.model, lambda args: _flat_inputs(level.graph, args[0])
        else:
            owner, pick = node.operation, None

        def wrapper(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                output = original(*args, **kwargs)
                if pick is not None:
                    inputs = args if args else (kwargs["inputs"],)
                    slot.append(pick(inputs)[position])
                else:
                    slot.append(tree.flatten(output)[index])
                return output

            return call

        with layers_lib.patched_call(owner, wrapper):
            yield slot

    @contextlib.contextmanager
    def replacing(
        self, values: tf.Tensor, held: Held, rows: tf.Tensor
    ) -> Iterator[None]:
        """While the model runs: its outputs are those with the layer's output
        replaced by `values` [n, ...], row i standing for sample ``rows[i]``.

        For a cut, the top model's call ignores its inputs and runs the part
        above the layer (feed it the batch itself); otherwise the layer's call
        returns `values` and the whole model runs (feed it the rows' samples).
        """
        if self._levels is None:
            with layers_lib.patched_call(
                self.ref.layer, lambda original: lambda *a, **k: values
            ):
                yield
            return
        levels = self._levels

        def wrapper(original: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                return _run_above(levels, values, held, rows)

            return call

        with layers_lib.patched_call(self.model, wrapper):
            yield


def _cut(model: keras.Model, ref: layers_lib.LayerRef) -> list[_Level] | None:
    """The levels of the cut, deepest first, or None where it cannot be cut."""
    names = ref.path.split("/")
    chain = [model]
    for name in names[:-1]:
        try:
            chain.append(chain[-1].get_layer(name))
        except (ValueError, AttributeError):  # a layer inside a custom layer
            return None
    children = [*chain[1:], ref.layer]
    levels = []
    for level_model, child in zip(chain, children, strict=True):
        level = _level(level_model, child)
        if level is None:
            return None
        levels.append(level)
    return levels[::-1]


def _run_above(
    levels: list[_Level], values: tf.Tensor, held: Held, rows: tf.Tensor
) -> Any:
    """The top model's outputs from the layer's replaced output, running only
    the nodes above it at each level, deepest first."""
    flat = [values]
    outputs: Any = None
    for depth, level in enumerate(levels):
        known = {id(t): v for t, v in zip(level.source.outputs, flat, strict=True)}
        for tensor, value in zip(level.bypass, held.bypass[depth], strict=True):
            known[id(tensor)] = tf.gather(value, rows)
        for node in level.nodes:
            args, kwargs = node.arguments.fill_in(known)
            result = _with_call_context(node.operation, training=False)(*args, **kwargs)
            for tensor, value in zip(node.outputs, tree.flatten(result), strict=True):
                known[id(tensor)] = value
        flat = [known[id(t)] for t in tree.flatten(level.graph.outputs)]
        outputs = tree.pack_sequence_as(level.graph.output, flat)
    if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
        return outputs[0]  # as `Functional.call` returns a single output
    return outputs
