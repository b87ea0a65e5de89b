"""Reads tbexplain logs back as numpy arrays, for notebooks (no TensorFlow needed).

``read(logdir)`` returns run -> tag -> `Series`; a `Series` maps each step
to a `Step` with its manifest rows, its maps (float32 raw values) or images
(uint8), and, for maps, the input images they overlay. PNGs are decoded by
`tbexplain.reading.png`.
"""

from __future__ import annotations

from tbexplain.reading.logs import Logs, Skipped, read
from tbexplain.reading.series import Series, Step

__all__ = ["Logs", "Series", "Skipped", "Step", "read"]
