"""When a part of the logger runs: every logged step, or every n-th (`every`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tbexplain.checks import positive_int

__all__ = ["Every", "every"]


@dataclass(frozen=True)
class Every:
    """A method, view or metric logged only at steps that are multiples of `n`."""

    n: int
    entry: Any

    def due(self, step: int | None) -> bool:
        """Whether `step` is one of the entry's (None: the validation dry run)."""
        return step is None or step % self.n == 0


def every(n: int, entry: Any) -> Every:
    """Logs `entry` only at steps 0, n, 2n, ...

    `entry` is a method or view of ``methods=`` (e.g.
    ``tbx.every(5, tbx.FilterVisualization("conv2"))`` writes filter
    visualisations every 5 epochs) or a metric name of ``metrics=`` (e.g.
    ``metrics=["sparseness", tbx.every(5, "randomisation")]``, or as a key of
    the dict form, ``{tbx.every(5, "max_sensitivity"): {"samples": 4}}``). A
    metric runs at the steps where both it and its method are due. The step
    is the logger's (the epoch, or the batch count with ``every_n_steps``).

    Raises:
      ValueError: `n` is not a positive integer.
    """
    return Every(positive_int(n, "n"), entry)
