"""The bundled demo: two small CNNs, one of which learns a shortcut.

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

The command line (``tbexplain demo``, see `tbexplain.cli`) starts TensorBoard
first with `TensorBoardProcess`, then calls `run_demo`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tbexplain.data import CLASS_NAMES, ShapesData, make_shapes

__all__ = [
    "RUNS",
    "DemoConfig",
    "DemoResult",
    "RunResult",
    "TensorBoardProcess",
    "build_model",
    "make_datasets",
    "pointing_tolerance",
    "read_scalars",
    "run_demo",
]

#: The two runs: name -> how the training images' corner mark is coloured.
RUNS: dict[str, str] = {"clean": "random", "spurious": "label"}

#: Tag prefix of the explanations (the callback's ``name``).
TAG_PREFIX = "explain"

#: The TensorBoard run (subdirectory of each demo run) the callback and
#: Keras' training scalars share.
TRAIN_SUBDIR = "train"

POINTING_GAME_TAG = f"{TAG_PREFIX}/metrics/gradcam/pointing_game"


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    """Sizes and hyper-parameters of the demo.

    Attributes:
      epochs: Training epochs of each run.
      train_size: Training images of each run.
      val_size: Held-out images (random-colour mark) for validation.
      probe_size: Images explained after every epoch (class-coloured mark).
      image_size: Height and width of the images (a multiple of 4, >= 16).
      batch_size: Training batch size.
      learning_rate: Adam's learning rate.
      seed: Seed of the data and of the models' initial weights.
    """

    epochs: int = 20
    train_size: int = 1500
    val_size: int = 400
    probe_size: int = 32
    image_size: int = 64
    batch_size: int = 32
    learning_rate: float = 2e-3
    seed: int = 0

    def __post_init__(self) -> None:
        for field in ("epochs", "train_size", "val_size", "probe_size", "batch_size"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"{field} must be a positive integer. Received: {field}={value!r}"
                )
        if self.image_size < 16 or self.image_size % 4:
            raise ValueError(
                "image_size must be a multiple of 4 and at least 16. "
                f"Received: image_size={self.image_size!r}"
            )
        if not self.learning_rate > 0:
            raise ValueError(
                "learning_rate must be positive. "
                f"Received: learning_rate={self.learning_rate!r}"
            )


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
    """

    name: str
    log_dir: str
    pointing_game: list[tuple[int, float]]
    history: dict[str, list[float]]
    seconds: float

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
      runs: Run name -> `RunResult`, in training order.
      seconds: Wall time of the whole demo (data generation and training).
    """

    log_dir: str
    config: DemoConfig
    runs: dict[str, RunResult]
    seconds: float

    def table(self) -> str:
        """The per-epoch pointing game of both runs as a small text table."""
        steps = sorted({s for r in self.runs.values() for s, _ in r.pointing_game})
        width = max(len(name) for name in self.runs)
        lines = [" " * width + " epoch " + " ".join(f"{s + 1:>4d}" for s in steps)]
        for name, run in self.runs.items():
            values = dict(run.pointing_game)
            cells = " ".join(
                f"{values[s]:4.2f}" if s in values else "   -" for s in steps
            )
            lines.append(f"{name:<{width}}       {cells}")
        return "\n".join(lines)


def pointing_tolerance(image_size: int) -> float:
    """The pointing game's hit radius: 15 px at 224x224 (Zhang et al.), scaled."""
    return round(15.0 * image_size / 224.0, 2)


def make_datasets(config: DemoConfig) -> dict[str, ShapesData]:
    """The demo's splits: one training set per run, validation and probe.

    The two training sets hold the same scenes (same seed); only the colour of
    the corner mark differs (random for ``clean``, by class for
    ``spurious``).

    Returns:
      {"clean": ..., "spurious": ..., "val": ..., "probe": ...}.
    """
    size, seed = config.image_size, config.seed
    splits = {
        run: make_shapes(config.train_size, size=size, seed=seed, cue=cue)
        for run, cue in RUNS.items()
    }
    splits["val"] = make_shapes(
        config.val_size, size=size, seed=seed + 1_000_003, cue="random"
    )
    splits["probe"] = make_shapes(
        config.probe_size, size=size, seed=seed + 2_000_003, cue="label"
    )
    return splits


def build_model(
    image_size: int = 64,
    num_classes: int = len(CLASS_NAMES),
    *,
    learning_rate: float = 2e-3,
) -> Any:
    """The demo CNN, compiled.

    Three blocks (16, 32, 64+64 filters; convolution, batch norm, ReLU) with
    max pooling between them, global average pooling and a softmax layer. The
    last spatial layer, ``block3_relu2`` at a quarter of the input resolution
    (16x16 for 64x64 images), is Grad-CAM's default layer.
    """
    import keras

    layers = keras.layers
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = inputs
    blocks = ((16,), (32,), (64, 64))
    for b, filters in enumerate(blocks, start=1):
        for c, f in enumerate(filters, start=1):
            x = layers.Conv2D(
                f, 3, padding="same", use_bias=False, name=f"block{b}_conv{c}"
            )(x)
            x = layers.BatchNormalization(name=f"block{b}_bn{c}")(x)
            x = layers.ReLU(name=f"block{b}_relu{c}")(x)
        if b < len(blocks):
            x = layers.MaxPooling2D(name=f"block{b}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classes")(x)
    model = keras.Model(inputs, outputs, name="shapes_cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class ScalarReader:
    """Reads `tf.summary.scalar` series of one run directory, incrementally.

    Uses TensorBoard's own event loading (all event files of the directory,
    also those several writers keep appending to), so it reads what
    TensorBoard shows.

    Args:
      run_dir: The run directory.
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        from tensorboard.backend.event_processing import plugin_event_accumulator

        self._accumulator = plugin_event_accumulator.EventAccumulator(
            os.fspath(run_dir),
            size_guidance={plugin_event_accumulator.TENSORS: 0},
            event_file_active_filter=lambda _: True,
        )

    def read(self, tag: str) -> list[tuple[int, float]]:
        """(step, value) of `tag`, ascending by step; [] when absent.

        New events are loaded first. The last value written at a step wins.
        """
        from tensorboard.util import tensor_util

        self._accumulator.Reload()
        if tag not in self._accumulator.Tags().get("tensors", []):
            return []
        values = {
            int(event.step): float(tensor_util.make_ndarray(event.tensor_proto))
            for event in self._accumulator.Tensors(tag)
        }
        return sorted(values.items())


def read_scalars(run_dir: str | os.PathLike[str], tag: str) -> list[tuple[int, float]]:
    """(step, value) of a scalar series of one run directory (see `ScalarReader`)."""
    return ScalarReader(run_dir).read(tag)


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


def _train_dataset(data: ShapesData, config: DemoConfig) -> Any:
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((data.images, data.labels))
    return (
        ds.shuffle(len(data), seed=config.seed, reshuffle_each_iteration=True)
        .batch(config.batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def _log_pipeline(run_dir: str, data: ShapesData, train_ds: Any) -> None:
    """Logs the first samples of the input pipeline's stages (step 0)."""
    import tensorflow as tf

    from tbexplain import pipeline

    generated = tf.data.Dataset.from_tensor_slices((data.images, data.labels))
    pipeline.log_stages(
        run_dir,
        {"generated": generated, "shuffled batches": train_ds},
        n=8,
        step=0,
        name=TAG_PREFIX,
        class_names=CLASS_NAMES,
    )


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

    Args:
      name: ``"clean"`` or ``"spurious"`` (the training split to use).
      splits: The output of `make_datasets`.
      log_dir: The demo's log directory; the run goes to ``log_dir/name``.
      config: The configuration.
      methods: The explanation methods (default: Grad-CAM at its default
        layer). The pointing game is logged for each.
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
    train_ds = _train_dataset(train, config)
    _log_pipeline(str(run_dir / TRAIN_SUBDIR), train, train_ds)
    explain = tbx.ExplainCallback(
        probe.images,
        probe.labels,
        methods=list(methods) if methods is not None else [tbx.GradCAM()],
        log_dir=str(run_dir),
        run=TRAIN_SUBDIR,
        class_names=CLASS_NAMES,
        masks=probe.masks,
        metrics={
            "pointing_game": {"tolerance": pointing_tolerance(config.image_size)},
            "energy_in_mask": {},
            "drift": {},
        },
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
    return RunResult(
        name=name,
        log_dir=str(run_dir),
        pointing_game=read_scalars(run_dir / TRAIN_SUBDIR, POINTING_GAME_TAG),
        history={k: [float(v) for v in vs] for k, vs in history.history.items()},
        seconds=seconds,
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
    return DemoResult(
        log_dir=os.fspath(log_dir),
        config=config,
        runs=runs,
        seconds=time.perf_counter() - start,
    )


# --------------------------------------------------------------- TensorBoard


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """Whether binding `host:port` fails (another server listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


class TensorBoardProcess:
    """A ``tensorboard`` child process of the same Python environment.

    ::

        with TensorBoardProcess("demo_logs", port=6006) as board:
            board.wait_ready()
            print(board.url)
            ...  # write summaries; TensorBoard shows them as they arrive
            board.wait()  # until Ctrl-C (KeyboardInterrupt) or the process ends

    The process is stopped (terminated, then killed if it does not exit) when
    the block exits, also on errors and Ctrl-C. Its output goes to a log file
    (`log_path`) whose end is shown when it fails to start.

    Args:
      log_dir: TensorBoard's ``--logdir``.
      host: The interface to listen on (default loopback only).
      port: The port; 0 picks a free one.
      reload_interval: Seconds between TensorBoard's scans of the logdir.
      extra_args: More command-line flags for ``tensorboard``.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 6006,
        reload_interval: float = 2.0,
        extra_args: Sequence[str] = (),
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65536:
            raise ValueError(f"port must be in 0..65535. Received: port={port!r}")
        self.log_dir = os.fspath(log_dir)
        self.host = host
        self.port = port
        self.reload_interval = reload_interval
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: str | None = None
        self._log_file: Any = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:6006/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def plugin_url(self) -> str:
        """The URL of the tbexplain dashboard."""
        return self.url + "#tbexplain"

    def start(self) -> None:
        """Starts the process (returns at once; see `wait_ready`).

        Raises:
          OSError: the port is in use (the message says which and what to do).
        """
        if self.process is not None:
            raise RuntimeError("TensorBoard was already started.")
        if self.port == 0:
            self.port = free_port(self.host)
        elif port_in_use(self.host, self.port):
            raise OSError(
                f"Port {self.port} on {self.host} is already in use (another "
                "TensorBoard?). Stop it or pass another port, e.g. --port 6007. "
                f"Received: port={self.port}"
            )
        Path(self.log_dir).mkdir(parents=True, exist_ok=True)
        fd, self.log_path = tempfile.mkstemp(
            prefix="tbexplain_tensorboard_", suffix=".log"
        )
        self._log_file = os.fdopen(fd, "wb")
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        args = [
            sys.executable,
            "-m",
            "tensorboard.main",
            f"--logdir={self.log_dir}",
            f"--host={self.host}",
            f"--port={self.port}",
            f"--reload_interval={self.reload_interval}",
            *self.extra_args,
        ]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of TensorBoard's output."""
        if not self.log_path or not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Blocks until TensorBoard answers HTTP requests.

        Raises:
          RuntimeError: the process exited or did not answer within `timeout`
            seconds (its output is in the message).
        """
        if self.process is None:
            raise RuntimeError("Call start() first.")
        deadline = time.monotonic() + timeout
        probe = self.url + "data/logdir"
        while True:
            code = self.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"TensorBoard exited with code {code} before serving:\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(probe, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"TensorBoard did not answer at {self.url} within {timeout:.0f}s:\n"
                    + self.log_tail()
                )
            time.sleep(0.25)

    def wait(self) -> int:
        """Blocks until the process ends; returns its exit code.

        Ctrl-C raises KeyboardInterrupt here, as usual; `stop` (or leaving the
        ``with`` block) then ends TensorBoard.
        """
        if self.process is None:
            raise RuntimeError("Call start() first.")
        while True:
            code = self.process.poll()
            if code is not None:
                return code
            time.sleep(0.5)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminates the process (kills it after `timeout` seconds)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self.log_path:
            with contextlib.suppress(OSError):
                os.remove(self.log_path)
            self.log_path = None

    def __enter__(self) -> TensorBoardProcess:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


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
    lines.append(f"Total {result.seconds:.0f}s. Logs: {result.log_dir}")
    return "\n".join(lines)
