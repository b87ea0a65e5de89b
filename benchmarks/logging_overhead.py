"""What logging explanations costs a training run (the logger and the callback).

Demo-sized setup, the sizes of `tbexplain.demo.DemoConfig`: the demo CNN
(`tbexplain.demo.build_model`) on 1500 generated 64x64x3 images of 4 classes
(`tbexplain.data.make_shapes`), batch 32, the demo's probe of 32 images,
`tbx.ExplainCallback` in its default configuration (Grad-CAM at its default
layer, every epoch, no metrics). ``--probe 8`` shows a smaller probe, where
the fixed cost of writing a summary weighs more. Prints:

1. ``invocation ratio``: the time one `ExplanationLogger.log` holds up
   training / the method's own cost (one `GradCAM.explain` of the same
   probe, at the layer resolution the logger stores), timed alternately,
   best of ``--repeats``; the goal is <= 1.2. The PNG encoding and writing
   run on the logger's background thread, so the second figure times a
   logger that does them on the calling thread (``write_in_background=
   False``): the whole cost of an invocation, encoding and writing included
   (goal <= 1.2).
2. ``traces``: how often Grad-CAM's compiled function and the logger's forward
   function were traced after ``--epochs`` epochs (goal: 1 each), and how many
   models the method holds state for (1: nothing is cloned per epoch).
3. ``overhead``: the time spent in the callback's hooks during `fit` over the
   rest of the training time (goal <= 5%), and the same two `fit`s timed end to
   end, without and with the callback (noisier on a shared machine).
4. With ``--soak``: resident memory growth over 300 `log` calls after a
   warm-up of 10 (goal < 50 MB).

Run: ``PYTHONPATH=. python benchmarks/logging_overhead.py [--quick] [--soak]``.
``--quick`` trains 3 epochs on 512 images (a smoke run, not the figure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

import tbexplain as tbx
from tbexplain.data import make_shapes
from tbexplain.demo import DemoConfig, build_model

DEMO = DemoConfig()
SIZE = DEMO.image_size
BATCH = DEMO.batch_size
_HOOKS = (
    "on_train_begin",
    "on_epoch_begin",
    "on_train_batch_end",
    "on_epoch_end",
    "on_train_end",
)


def _rss_mb() -> float:
    """Current resident set size (Linux /proc; falls back to the peak)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed_hooks(callback: keras.callbacks.Callback) -> list[float]:
    """Wraps the callback's hooks with a timer; returns the running total."""
    total = [0.0]

    def wrap(fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                total[0] += time.perf_counter() - start

        return timed

    for hook in _HOOKS:
        setattr(callback, hook, wrap(getattr(callback, hook)))
    return total


def _train(
    images: np.ndarray, labels: np.ndarray, epochs: int, callback: Any = None
) -> tuple[float, keras.Model]:
    keras.utils.set_random_seed(0)
    model = build_model(SIZE)
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH)
    start = time.perf_counter()
    model.fit(ds, epochs=epochs, verbose=0, callbacks=[callback] if callback else [])
    return time.perf_counter() - start, model


def training_overhead(
    images: np.ndarray,
    labels: np.ndarray,
    probe: Any,
    epochs: int,
    log_dir: str,
) -> dict[str, Any]:
    """Trains without and with the default callback; returns the figures."""
    cam = tbx.GradCAM()
    callback = tbx.ExplainCallback(
        probe.images,
        probe.labels,
        methods=[cam],
        log_dir=log_dir,
        class_names=probe.class_names,
    )
    in_callback = _timed_hooks(callback)
    plain, _ = _train(images, labels, epochs)
    with_cb, model = _train(images, labels, epochs, callback)
    binding = callback.logger._binding
    return {
        "model": model,
        "epochs": epochs,
        "fit_plain_s": plain,
        "fit_with_callback_s": with_cb,
        "callback_s": in_callback[0],
        "overhead_in_fit": in_callback[0] / (with_cb - in_callback[0]),
        "overhead_end_to_end": (with_cb - plain) / plain,
        "method_traces": cam.trace_count,
        "forward_traces": binding.forward.experimental_get_tracing_count(),
        "models_held": len(cam._compiled.states),
    }


def invocation_ratio(
    model: keras.Model, probe: Any, log_dir: str, repeats: int
) -> dict[str, float]:
    """Logger calls / the method's own cost, timed alternately.

    The method's own cost is one `GradCAM.explain` of the probe at the
    resolution the logger stores (``upsample=False``: the layer's; the
    default, input-sized call is timed too, for reference). Two loggers run
    the same configuration: the default one (encoding and writing on its
    background thread: what training waits for, then with that work waited
    for) and one with ``write_in_background=False``, which does all of it on
    the calling thread: the whole cost of an invocation, explanation,
    encoding and writing included.
    """
    cam = tbx.GradCAM()

    def logger(background: bool, where: str) -> tbx.ExplanationLogger:
        return tbx.ExplanationLogger(
            probe.images,
            probe.labels,
            methods=[cam],
            log_dir=os.path.join(log_dir, where),
            class_names=probe.class_names,
            write_in_background=background,
        )

    background, synchronous = logger(True, "background"), logger(False, "sync")
    background.log(model, 0)  # traces, writes the inputs
    synchronous.log(model, 0)
    cam.explain(model, probe.images, upsample=False)
    cam.explain(model, probe.images)
    times: dict[str, list[float]] = {
        k: [] for k in ("log", "drained", "sync", "method", "method_upsampled")
    }
    for step in range(1, repeats + 1):
        background.flush()
        start = time.perf_counter()
        background.log(model, step)
        times["log"].append(time.perf_counter() - start)
        background.flush()  # the background encoding and writing of this step
        times["drained"].append(time.perf_counter() - start)
        start = time.perf_counter()
        synchronous.log(model, step)
        times["sync"].append(time.perf_counter() - start)
        start = time.perf_counter()
        cam.explain(model, probe.images, upsample=False)
        times["method"].append(time.perf_counter() - start)
        start = time.perf_counter()
        cam.explain(model, probe.images)
        times["method_upsampled"].append(time.perf_counter() - start)
    background.close()
    synchronous.close()
    best = {k: min(v) for k, v in times.items()}
    median = {k: statistics.median(v) for k, v in times.items()}
    return {
        **{f"{k}_ms": 1e3 * v for k, v in best.items()},
        "ratio_best": best["log"] / best["method"],
        "ratio_median": median["log"] / median["method"],
        "ratio_drained": best["drained"] / best["method"],
        "ratio_sync": best["sync"] / best["method"],
        "ratio_sync_median": median["sync"] / median["method"],
        "ratio_sync_upsampled": best["sync"] / best["method_upsampled"],
        "traces": cam.trace_count,
    }


def soak(model: keras.Model, probe: Any, log_dir: str, calls: int) -> dict[str, float]:
    """Resident memory before and after `calls` logger invocations."""
    logger = tbx.ExplanationLogger(
        probe.images, probe.labels, methods=[tbx.GradCAM()], log_dir=log_dir
    )
    for step in range(10):
        logger.log(model, step)
    before = _rss_mb()
    for step in range(10, 10 + calls):
        logger.log(model, step)
    after = _rss_mb()
    logger.close()
    return {"calls": calls, "rss_before_mb": before, "growth_mb": after - before}


def missed_goals(
    ratio: dict[str, float], train: dict[str, Any], soak_result: dict[str, float] | None
) -> list[str]:
    """The goals a full run did not meet (empty when all are met)."""
    checks = {
        "invocation ratio <= 1.2": ratio["ratio_best"] <= 1.2,
        "whole invocation <= 1.2": ratio["ratio_sync"] <= 1.2,
        "traces 1, 1, 1": (
            train["method_traces"],
            train["forward_traces"],
            train["models_held"],
        )
        == (1, 1, 1),
        "overhead in the hooks <= 5%": train["overhead_in_fit"] <= 0.05,
    }
    if soak_result is not None:
        checks["soak < 50 MB"] = soak_result["growth_mb"] < 50
    return [goal for goal, met in checks.items() if not met]


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; returns 1 when a full run misses a goal."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--images", type=int, default=DEMO.train_size)
    parser.add_argument("--probe", type=int, default=DEMO.probe_size)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="3 epochs, 512 images")
    parser.add_argument("--soak", action="store_true", help="also the 300-call soak")
    parser.add_argument("--soak-calls", type=int, default=300)
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.images = 3, 512

    data = make_shapes(args.images, size=SIZE, seed=0)
    probe = make_shapes(args.probe, size=SIZE, seed=1)
    print(
        f"demo setup: {args.images} images {SIZE}x{SIZE}x3, 4 classes, batch {BATCH}, "
        f"probe {args.probe}, Grad-CAM, every epoch; TF {tf.__version__}, "
        f"devices {[d.device_type for d in tf.config.list_logical_devices()]}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        train = training_overhead(
            data.images, data.labels, probe, args.epochs, os.path.join(tmp, "fit")
        )
        ratio = invocation_ratio(
            train["model"], probe, os.path.join(tmp, "ratio"), args.repeats
        )
        print(
            f"invocation ratio (what training waits for): {ratio['ratio_best']:.2f} "
            f"best-of-{args.repeats} ({ratio['log_ms']:.2f} ms log / "
            f"{ratio['method_ms']:.2f} ms Grad-CAM), {ratio['ratio_median']:.2f} "
            "median  [goal <= 1.2]"
        )
        print(
            f"whole invocation, encoding and writing included (synchronous): "
            f"{ratio['ratio_sync']:.2f} best-of-{args.repeats} "
            f"({ratio['sync_ms']:.2f} ms), {ratio['ratio_sync_median']:.2f} median  "
            "[goal <= 1.2]"
        )
        print(
            f"  vs Grad-CAM upsampled to the input ({ratio['method_upsampled_ms']:.2f}"
            f" ms): {ratio['ratio_sync_upsampled']:.2f}; background work waited "
            f"for: {ratio['ratio_drained']:.2f} ({ratio['drained_ms']:.2f} ms, "
            "includes the thread hand-off)"
        )
        print(
            f"traces after {train['epochs']} epochs: Grad-CAM "
            f"{train['method_traces']}, logger forward {train['forward_traces']}; "
            f"models held by the method: {train['models_held']}  [goal 1, 1, 1]"
        )
        print(
            f"overhead: {100 * train['overhead_in_fit']:.1f}% in the callback's hooks "
            f"({train['callback_s']:.2f} s of {train['fit_with_callback_s']:.1f} s); "
            f"end to end {100 * train['overhead_end_to_end']:+.1f}% "
            f"({train['fit_plain_s']:.1f} s without)  [goal <= 5%]"
        )
        result = None
        if args.soak:
            result = soak(
                train["model"], probe, os.path.join(tmp, "soak"), args.soak_calls
            )
            print(
                f"soak: {result['growth_mb']:+.1f} MB resident over "
                f"{result['calls']} calls (from {result['rss_before_mb']:.0f} MB)"
                "  [goal < 50 MB]"
            )
    if args.quick:
        print("(--quick: a smoke run; goals are checked on full runs)")
        return 0
    missed = missed_goals(ratio, train, result)
    print("goals missed: " + "; ".join(missed) if missed else "all goals met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
