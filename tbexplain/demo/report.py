"""What the demo's runs logged, and the text report the command line prints."""

from __future__ import annotations

import dataclasses
import math

from tbexplain.demo.config import DemoConfig, pointing_tolerance

__all__ = ["DemoResult", "RunResult", "summarize"]


@dataclasses.dataclass
class RunResult:
    """What one demo run logged.

    Attributes:
      name: The run name (``clean`` or ``spurious``).
      log_dir: The run's directory (Keras writes ``train/`` and
        ``validation/`` under it; the explanations are in ``train/``).
      pointing_game: (step, value) of the Grad-CAM pointing game as read back
        from the event files, ascending.
      history: Keras' per-epoch history (loss, accuracy, val_...).
      seconds: Wall time of `model.fit`.
      trust: Grad-CAM's trust metrics (`config.TRUST_TAGS`): name ->
        (step, value) as read back, ascending (empty for the text run).
    """

    name: str
    log_dir: str
    pointing_game: list[tuple[int, float]]
    history: dict[str, list[float]]
    seconds: float
    trust: dict[str, list[tuple[int, float]]] = dataclasses.field(default_factory=dict)

    @property
    def final_pointing_game(self) -> float:
        """The pointing game of the last logged step (NaN if none)."""
        return self.pointing_game[-1][1] if self.pointing_game else float("nan")


@dataclasses.dataclass
class DemoResult:
    """The outcome of `run_demo`.

    Attributes:
      log_dir: The log directory (pass it to ``tensorboard --logdir``).
      config: The configuration used.
      runs: Run name -> `RunResult` of the image runs, in training order.
      seconds: Wall time of the whole demo (data generation and training).
      text: The text run (its pointing game: integrated gradients on the cue
        words), or None.
    """

    log_dir: str
    config: DemoConfig
    runs: dict[str, RunResult]
    seconds: float
    text: RunResult | None = None

    def table(self) -> str:
        """The per-epoch pointing game of both runs as a small text table."""
        steps = sorted({s for r in self.runs.values() for s, _ in r.pointing_game})
        width = max((len(name) for name in self.runs), default=0)
        lines = [" " * width + " epoch " + " ".join(f"{s + 1:>4d}" for s in steps)]
        for name, run in self.runs.items():
            values = dict(run.pointing_game)
            cells = " ".join(
                f"{values[s]:4.2f}" if s in values else "   -" for s in steps
            )
            lines.append(f"{name:<{width}}       {cells}")
        return "\n".join(lines)


def _trust_value(value: float) -> str:
    """A trust metric's last value; NaN, where no map had one (the README's
    table explains when), reads as words, not as a number."""
    return f"{value:.2f}" if math.isfinite(value) else "undefined on every map"


def summarize(result: DemoResult) -> str:
    """A short text report of the demo's outcome (printed by the CLI)."""
    config = result.config
    tol = pointing_tolerance(config.image_size)
    lines = [
        f"Grad-CAM pointing game on the {config.probe_size} probe images "
        f"(a hit: the map's maximum within {tol:g} px of the shape), per epoch:",
        result.table(),
        "",
    ]
    for name, run in result.runs.items():
        acc = run.history.get("accuracy", [float("nan")])[-1]
        val = run.history.get("val_accuracy", [float("nan")])[-1]
        lines.append(
            f"{name:<9} pointing game {run.final_pointing_game:.2f}  "
            f"train accuracy {acc:.2f}  validation accuracy {val:.2f} "
            f"(random-colour marks)  trained in {run.seconds:.0f}s"
        )
        trust = "  ".join(
            f"{metric} {_trust_value(points[-1][1])}"
            for metric, points in run.trust.items()
            if points
        )
        if trust:
            lines.append(f"{'':<9} Grad-CAM {trust}")
    text = result.text
    if text is not None:
        acc = text.history.get("val_accuracy", [float("nan")])[-1]
        lines.append(
            f"{text.name:<9} cue words found {text.final_pointing_game:.2f} "
            f"(integrated gradients' largest token)  validation accuracy "
            f"{acc:.2f}  trained in {text.seconds:.0f}s"
        )
    lines.append(f"Total {result.seconds:.0f}s. Logs: {result.log_dir}")
    return "\n".join(lines)
