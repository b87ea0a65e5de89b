"""The logger's fault policy: raise while configuring, afterwards warn once and go on.

Until a logger has logged once with a model (its `validate` dry run or its
first `log`), a part that fails raises, naming the part and the cause: a
configuration error should stop a run before it trains. Afterwards a failing
part (a method, a view, a metric, a background write) is recorded in
`Faults.failures`, reported with one warning per part, and skipped; the
others are still written and training continues. A metric that is undefined
(NaN) for some maps of a step is not a failure: its scalar is the mean of
the other maps (NaN when none), and the maps are counted in
`Faults.undefined`.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

__all__ = ["Faults", "PartFailed", "rewrap"]


def rewrap(err: Exception, message: str) -> Exception:
    """An exception of `err`'s type with `message`, caused by `err`.

    Exception classes whose constructor takes other arguments (such as
    ``tf.errors.InvalidArgumentError``) cannot be rebuilt from a message: a
    RuntimeError carries the message and the cause instead.
    """
    try:
        new = type(err)(message)
    except Exception:
        new = RuntimeError(message)
    if not isinstance(new, Exception) or str(new) != message:
        new = RuntimeError(message)
    new.__cause__ = err
    return new


class PartFailed(RuntimeError):
    """A part of a logger failed while its faults still raise (see `Faults`)."""


class Faults:
    """The failures of one logger, and whether they still raise."""

    def __init__(self) -> None:
        self.strict = True
        self.failures: list[tuple[int, str, str]] = []
        self.undefined: dict[str, int] = {}
        self._warned: set[Hashable] = set()

    def warn_once(self, key: Hashable, message: str) -> None:
        """Warns with `message` unless `key` was warned about before."""
        if key in self._warned:
            return
        self._warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=4)

    def failed(self, step: int | None, part: str, err: Exception) -> None:
        """Records that `part` failed at `step` (raises while strict).

        Raises:
          PartFailed: while strict, naming the part and the cause.
        """
        if isinstance(err, PartFailed):
            raise err
        cause = f"{type(err).__name__}: {err}"
        if self.strict:
            raise PartFailed(
                f"tbexplain could not compute {part} for the first log: {cause}"
            ) from err
        self.failures.append((step if step is not None else -1, part, cause))
        self.warn_once(
            ("failed", part),
            f"tbexplain: {part} failed at step {step} and is skipped ({cause}). "
            "Training continues; later failures of it are not reported again.",
        )

    def write_failed(self, step: int | None, part: str, err: Exception) -> None:
        """Records a failed background write (never raises)."""
        cause = f"{type(err).__name__}: {err}"
        self.failures.append((step if step is not None else -1, part, cause))
        self.warn_once(
            ("write", type(err)),
            f"tbexplain: writing explanations failed ({cause}); that step is "
            "missing. Training continues.",
        )

    def count_undefined(self, step: int | None, tag: str, count: int) -> None:
        """Counts the `count` maps whose metric `tag` is undefined at `step`
        (not at the dry run). No warning: some metrics are undefined by
        design at times (drift after a change of class), and maps with
        non-finite values are warned about where they are made."""
        if step is not None:
            self.undefined[tag] = self.undefined.get(tag, 0) + count
