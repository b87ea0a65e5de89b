"""The logger of explanations: `ExplanationLogger`, a coordinator of small parts.

The logger does the work of logging; `tbexplain.ExplainCallback` only decides
when. Use it directly in a custom training loop::

    logger = tbx.ExplanationLogger(x_probe, y_probe, methods=[tbx.GradCAM()],
                                   log_dir="logs/run1", class_names=names)
    for epoch in range(epochs):
        ...  # train
        logger.log(model, step=epoch)
    logger.close()

Its parts, one module each: `probe` (reading and checking the probe),
`targeting` (what each map explains), `naming` (the tags), `display` (the
inputs series), `jobs` (the one protocol of methods and views; `registry`
says which job serves which class, `attribution` and `views` are the jobs),
`binding` (what is resolved for one model), `metrics` (the registry of logged
metrics and the one place they run; `builtin_metrics` registers the built-in
ones), `schedule` (`every`), `writing` (the writer and the background
thread), `faults` (raise while configuring, warn once afterwards) and `core`
(the coordinator).

What one ``log(model, step)`` writes (the plugin reads the metadata, not the
names):

* ``{name}/inputs``: the probe inputs (kind ``inputs``), once per writer. The
  plugin overlays each map on the inputs of the latest step at or before it.
* ``{name}/{method}`` (``{name}/{method}/{layer}`` when the same method is
  given for several layers): one map per (sample, explained target), with
  the class ids or the target's name, the model's scores, its own predicted
  class and the labels in the step's manifest. Maps are stored at the
  resolution the method computes them (a CAM at its layer's).
* ``{name}/activations/{layer}``, ``{name}/filters/{layer}``,
  ``{name}/pipeline/{stage}``: the views given in ``methods=``.
* ``{name}/metrics/{series}/{metric}``: the chosen metrics as ordinary
  `tf.summary.scalar`\\ s (the mean over the maps).

Costs: the probe is converted once; the explained classes and their scores
come from the first method's own forward pass (top-k, fixed classes, labels
and callable targets take one more forward pass, for the model's own
prediction); each method compiles once per (model, input shape). Encoding and
writing run on a background thread, in order; `flush` and `close` wait.

What is on disk when: a step is written (events flushed) by the time `flush`
or `close` returns, and the first step of each writer already when `log`
returns. A later step's `log` returns once its arrays are computed; its write
follows on the background thread, so a process killed before the next
`flush` may lose the steps logged since the last one.

Distribution: only the chief (``strategy.extended.should_checkpoint``) writes;
on other workers `log` returns at once. The explanation runs outside any
replica context and reads the model's variables locally.
"""

from tbexplain.logger import builtin_metrics  # noqa: F401 (registers the metrics)
from tbexplain.logger.core import ExplanationLogger, is_chief
from tbexplain.logger.jobs import Job, every
from tbexplain.logger.metrics import REGISTRY, LoggedMetric, register_metric
from tbexplain.logger.registry import register_job

METRICS = tuple(REGISTRY)
"""The names of the built-in metrics accepted by ``metrics=``."""

__all__ = [
    "METRICS",
    "REGISTRY",
    "ExplanationLogger",
    "Job",
    "LoggedMetric",
    "every",
    "is_chief",
    "register_job",
    "register_metric",
]
