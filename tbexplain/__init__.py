"""tbexplain: explanations of Keras models, logged while they train.

Names are imported on first use (PEP 562), so ``import tbexplain`` and the
``tbexplain`` command stay fast until TensorFlow is actually needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_SUBMODULES = ("data", "layers", "metrics", "methods", "pipeline", "summary", "targets")
_CLASSES = {
    "ExplainCallback": "tbexplain.callback",
    "ExplanationLogger": "tbexplain.logger",
}
# Everything `tbexplain.methods` exports (a test keeps the two lists equal).
_METHODS = (
    "REGISTRY",
    "RISE",
    "Activations",
    "Explanation",
    "FilterImages",
    "FilterVisualization",
    "GradCAM",
    "GradCAMPlusPlus",
    "GradientInput",
    "GuidedBackprop",
    "GuidedGradCAM",
    "IntegratedGradients",
    "LayerCAM",
    "Method",
    "Occlusion",
    "Saliency",
    "ScoreCAM",
    "SmoothGrad",
    "SquareGrad",
    "VarGrad",
    "register",
)

__all__ = ["metrics", "pipeline", "summary", *_CLASSES, *_METHODS]

if TYPE_CHECKING:
    from tbexplain import metrics, pipeline, summary
    from tbexplain.callback import ExplainCallback as ExplainCallback
    from tbexplain.logger import ExplanationLogger as ExplanationLogger
    from tbexplain.methods import *  # noqa: F403


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"tbexplain.{name}")
    elif name in _CLASSES:
        module = getattr(importlib.import_module(_CLASSES[name]), name)
    elif name in _METHODS:
        module = getattr(importlib.import_module("tbexplain.methods"), name)
    else:
        raise AttributeError(f"module 'tbexplain' has no attribute {name!r}")
    globals()[name] = module
    return module


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))
