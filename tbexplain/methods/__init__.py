"""Explanation methods, one module each, registered in `REGISTRY`."""

from tbexplain.methods.base import REGISTRY, Explanation, Method, register
from tbexplain.methods.gradcam import GradCAM
from tbexplain.methods.saliency import Saliency

__all__ = [
    "REGISTRY",
    "Explanation",
    "GradCAM",
    "Method",
    "Saliency",
    "register",
]
