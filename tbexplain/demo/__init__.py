"""The bundled demo: two CNNs, one of which learns a shortcut, and a text model.

`run_demo` generates the shapes dataset (`tbexplain.data`, no downloads) and
trains the same small CNN twice, logging Grad-CAM explanations of a fixed
probe set after every epoch with `tbexplain.ExplainCallback`:

* run ``clean``: every training image has a mark in its top-left corner whose
  colour is random, so the mark carries no information and the model must
  learn the shapes;
* run ``spurious``: the mark's colour is decided by the class (red circle,
  green square, ...), a spurious cue the model can read instead of the shape.

The probe images carry the class-coloured mark, as in the spurious training
set. The clean model ignores it and its Grad-CAM lands on the shape; the
spurious model's Grad-CAM moves to the corner within a few epochs. The
pointing game against the shape masks (`tbexplain.metrics.pointing_game`) is
logged per epoch as the scalar ``explain/metrics/gradcam/pointing_game`` and
separates the two runs. Both runs are validated on held-out images with a
random-colour mark, where the shortcut fails: the spurious run's validation
accuracy stays near chance although its training accuracy reaches 100 %.

A third run, ``text`` (`tbexplain.demo.text`), trains a small text classifier
on generated film reviews and shows its cue words light up as it learns
(integrated gradients' pointing game on the cue words).

The parts, one module each: `config` (sizes, runs, tag names), `splits` (the
data), `model` (the CNN), `views` (what every run logs), `train` (the runs),
`text` (the text run), `scalars` (reading scalars back), `report` (results
and the summary) and `serve` (training while TensorBoard serves, started by the launcher
`tbexplain.board`). ``tbexplain demo`` (`tbexplain.cli`) calls
`train_while_serving` or, with ``--no-serve``, `run_demo`. Importing the
package does not import TensorFlow.
"""

from tbexplain.demo.config import (
    POINTING_GAME_TAG,
    RUNS,
    TAG_PREFIX,
    TRAIN_SUBDIR,
    DemoConfig,
    pointing_tolerance,
)
from tbexplain.demo.model import build_model
from tbexplain.demo.report import DemoResult, RunResult, summarize
from tbexplain.demo.scalars import ScalarReader, read_scalars
from tbexplain.demo.serve import INTERRUPTED, TERMINATED, train_while_serving
from tbexplain.demo.splits import (
    make_datasets,
    pipeline_stages,
    source_size,
    train_dataset,
)
from tbexplain.demo.train import run_demo, train_run

__all__ = [
    "INTERRUPTED",
    "POINTING_GAME_TAG",
    "RUNS",
    "TAG_PREFIX",
    "TERMINATED",
    "TRAIN_SUBDIR",
    "DemoConfig",
    "DemoResult",
    "RunResult",
    "ScalarReader",
    "build_model",
    "make_datasets",
    "pipeline_stages",
    "pointing_tolerance",
    "read_scalars",
    "run_demo",
    "source_size",
    "summarize",
    "train_dataset",
    "train_run",
    "train_while_serving",
]
