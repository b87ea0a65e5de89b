"""What each logged map explains: the predicted class, a label, classes, a callable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tbexplain.checks import positive_int

__all__ = ["TargetPlan"]

_MODES = ("predicted", "label")

TargetsArg = str | int | Sequence[int] | Callable[[Any], Any]


def _check_target_name(target_name: Any) -> None:
    """Checks that `target_name` is None or a non-empty string."""
    if target_name is not None and (
        not isinstance(target_name, str) or not target_name.strip()
    ):
        raise ValueError(
            "target_name must be a non-empty string. "
            f"Received: target_name={target_name!r}"
        )


def _check_mode(targets: str, top_k: int | None) -> None:
    """Checks that `targets` is a mode and that only "predicted" takes a top_k."""
    if targets not in _MODES:
        raise ValueError(
            'targets must be "predicted", "label", a class id, a list of '
            f"class ids or a callable. Received: targets={targets!r}"
        )
    if top_k is not None and targets != "predicted":
        raise ValueError(
            'top_k needs targets="predicted". '
            f"Received: targets={targets!r}, top_k={top_k}"
        )


def _class_ids(targets: Any) -> np.ndarray:
    """The class ids `targets` gives: one id or a non-empty list, none negative."""
    if isinstance(targets, (bool, np.bool_)):
        raise TypeError(f"targets must be a class id. Received: targets={targets!r}")
    if isinstance(targets, (int, np.integer)):
        ids = np.array([int(targets)])
    elif isinstance(targets, (list, tuple, np.ndarray)):
        ids = np.asarray(targets).reshape(-1)
    else:
        ids = None
    if ids is None or ids.size == 0 or ids.dtype.kind not in "iu" or (ids < 0).any():
        raise ValueError(
            'targets must be "predicted", "label", a class id, a non-empty list '
            f"of class ids or a callable. Received: targets={targets!r}"
        )
    return ids


@dataclass(frozen=True)
class TargetPlan:
    """The logger's `targets`, checked once.

    Attributes:
      mode: ``"predicted"`` (the k highest scores), ``"label"``, ``"fixed"``
        (given class ids, each explained for every sample) or ``"callable"``.
      k: Maps per sample.
      fixed: The given class ids (``"fixed"``).
      fn: The score function ``outputs -> [B]`` (``"callable"``).
      name: What a callable target is called in the UI (``target_name``).
    """

    mode: str
    k: int
    fixed: np.ndarray | None = None
    fn: Callable[[Any], Any] | None = None
    name: str | None = None

    @classmethod
    def parse(
        cls, targets: Any, top_k: Any = None, target_name: Any = None
    ) -> TargetPlan:
        """Checks the logger's ``targets``, ``top_k`` and ``target_name``.

        Raises:
          ValueError, TypeError: an unknown mode, an invalid class id, or
            arguments that do not go together.
        """
        top_k = positive_int(top_k, "top_k", allow_none=True)
        _check_target_name(target_name)
        if callable(targets):
            if top_k is not None:
                raise ValueError(
                    'top_k needs targets="predicted". Received: a callable target, '
                    f"top_k={top_k}"
                )
            name = target_name or getattr(targets, "__name__", None) or "target"
            return cls("callable", 1, fn=targets, name=name)
        if target_name is not None:
            raise ValueError(
                "target_name names a callable target. "
                f"Received: targets={targets!r}, target_name={target_name!r}"
            )
        if isinstance(targets, str):
            _check_mode(targets, top_k)
            return cls(targets, top_k or 1)
        if top_k is not None:
            raise ValueError(
                f'top_k needs targets="predicted". Received: targets={targets!r}'
            )
        ids = _class_ids(targets)
        return cls("fixed", int(ids.size), fixed=ids.astype(np.int64))

    def check(self, num_classes: int, labels: np.ndarray | None) -> None:
        """Checks the plan against a model's number of outputs.

        Raises:
          ValueError: labels needed but missing, or a class out of range.
        """
        if self.mode == "label" and labels is None:
            raise ValueError(
                'targets="label" needs the probe\'s labels: pass labels=. '
                "Received: labels=None"
            )
        if self.mode == "callable":
            return
        if self.mode == "predicted":
            if self.k > num_classes:
                raise ValueError(
                    f"top_k is larger than the model's {num_classes} output(s). "
                    f"Received: top_k={self.k}"
                )
            return
        ids = labels if self.mode == "label" else self.fixed
        assert ids is not None
        bad = ids[ids >= num_classes]
        if bad.size:
            what = "labels" if self.mode == "label" else "targets"
            raise ValueError(
                f"Class id {int(bad[0])} is out of range: the model has "
                f"{num_classes} output(s). Received: {what}={ids.tolist()}"
            )

    def known_ids(self, n: int, labels: np.ndarray | None) -> np.ndarray | None:
        """Class ids [n * k] when they do not depend on the model's scores."""
        if self.mode == "label":
            assert labels is not None
            return labels.astype(np.int32)
        if self.mode == "fixed":
            assert self.fixed is not None
            return np.tile(self.fixed, n).astype(np.int32)
        return None

    @property
    def needs_all_scores(self) -> bool:
        """Whether choosing the classes takes every class's score (top-k)."""
        return self.mode == "predicted" and self.k > 1

    def top_k(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class ids [B * k], their scores [B * k]) of the k highest scores."""
        ids = np.argsort(-scores, axis=1, kind="stable")[:, : self.k]
        chosen = np.take_along_axis(scores, ids, axis=1)
        return ids.reshape(-1).astype(np.int32), chosen.reshape(-1)

    def describe(self) -> str:
        """What the maps explain, for series descriptions."""
        if self.mode == "predicted":
            return "the predicted class" if self.k == 1 else f"the top {self.k} classes"
        if self.mode == "label":
            return "the true class"
        if self.mode == "fixed":
            assert self.fixed is not None
            return "the classes " + ", ".join(str(c) for c in self.fixed)
        return f"`{self.name}`"
