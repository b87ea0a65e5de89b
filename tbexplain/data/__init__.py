"""The bundled demo dataset: generated in code from a seed, never downloaded."""

from tbexplain.data.reviews import Reviews, make_reviews
from tbexplain.data.shapes import (
    CLASS_NAMES,
    CUE_COLORS,
    ShapesData,
    cue_box,
    make_shapes,
)

__all__ = [
    "CLASS_NAMES",
    "CUE_COLORS",
    "Reviews",
    "ShapesData",
    "cue_box",
    "make_reviews",
    "make_shapes",
]
