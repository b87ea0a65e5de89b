"""Speed of the perturbation methods against the forward passes they cannot avoid.

For Occlusion, RISE and Score-CAM on MobileNetV2 (weights=None, seeded) at 128x128 with
4 images, prints ``explain time / time of a compiled forward over the same number of
copies, in the same batch size`` (the denominator runs the model on ready-made batches
in one ``tf.while_loop``, so it has no cost of building copies). The goal is <= 1.10.
Peak host memory (ru_maxrss) is printed after each method, next to what holding all
copies at once would take.

Run: ``PYTHONPATH=. python benchmarks/perturbation.py [--quick]``. Importable:
``from benchmarks.perturbation import run`` returns the rows as dicts.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

import tbexplain as tbx

SIZE = 128
IMAGES = 4
PATCH = 16


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _timed_pair(
    first: Any, second: Any, repeats: int
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best-of-``repeats`` (wall, process CPU) seconds of two alternating functions.

    After a warm-up call each (compilation). The minimum is the figure least disturbed
    by other processes on a shared machine, alternating exposes both to the same load,
    and the process CPU time barely depends on that load at all.
    """
    first()
    second()
    walls: tuple[list[float], list[float]] = ([], [])
    cpus: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for k, fn in enumerate((first, second)):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            walls[k].append(time.perf_counter() - wall)
            cpus[k].append(time.process_time() - cpu)
    return (min(walls[0]), min(cpus[0])), (min(walls[1]), min(cpus[1]))


def _forward_fn(model: keras.Model, copies: int, batch: int) -> Any:
    """A compiled forward over `copies` inputs, `batch` per call, in one loop."""
    full, rest = divmod(copies, batch)
    x = tf.random.stateless_uniform([batch, SIZE, SIZE, 3], [1, 2])

    @tf.function(autograph=False)
    def forward(x: tf.Tensor) -> tf.Tensor:
        def body(i: tf.Tensor, acc: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return i + 1, acc + tf.reduce_sum(model(x, training=False))

        _, acc = tf.while_loop(
            lambda i, _: i < full, body, (tf.constant(0), tf.constant(0.0))
        )
        if rest:
            acc += tf.reduce_sum(model(x[:rest], training=False))
        return acc

    return lambda: forward(x).numpy()


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Measures the three methods; returns one dict per method (and prints a table)."""
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(
        input_shape=(SIZE, SIZE, 3),
        weights=None,
        classes=10,
        alpha=0.35 if quick else 1.0,
    )
    x = (
        np.random.default_rng(0)
        .uniform(-1, 1, (IMAGES, SIZE, SIZE, 3))
        .astype(np.float32)
    )
    repeats = 3 if quick else 7
    batch = 64
    methods = [
        tbx.Occlusion(patch=PATCH, perturbation_batch=batch),
        tbx.RISE(
            num_masks=32 if quick else 256, grid=8, seed=0, perturbation_batch=batch
        ),
        tbx.ScoreCAM(max_channels=16 if quick else 64, perturbation_batch=batch),
    ]
    channels = int(model.get_layer("out_relu").output.shape[-1])
    rows = []
    print(
        f"MobileNetV2 {SIZE}x{SIZE} (alpha={model.name.split('_')[1]}), "
        f"{IMAGES} images, perturbation_batch={batch}, {os.cpu_count()} CPUs, "
        f"{'GPU' if tf.config.list_physical_devices('GPU') else 'CPU'}"
    )
    print(
        f"{'method':<10} {'copies':>7} {'explain s':>10} {'forward s':>10} "
        f"{'ratio':>6} {'cpu ratio':>9} {'maxrss MB':>10} {'all copies MB':>14}"
    )
    for method in methods:
        per_image = method.num_copies(x.shape, channels)
        copies = per_image * IMAGES
        (explain_s, explain_cpu), (forward_s, forward_cpu) = _timed_pair(
            lambda m=method: m.explain(model, x),
            _forward_fn(model, copies, batch),
            repeats,
        )
        row = {
            "method": method.name,
            "copies": copies,
            "explain_s": explain_s,
            "forward_s": forward_s,
            "ratio": explain_s / forward_s,
            "cpu_ratio": explain_cpu / forward_cpu,
            "maxrss_mb": _maxrss_mb(),
            "all_copies_mb": copies * SIZE * SIZE * 3 * 4 / 2**20,
        }
        rows.append(row)
        print(
            f"{row['method']:<10} {copies:>7} {explain_s:>10.3f} {forward_s:>10.3f} "
            f"{row['ratio']:>6.2f} {row['cpu_ratio']:>9.2f} {row['maxrss_mb']:>10.0f} "
            f"{row['all_copies_mb']:>14.0f}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small settings, few repeats"
    )
    args = parser.parse_args()
    run(quick=args.quick)


if __name__ == "__main__":
    main()
