"""Training the demo's runs: one `model.fit` each, explanations logged every epoch."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tbexplain.data import CLASS_NAMES, ShapesData
from tbexplain.demo import views
from tbexplain.demo.config import (
    POINTING_GAME_TAG,
    RUNS,
    TAG_PREFIX,
    TRAIN_SUBDIR,
    TRUST_TAGS,
    DemoConfig,
)
from tbexplain.demo.model import build_model
from tbexplain.demo.report import DemoResult, RunResult
from tbexplain.demo.scalars import ScalarReader
from tbexplain.demo.splits import make_datasets, pipeline_stages, train_dataset
from tbexplain.demo.text import TEXT_RUN, train_text_run

__all__ = ["run_demo", "train_run"]


def _clear_run(run_dir: Path) -> None:
    """Removes a previous demo run (only event files) so steps start afresh."""
    if not run_dir.exists():
        return
    for path in run_dir.rglob("*"):
        if path.is_file() and not path.name.startswith("events.out.tfevents"):
            raise FileExistsError(
                f"{run_dir} holds files that are not TensorBoard event files; "
                "choose another log directory. "
                f"Received: {path}"
            )
    shutil.rmtree(run_dir)


def _echo_callback(run_dir: str, echo: Callable[[str], None], logger: Any) -> Any:
    """A Keras callback that prints each epoch's logged pointing game.

    It prints when the next epoch begins (and at the end of training), so the
    line follows Keras' progress bar of the epoch instead of breaking it. It
    reads the value back from the event files, after waiting for the
    `ExplanationLogger`'s background write of that epoch (`logger.flush()`).
    """
    import keras

    class PointingGameEcho(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self._reader: ScalarReader | None = None
            self._pending: int | None = None

        def _flush(self) -> None:
            if self._pending is None:
                return
            logger.flush()
            if self._reader is None:
                self._reader = ScalarReader(run_dir)
            value = dict(self._reader.read(POINTING_GAME_TAG)).get(self._pending)
            if value is not None:
                echo(f"Grad-CAM pointing game (epoch {self._pending + 1}): {value:.2f}")
            self._pending = None

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self._flush()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._pending = epoch

        def on_train_end(self, logs: Any = None) -> None:
            self._flush()

    return PointingGameEcho()


def train_run(
    name: str,
    splits: dict[str, ShapesData],
    log_dir: str | os.PathLike[str],
    config: DemoConfig,
    *,
    methods: Sequence[Any] | None = None,
    verbose: int | str = 1,
    echo: Callable[[str], None] | None = None,
) -> RunResult:
    """Trains one run of the demo with explanations logged every epoch.

    What the run logs comes from `tbexplain.demo.views` (methods, views,
    metrics) and `tbexplain.demo.splits.pipeline_stages` (its input pipeline,
    logged once at train begin).

    Args:
      name: ``"clean"`` or ``"spurious"`` (the training split to use).
      splits: The output of `make_datasets`.
      log_dir: The demo's log directory; the run goes to ``log_dir/name``.
      config: The configuration.
      methods: The explanation methods (default: `views.methods()`). The
        metrics are logged for each.
      verbose: Keras' `fit` verbosity (1: progress bars).
      echo: Where to print each epoch's pointing game (None: nowhere).

    Returns:
      The `RunResult`.
    """
    import keras

    import tbexplain as tbx

    if name not in RUNS:
        raise ValueError(f"name must be one of {sorted(RUNS)}. Received: name={name!r}")
    run_dir = Path(log_dir) / name
    _clear_run(run_dir)
    keras.utils.set_random_seed(config.seed)  # same initial weights for both runs
    model = build_model(config.image_size, learning_rate=config.learning_rate)
    train, val, probe = splits[name], splits["val"], splits["probe"]
    stages = pipeline_stages(train, config)
    train_ds = train_dataset(stages, config)
    explain = tbx.ExplainCallback(
        probe.images,
        probe.labels,
        methods=list(methods) if methods is not None else views.methods(),
        log_dir=str(run_dir),
        run=TRAIN_SUBDIR,
        class_names=CLASS_NAMES,
        masks=probe.masks,
        metrics=views.metrics(config),
        pipeline=tbx.pipeline.Stages(
            stages, n=views.PIPELINE_SAMPLES, class_names=CLASS_NAMES
        ),
        name=TAG_PREFIX,
    )
    board = keras.callbacks.TensorBoard(log_dir=str(run_dir), write_graph=False)
    callbacks = [board, explain]
    if echo is not None:
        callbacks.append(
            _echo_callback(str(run_dir / TRAIN_SUBDIR), echo, explain.logger)
        )
    start = time.perf_counter()
    history = model.fit(
        train_ds,
        epochs=config.epochs,
        validation_data=(val.images, val.labels),
        callbacks=callbacks,
        shuffle=False,  # the dataset shuffles itself
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    scalars = ScalarReader(run_dir / TRAIN_SUBDIR)
    return RunResult(
        name=name,
        log_dir=str(run_dir),
        pointing_game=scalars.read(POINTING_GAME_TAG),
        history={k: [float(v) for v in vs] for k, vs in history.history.items()},
        seconds=seconds,
        trust={metric: scalars.read(tag) for metric, tag in TRUST_TAGS.items()},
    )


def run_demo(
    log_dir: str | os.PathLike[str],
    config: DemoConfig | None = None,
    *,
    verbose: int | str = 1,
    echo: Callable[[str], None] | None = print,
) -> DemoResult:
    """Generates the data and trains both runs into `log_dir`.

    Previous ``clean`` and ``spurious`` runs in `log_dir` are replaced (only
    when they hold nothing but TensorBoard event files).

    Args:
      log_dir: The log directory; runs go to ``log_dir/clean`` and
        ``log_dir/spurious``.
      config: Sizes and hyper-parameters (default `DemoConfig()`).
      verbose: Keras' `fit` verbosity (1: progress bars, 0: silent).
      echo: Where progress messages go (None: nowhere).

    Returns:
      A `DemoResult` with the pointing game of every epoch of both runs.
    """
    config = config or DemoConfig()
    say = echo or (lambda _: None)
    start = time.perf_counter()
    say(
        f"Generating the shapes dataset ({config.train_size} training images "
        f"of {config.image_size}x{config.image_size} per run, seed {config.seed})..."
    )
    splits = make_datasets(config)
    runs = {}
    for name, cue in RUNS.items():
        mark = (
            "a random-colour corner mark (no information)"
            if cue == "random"
            else "a class-coloured corner mark (a spurious cue)"
        )
        say(f"\nRun '{name}': {config.epochs} epochs on images with {mark}.")
        runs[name] = train_run(
            name, splits, log_dir, config, verbose=verbose, echo=echo
        )
    say(
        f"\nRun '{TEXT_RUN}': {config.epochs} epochs on generated film reviews "
        "(token ids through an Embedding)."
    )
    _clear_run(Path(log_dir) / TEXT_RUN)
    text = train_text_run(log_dir, config, verbose=verbose, echo=echo)
    return DemoResult(
        log_dir=os.fspath(log_dir),
        config=config,
        runs=runs,
        seconds=time.perf_counter() - start,
        text=text,
    )
