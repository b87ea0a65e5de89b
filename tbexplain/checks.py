"""Argument checks shared by every public class and function of tbexplain.

One definition per kind of argument, so that the same value is accepted or
refused everywhere with the same Keras-style message (``Received: x=...``).
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np

__all__ = ["positive_int", "require_tensorflow_backend"]


@overload
def positive_int(value: Any, name: str) -> int: ...


@overload
def positive_int(value: Any, name: str, *, allow_none: bool) -> int | None: ...


def positive_int(value: Any, name: str, *, allow_none: bool = False) -> int | None:
    """Checks that `value` is a positive integer (a Python or numpy int, not a bool).

    Args:
      value: The argument's value.
      name: The argument's name, for the message.
      allow_none: Whether None is accepted (and returned).

    Returns:
      The value as a Python int, or None when it is None and `allow_none`.

    Raises:
      ValueError: for a bool, a float, a non-positive int or anything else.
    """
    if value is None and allow_none:
        return None
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, (int, np.integer))
        or value < 1
    ):
        what = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"`{name}` must be {what}. Received: {name}={value!r}")
    return int(value)


def require_tensorflow_backend() -> None:
    """Checks that Keras runs on TensorFlow, the backend tbexplain computes with.

    Raises:
      RuntimeError: Keras runs on another backend (JAX, PyTorch, NumPy): its
        models' tensors are not TensorFlow's, so no explanation can be
        computed or logged.
    """
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            "tbexplain computes explanations with TensorFlow, but Keras runs on "
            f"the {backend!r} backend. Set KERAS_BACKEND=tensorflow before "
            f"importing Keras. Received: keras.backend.backend()={backend!r}"
        )
