"""tbexplain: explanations of Keras models, logged while they train.

Names are imported on first use (PEP 562), so ``import tbexplain`` and the
``tbexplain`` command stay fast until TensorFlow is actually needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_SUBMODULES = (
    "data",
    "inputs",
    "layers",
    "logger",
    "metrics",
    "methods",
    "pipeline",
    "reading",
    "summary",
    "targets",
)
_CLASSES = {
    "ExplainCallback": "tbexplain.callback",
    "ExplanationLogger": "tbexplain.logger",
    "every": "tbexplain.logger",
    "read": "tbexplain.reading",
}
_BASE_NAMES = ["metrics", "pipeline", "summary", *_CLASSES]

if TYPE_CHECKING:
    from tbexplain import metrics as metrics
    from tbexplain import pipeline as pipeline
    from tbexplain import summary as summary
    from tbexplain.callback import ExplainCallback as ExplainCallback
    from tbexplain.logger import ExplanationLogger as ExplanationLogger
    from tbexplain.logger import every as every
    from tbexplain.methods import *  # noqa: F403
    from tbexplain.reading import read as read


def __getattr__(name: str) -> Any:
    value: Any
    if name in _SUBMODULES:
        value = importlib.import_module(f"tbexplain.{name}")
    elif name in _CLASSES:
        value = getattr(importlib.import_module(_CLASSES[name]), name)
    elif name == "__all__":
        # Computed on first use (e.g. `from tbexplain import *`): the base
        # names and everything `tbexplain.methods` exports.
        value = [*_BASE_NAMES, *_methods().__all__]
    elif name in _methods().__all__:
        value = getattr(_methods(), name)
    else:
        raise AttributeError(f"module 'tbexplain' has no attribute {name!r}")
    globals()[name] = value
    return value


def _methods() -> Any:
    return importlib.import_module("tbexplain.methods")


def __dir__() -> list[str]:
    names = set(globals()) | set(_BASE_NAMES) | set(_SUBMODULES)
    return sorted(names | set(_methods().__all__))
