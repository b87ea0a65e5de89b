"""The one reader of inputs: numpy arrays, tensors, `tf.data` datasets and dicts.

Methods, the logger and `tbexplain.pipeline` all read their inputs here, so
they agree on what a dataset holds:

* an element is the inputs alone, a tuple ``(inputs, labels[, weights])`` as
  `keras.Model.fit` takes, or a dict: the inputs are the entry named by
  ``input_key``, else the first of `INPUT_KEYS` present, else the only entry
  that is not a label; the labels are the entry named by ``label_key``, else
  the first of `LABEL_KEYS` present;
* a dataset is batched when ``batched=True``, when the model's input rank
  says so (an element of the model's rank is a batch), or, without a model,
  when an element has rank 4; an element of rank 3 whose last axis has 1, 3
  or 4 entries is then one image [H, W, C], other rank-3 elements are
  batches. (A batch of sequences [B, T, 3] looks like one image: readers that
  know the model, such as the logger at its first call, read by its rank.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import kinds
from tbexplain.checks import positive_int

__all__ = [
    "INPUT_KEYS",
    "INPUT_KINDS",
    "LABEL_KEYS",
    "InputLike",
    "InputSpec",
    "as_batch",
    "class_ids",
    "explained_inputs",
    "input_kind",
    "model_input_rank",
    "model_inputs",
    "read_dataset",
    "read_model_inputs",
    "split_element",
    "to_numpy",
]

InputLike = Any  # np.ndarray | tf.Tensor | tf.data.Dataset | nested sequences

INPUT_KEYS = ("image", "images", "x", "input", "inputs", "pixels")
"""Dict keys that name the inputs of a dataset element, in order of preference."""

LABEL_KEYS = ("label", "labels", "y", "target", "targets", "class", "class_id")
"""Dict keys that name the labels of a dataset element, in order of preference."""

_PLAIN = (np.ndarray, np.generic, list, tuple, int, float)


def to_numpy(value: Any) -> np.ndarray:
    """`value` (numpy, a tensor or nested sequences) as a numpy array."""
    if not isinstance(value, _PLAIN) and tf.is_tensor(value):
        return np.asarray(value.numpy())  # type: ignore[union-attr]
    return np.asarray(value)


INPUT_KINDS = kinds.INPUT_KINDS
"""What an input holds, by its shape without the batch axis (`tbexplain.kinds`):
``image`` [H, W, C], ``sequence`` [T, C], ``tokens`` [T] (integer ids through
an ``Embedding``), ``features`` [F], ..."""


def input_kind(shape: Sequence[Any], integer: bool, embedded: bool) -> str | None:
    """The kind of an input of `shape` (no batch axis); None for other ranks.

    Args:
      shape: The input's shape without the batch axis.
      integer: Whether its values are integers.
      embedded: Whether an ``Embedding`` layer reads it.
    """
    kind = kinds.of_input(len(shape), token_ids=integer and embedded)
    return kind.name if kind is not None else None


@dataclass(frozen=True)
class InputSpec:
    """One input of a model, as the explanation methods and the logger see it.

    Attributes:
      name: The input's name (its ``keras.Input`` name).
      index: Its position among the model's inputs.
      kind: One of `INPUT_KINDS`.
      shape: Its shape without the batch axis (None for unknown sizes).
      dtype: Its dtype name.
      embedding: For ``tokens``: the ``Embedding`` layer that reads them.
    """

    name: str
    index: int
    kind: str
    shape: tuple[int | None, ...]
    dtype: str
    embedding: Any = None


def _reader_embedding(model: Any, tensor: Any) -> Any:
    """The Embedding layer that reads `tensor` (inside nested models too), or None."""
    import keras

    for layer in getattr(model, "layers", []):
        for node in getattr(layer, "_inbound_nodes", []):
            tensors = list(getattr(node, "input_tensors", []))
            if not any(t is tensor for t in tensors):
                continue
            if isinstance(layer, keras.layers.Embedding):
                return layer
            if isinstance(layer, keras.Model) and layer.inputs:
                position = next(i for i, t in enumerate(tensors) if t is tensor)
                if position < len(layer.inputs):
                    found = _reader_embedding(layer, layer.inputs[position])
                    if found is not None:
                        return found
    return None


def model_inputs(model: Any) -> list[InputSpec] | None:
    """The inputs of a built model with their kinds; None when not known
    (a subclassed model that was never called on data)."""
    try:
        tensors = list(model.inputs or [])
    except (AttributeError, ValueError):
        return None
    if not tensors:
        return None
    specs = []
    for i, tensor in enumerate(tensors):
        shape = tuple(tensor.shape[1:])
        dtype = str(getattr(tensor.dtype, "name", tensor.dtype))
        ids = kinds.of_input(len(shape), token_ids=True)
        embedding = (
            _reader_embedding(model, tensor)
            if "int" in dtype and ids is not None and ids.token_ids
            else None
        )
        kind = kinds.of_input(len(shape), token_ids=embedding is not None)
        name = str(getattr(tensor, "name", "") or f"input_{i}")
        specs.append(
            InputSpec(
                name=name.split(":")[0],
                index=i,
                kind=kind.name if kind is not None else kinds.UNKNOWN,
                shape=shape,
                dtype=dtype,
                embedding=embedding if kind is not None and kind.token_ids else None,
            )
        )
    return specs


def explained_inputs(specs: Sequence[InputSpec]) -> list[int]:
    """The inputs explained when none is named, by index.

    Every input of a known kind; but for a model that reads token ids, only
    the token ids read by its largest embedding (BERT's ``token_ids``): its
    other inputs (``segment_ids``, ``padding_mask``) are held at their values.
    """
    known = [spec.index for spec in specs if spec.kind != kinds.UNKNOWN]
    sizes = {
        spec.index: int(getattr(spec.embedding, "input_dim", 0) or 0)
        for spec in specs
        if (kind := kinds.find(spec.kind)) is not None and kind.token_ids
    }
    if not sizes:
        return known
    largest = max(sizes.values())
    return [index for index, size in sizes.items() if size == largest]


def model_input_rank(model: Any) -> int | None:
    """The rank (batch included) of a single-input model's input; None if unknown."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs or len(inputs) != 1:
        return None
    return len(inputs[0].shape)


def split_element(
    element: Any, input_key: str | None = None, label_key: str | None = None
) -> tuple[Any, Any]:
    """(inputs, labels or None) of one dataset element (or element spec)."""
    if isinstance(element, Mapping):
        if input_key is not None and input_key not in element:
            raise ValueError(
                "input_key is not in the dataset's elements. "
                f"Received: input_key={input_key!r}, keys={sorted(element)}"
            )
        if label_key is not None and label_key not in element:
            raise ValueError(
                "label_key is not in the dataset's elements. "
                f"Received: label_key={label_key!r}, keys={sorted(element)}"
            )
        lkey = label_key or next((k for k in LABEL_KEYS if k in element), None)
        ikey = input_key or next((k for k in INPUT_KEYS if k in element), None)
        if ikey is None:
            rest = [k for k in element if k != lkey]
            if len(rest) != 1:
                raise ValueError(
                    "Cannot tell which entry of the dataset's dict elements holds the "
                    f"inputs; pass input_key=. Received: keys={sorted(element)}"
                )
            ikey = rest[0]
        return element[ikey], element[lkey] if lkey is not None else None
    if isinstance(element, (tuple, list)):
        if not element:
            raise ValueError("Dataset elements must not be empty tuples.")
        return element[0], element[1] if len(element) > 1 else None
    return element, None


def _is_batched(
    shape: tf.TensorShape, batched: bool | None, model_rank: int | None
) -> bool:
    if batched is not None:
        return bool(batched)
    rank = shape.rank
    if rank is None:
        raise ValueError(
            "The rank of the dataset's elements is unknown; pass batched=True or False."
        )
    if model_rank is not None and rank in (model_rank, model_rank - 1):
        return rank == model_rank
    if rank >= 4:
        return True
    if rank == 3:
        return shape[-1] not in (1, 3, 4)
    return False


def _stack(samples: list[np.ndarray], pad: bool) -> np.ndarray:
    shapes = {s.shape for s in samples}
    if len(shapes) == 1:
        return np.stack(samples)
    if not pad:
        raise ValueError(
            "The dataset's samples have different shapes; resize them first. "
            f"Received: shapes={sorted(shapes)}"
        )
    if {s.ndim for s in samples} != {3} or len({s.shape[2] for s in samples}) != 1:
        raise ValueError(
            "Samples of different sizes must be images [H, W, C] with one number "
            f"of channels. Received: shapes={sorted(shapes)}"
        )
    out = np.zeros(
        (
            len(samples),
            max(s.shape[0] for s in samples),
            max(s.shape[1] for s in samples),
            samples[0].shape[2],
        ),
        np.result_type(*samples),
    )
    for i, s in enumerate(samples):
        top = (out.shape[1] - s.shape[0]) // 2
        left = (out.shape[2] - s.shape[1]) // 2
        out[i, top : top + s.shape[0], left : left + s.shape[1]] = s
    return out


def read_dataset(
    dataset: tf.data.Dataset,
    n: int | None = None,
    *,
    batched: bool | None = None,
    input_key: str | None = None,
    label_key: str | None = None,
    model_rank: int | None = None,
    pad: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Reads the first `n` samples of a finite dataset (see the module docstring).

    Args:
      dataset: A `tf.data.Dataset`.
      n: How many samples; None reads the whole dataset (which must be finite).
      batched: Whether elements are batches; by default guessed (module docstring).
      input_key: The inputs' key for dict elements.
      label_key: The labels' key for dict elements.
      model_rank: The rank of the model's input (batch included), if known.
      pad: Centre samples of different sizes on a zero canvas of the largest
        (pipeline stages before a resize); otherwise they are an error.

    Returns:
      (inputs [n, ...] as read, or a dict of them for elements whose inputs
      are a dict of named tensors; labels [n, ...] as read, or None).

    Raises:
      ValueError: `n` is not positive, the dataset is infinite or empty, or
        its samples cannot be stacked.
    """
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"dataset must be a tf.data.Dataset. Received: {type(dataset).__name__}"
        )
    n = positive_int(n, "n", allow_none=True)
    if n is None and int(dataset.cardinality()) == int(tf.data.INFINITE_CARDINALITY):
        raise ValueError(
            "The dataset is infinite: call .take(n) first. "
            "Received: an infinite dataset"
        )
    x_spec, y_spec = split_element(dataset.element_spec, input_key, label_key)
    named = isinstance(x_spec, Mapping)
    specs = dict(x_spec) if named else {"": x_spec}
    if not all(isinstance(v, tf.TensorSpec) for v in specs.values()):
        raise ValueError(
            "The dataset's inputs must be one tensor (or a dict of tensors) per "
            f"element. Received: element_spec={dataset.element_spec}"
        )
    first = next(iter(specs.values()))
    is_batched = _is_batched(first.shape, batched, None if named else model_rank)
    xs: dict[str, list[np.ndarray]] = {key: [] for key in specs}
    ys: list[np.ndarray] | None = [] if y_spec is not None else None
    source = dataset if is_batched or n is None else dataset.take(n)
    count = 0
    for element in source:
        x, y = split_element(element, input_key, label_key)
        parts = x if named else {"": x}
        for key in specs:
            value = to_numpy(parts[key])
            xs[key].extend(value if is_batched else value[None])
        if ys is not None:
            y = to_numpy(y)
            ys.extend(y if is_batched else y[None])
        count = len(xs[next(iter(specs))])
        if n is not None and count >= n:
            break
    if count == 0:
        raise ValueError("The dataset is empty. Received: 0 elements")
    keep = n if n is not None else count
    labels = np.stack(ys[:keep]) if ys else None
    stacked = {key: _stack(values[:keep], pad) for key, values in xs.items()}
    return (stacked if named else stacked[""]), labels  # type: ignore[return-value]


def class_ids(
    labels: Any, n: int | None = None, what: str = "labels", *, strict: bool = True
) -> np.ndarray | None:
    """Class ids [n] from integer ids [n] (or [n, 1]) or one-hot rows [n, K].

    Args:
      labels: The labels (numpy, a tensor or sequences).
      n: The number of samples they must describe, if known.
      what: The argument's name, for messages.
      strict: Raise for labels that are not class ids; otherwise return None.

    Raises:
      ValueError: (with `strict`) labels of another length, or not
        non-negative integers.
    """
    array = to_numpy(labels)
    if array.ndim == 2 and array.shape[1] > 1:
        array = array.argmax(axis=1)
    elif array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    problem = None
    if array.ndim != 1 or (n is not None and array.shape[0] != n):
        problem = (
            f"{what} must have one class id (or one-hot row) per sample"
            + (f" ({n})" if n is not None else "")
            + f". Received: {what} with shape {np.shape(labels)}"
        )
    elif array.dtype.kind not in "iuf" or (
        array.dtype.kind == "f" and not np.all(np.mod(array, 1) == 0)
    ):
        problem = f"{what} must be integer class ids. Received: {what}={array!r}"
    elif (array < 0).any():
        problem = (
            f"{what} must be non-negative integer class ids. Received: {what}={array!r}"
        )
    if problem is not None:
        if strict:
            raise ValueError(problem)
        return None
    return array.astype(np.int64)


def _as_array(value: Any, what: str) -> np.ndarray | tf.Tensor:
    if tf.is_tensor(value):
        return value
    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        return np.asarray(value)
    raise TypeError(
        f"{what} must be a numpy array or a tf.Tensor. Received: {type(value).__name__}"
    )


def read_model_inputs(
    inputs: InputLike, specs: Sequence[InputSpec] | None
) -> list[np.ndarray | tf.Tensor]:
    """A model's input arrays, in the order of its inputs, checked by kind.

    Args:
      inputs: For a single-input model, one batch (numpy, a tensor or a
        finite dataset, see `as_batch`); for several inputs, a dict by input
        name, a list in input order, or a finite dataset of such dicts.
      specs: The model's inputs (`model_inputs`), or None when unknown (one
        input, read by `as_batch`).

    Returns:
      One array per input: token ids as integers, the rest as float32.

    Raises:
      TypeError, ValueError: a missing or extra input, a wrong rank, empty or
        uneven batches.
    """
    if not specs or len(specs) == 1:
        spec = specs[0] if specs else None
        if isinstance(inputs, Mapping) and spec is not None and spec.name in inputs:
            inputs = inputs[spec.name]
        kind = kinds.find(spec.kind) if spec is not None else None
        if spec is None or (kind is not None and kind.fed == kinds.FED_AS_IS):
            return [as_batch(inputs, None if spec is None else len(spec.shape) + 1)]
        if isinstance(inputs, tf.data.Dataset):
            inputs = read_dataset(inputs, model_rank=len(spec.shape) + 1)[0]
        return [_checked(_as_array(inputs, "inputs"), spec)]
    if isinstance(inputs, tf.data.Dataset):
        inputs = read_dataset(inputs)[0]
    names = [spec.name for spec in specs]
    if isinstance(inputs, Mapping):
        missing = [name for name in names if name not in inputs]
        extra = [key for key in inputs if key not in names]
        if missing or extra:
            raise ValueError(
                f"inputs must name each of the model's inputs {names}. "
                f"Received: keys={sorted(inputs)}"
            )
        values = [inputs[name] for name in names]
    elif isinstance(inputs, (list, tuple)) and len(inputs) == len(specs):
        values = list(inputs)
    else:
        raise TypeError(
            f"The model has {len(specs)} inputs {names}: pass a dict by input name "
            f"or a list in that order. Received: {type(inputs).__name__}"
        )
    arrays = [
        _checked(_as_array(v, f"inputs[{s.name!r}]"), s)
        for v, s in zip(values, specs, strict=True)
    ]
    sizes = [int(a.shape[0]) for a in arrays]
    if len(set(sizes)) != 1:
        raise ValueError(
            f"Every input must hold the same number of samples. Received: {sizes}"
        )
    return arrays


def _checked(array: np.ndarray | tf.Tensor, spec: InputSpec) -> np.ndarray | tf.Tensor:
    """One input's batch checked against its spec (rank, emptiness, dtype)."""
    shape = tuple(array.shape)
    kind = kinds.find(spec.kind)
    rank = (kind.rank if kind is not None else len(spec.shape)) + 1
    if len(shape) != rank:
        raise ValueError(
            f"Input {spec.name!r} ({spec.kind}) takes batches of rank {rank} "
            f"{(None, *spec.shape)}. Received: shape={shape}"
        )
    if shape[0] == 0:
        raise ValueError(f"Input {spec.name!r} is empty. Received: shape={shape}")
    dtype = tf.as_dtype(array.dtype)
    if not (dtype.is_floating or dtype.is_integer or dtype.is_bool):
        raise TypeError(
            f"Input {spec.name!r} must be numeric. Received: dtype={dtype.name}"
        )
    if kind is not None and kind.token_ids:
        if not dtype.is_integer:
            raise TypeError(
                f"Input {spec.name!r} holds token ids: integers. "
                f"Received: dtype={dtype.name}"
            )
        return array
    if tf.is_tensor(array):
        return tf.cast(array, tf.float32)
    return np.asarray(array).astype(np.float32, copy=False)


def as_batch(
    inputs: InputLike, model_rank: int | None = None
) -> np.ndarray | tf.Tensor:
    """Validates a batch of inputs and converts it to float32.

    A `tf.Tensor` stays a tensor (no round trip through host memory); numpy
    arrays, sequences and finite datasets become a numpy array.

    Args:
      inputs: A batch of a kind fed as it is (`tbexplain.kinds`): images
        [B, H, W, C], sequences [B, T, C], ...: numpy, a tensor, or a finite
        `tf.data.Dataset` (read with `read_dataset`).
      model_rank: The rank of the model's input, if known.

    Raises:
      TypeError: not an array, tensor or dataset, or not numeric.
      ValueError: the wrong rank, or empty.
    """
    if isinstance(inputs, tf.data.Dataset):
        array: Any = read_dataset(inputs, model_rank=model_rank)[0]
    elif tf.is_tensor(inputs):
        array = inputs
    elif isinstance(inputs, (np.ndarray, list, tuple)):
        array = np.asarray(inputs)
    else:
        raise TypeError(
            "inputs must be a numpy array, a tf.Tensor or a finite tf.data.Dataset. "
            f"Received: inputs of type {type(inputs).__name__}"
        )
    dtype = tf.as_dtype(array.dtype)
    if not (dtype.is_floating or dtype.is_integer or dtype.is_bool):
        raise TypeError(f"inputs must be numeric. Received: dtype={dtype.name}")
    shape = tuple(array.shape)
    as_is = [kind for kind in kinds.KINDS if kind.fed == kinds.FED_AS_IS]
    if len(shape) - 1 not in {kind.rank for kind in as_is}:
        raise ValueError(
            f"inputs must be a batch of {kinds.describe(as_is)}. "
            f"Received: shape={shape}"
        )
    if model_rank is not None and len(shape) != model_rank:
        raise ValueError(
            f"The model expects inputs of rank {model_rank}. Received: shape={shape}"
        )
    if shape[0] == 0:
        raise ValueError(f"inputs is empty. Received: shape={shape}")
    if tf.is_tensor(array):
        return tf.cast(array, tf.float32)
    return array.astype(np.float32, copy=False)
