"""The logger's probe: the fixed inputs, labels and masks, read and checked once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf

from tbexplain import inputs as inputs_lib
from tbexplain import kinds
from tbexplain.inputs import InputSpec

__all__ = ["Probe"]


def _spatial(array: np.ndarray) -> tuple[int, ...]:
    """The positions a map covers for a batch of inputs of its rank's kind:
    all axes but the batch and the channels of a kind that has them."""
    kind = kinds.of_input(array.ndim - 1)
    return tuple(array.shape[1:] if kind is None else kind.map_shape(array.shape[1:]))


def _read_masks(
    masks: Any, arrays: dict[str, np.ndarray]
) -> tuple[np.ndarray | None, str | None]:
    """(masks as bool [B, ...], the input they mark) for ground-truth masks."""
    if masks is None:
        return None, None
    m = inputs_lib.to_numpy(masks)
    matching = [k for k, a in arrays.items() if (a.shape[0], *_spatial(a)) == m.shape]
    if not matching and m.shape[-1:] == (1,):
        m = m[..., 0]
        matching = [
            k for k, a in arrays.items() if (a.shape[0], *_spatial(a)) == m.shape
        ]
    if len(matching) != 1:
        shapes = {k or "images": a.shape for k, a in arrays.items()}
        raise ValueError(
            "masks must mark one input's positions: [B, H, W] for images, [B, T] "
            f"for tokens, ... of the probe {shapes}. Received: masks with shape "
            f"{np.shape(masks)}"
        )
    return m.astype(bool), matching[0]


def _check(array: np.ndarray, what: str) -> np.ndarray:
    if kinds.of_input(array.ndim - 1) is None or 0 in array.shape:
        raise ValueError(
            f"{what} must be a non-empty batch of {kinds.describe()}. "
            f"Received: {what} with shape {array.shape}"
        )
    if array.dtype.kind not in "iufb":
        raise ValueError(f"{what} must be numeric. Received: dtype={array.dtype}")
    return array


@dataclass
class Probe:
    """The probe set a logger explains at every step.

    Attributes:
      arrays: The inputs as given (dtypes kept, for display): one array, or
        one per model input (by name) for models with several inputs.
      labels: Class ids [B], or None.
      masks: Ground-truth masks (bool [B, H, W] for an image input, [B, T]
        for tokens, ...), or None.
      mask_input: The input the masks mark (its name; "" for a single input).
      specs: The model's inputs, once fitted to a model (`fit`); None before.
      reread: For a probe read from a dataset, reads it again by a model's
        input rank (see `fit`); None otherwise.
      explain: The inputs that attribution methods explain (by name), or
        None for their default (`tbexplain.inputs.explained_inputs`).
    """

    arrays: dict[str, np.ndarray]
    labels: np.ndarray | None = None
    masks: np.ndarray | None = None
    mask_input: str | None = None
    specs: list[InputSpec] | None = None
    reread: Callable[[int], Probe] | None = field(default=None, repr=False)
    explain: tuple[str, ...] | None = None

    @classmethod
    def read(
        cls,
        images: Any,
        labels: Any = None,
        masks: Any = None,
        *,
        model_rank: int | None = None,
        explain: Any = None,
    ) -> Probe:
        """Reads and checks a probe (a finite dataset is read once, here).

        Args:
          images: One batch (numpy, a tensor, a finite dataset), or for a
            model of several inputs a dict of batches by input name (or a
            dataset of such dicts).
          labels: Class ids or one-hot rows, or None.
          masks: Ground-truth masks of the image input, or None.
          model_rank: The model's input rank, if known (datasets).
          explain: The names of the inputs to explain, or None.

        Raises:
          ValueError, TypeError: a probe of the wrong rank, empty or not
            numeric; inputs of uneven sizes; labels or masks that do not
            match it.
        """
        source = images if isinstance(images, tf.data.Dataset) else None
        if source is not None:
            read, ds_labels = inputs_lib.read_dataset(source, model_rank=model_rank)
            given = labels if labels is not None else ds_labels
        else:
            read, given = images, labels
        if isinstance(read, Mapping):
            if not read:
                raise ValueError("images must not be an empty dict. Received: {}")
            arrays = {
                str(k): _check(inputs_lib.to_numpy(v), f"images[{k!r}]")
                for k, v in read.items()
            }
        else:
            arrays = {"": _check(inputs_lib.to_numpy(read), "images")}
        sizes = {a.shape[0] for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError(
                "Every input of the probe must hold the same number of samples. "
                f"Received: { ({k: a.shape for k, a in arrays.items()}) }"
            )
        n = sizes.pop()
        ids = None if given is None else inputs_lib.class_ids(given, n, "labels")
        mask_array, mask_input = _read_masks(masks, arrays)
        if explain is not None:
            if isinstance(explain, str) or not all(isinstance(n, str) for n in explain):
                raise TypeError(
                    "explain_inputs must be a list of input names. "
                    f"Received: explain_inputs={explain!r}"
                )
            explain = tuple(explain)
            if not explain:
                raise ValueError(
                    "explain_inputs must name at least one input. "
                    "Received: explain_inputs=[]"
                )
        reread = None
        if source is not None:

            def reread(rank: int) -> Probe:
                return cls.read(source, labels, masks, model_rank=rank, explain=explain)

        return cls(arrays, ids, mask_array, mask_input, reread=reread, explain=explain)

    @property
    def n(self) -> int:
        """The number of probe samples."""
        return int(next(iter(self.arrays.values())).shape[0])

    @property
    def inputs(self) -> np.ndarray:
        """The only input (single-input probes), as given."""
        if len(self.arrays) != 1:
            raise ValueError("This probe has several inputs: read Probe.arrays.")
        return next(iter(self.arrays.values()))

    def fit(self, model: Any) -> Probe:
        """This probe checked against `model`'s inputs, in their order.

        A probe read from a dataset whose rank differs from the model's input
        is read again by the model's rank (a batch of sequences [B, T, 3]
        looks like one image until the model is known).

        Raises:
          ValueError: inputs the model does not take, or missing.
        """
        specs = inputs_lib.model_inputs(model)
        if specs is None:  # a model that knows no inputs yet: by rank
            (name, array), *rest = self.arrays.items()
            if rest:
                raise ValueError(
                    "The model's inputs are unknown (build it first) and the "
                    f"probe has several: {sorted(self.arrays)}"
                )
            kind = kinds.of_input(array.ndim - 1)
            spec = InputSpec(
                name or "input",
                0,
                kind.name if kind is not None else kinds.UNKNOWN,
                array.shape[1:],
                str(array.dtype),
            )
            return Probe(
                {spec.name: array},
                self.labels,
                self.masks,
                spec.name,
                [spec],
                explain=self.explain,
            )
        probe = self
        if (
            self.reread is not None
            and len(specs) == 1
            and len(specs[0].shape) + 1 != next(iter(self.arrays.values())).ndim
        ):
            probe = self.reread(len(specs[0].shape) + 1)
        arrays = probe._by_input(model, specs)
        mask_input = probe.mask_input
        if mask_input is not None and len(specs) == 1:
            mask_input = specs[0].name
        if self.explain is not None:
            names = [spec.name for spec in specs]
            unknown = [n for n in self.explain if n not in names]
            if unknown:
                raise ValueError(
                    f"explain_inputs must name inputs of model '{model.name}' "
                    f"{names}. Received: explain_inputs={list(self.explain)}"
                )
        return Probe(
            arrays, probe.labels, probe.masks, mask_input, specs, explain=self.explain
        )

    def _by_input(self, model: Any, specs: list[InputSpec]) -> dict[str, np.ndarray]:
        if len(specs) == 1:
            if len(self.arrays) != 1:
                raise ValueError(
                    f"Model '{model.name}' takes one input; the probe has several: "
                    f"{sorted(self.arrays)}"
                )
            chosen = {specs[0].name: next(iter(self.arrays.values()))}
        else:
            names = [spec.name for spec in specs]
            if sorted(self.arrays) != sorted(names):
                given = (
                    "one array" if list(self.arrays) == [""] else sorted(self.arrays)
                )
                raise ValueError(
                    f"Model '{model.name}' takes the inputs {names}: give the probe "
                    f"as a dict of them by name. Received: {given}"
                )
            chosen = {name: self.arrays[name] for name in names}
        for spec in specs:
            actual = chosen[spec.name].shape[1:]
            if len(actual) != len(spec.shape) or any(
                e is not None and e != a
                for e, a in zip(spec.shape, actual, strict=True)
            ):
                single = len(specs) == 1
                what = "images" if single else f"images[{spec.name!r}]"
                which = "" if single else f" {spec.name!r}"
                raise ValueError(
                    f"The probe does not fit model '{model.name}', whose input"
                    f"{which} takes inputs of shape {(None, *spec.shape)}. "
                    f"Received: {what} with shape {chosen[spec.name].shape}"
                )
        return chosen

    def model_inputs(self) -> list[np.ndarray]:
        """The inputs as the model takes them, in its order (token ids as
        int32, the rest float32)."""
        assert self.specs is not None, "fit the probe to a model first"
        return [
            self.arrays[spec.name].astype(
                np.int32 if _token_ids(spec) else np.float32, copy=False
            )
            for spec in self.specs
        ]


def _token_ids(spec: InputSpec) -> bool:
    kind = kinds.find(spec.kind)
    return kind is not None and kind.token_ids
