"""Speed and memory of the gradient methods against the cost they cannot avoid.

Builds MobileNetV2 (weights=None, 128x128x3, 10 classes, seeded) and a batch of
16 images, then prints for each method ``explain time / time of one compiled
forward+backward of the same batch`` (the gradient of the pre-softmax score
with respect to the input, in one `tf.function`). For the n-sample methods
(SmoothGrad, VarGrad, SquareGrad: ``samples``; Integrated Gradients:
``steps``) the denominator is n forward+backward passes. Goals: Grad-CAM
family <= 1.15 (Guided Grad-CAM included: both its parts come from one pass),
n-sample methods <= 1.15 (i.e. <= 1.15 x n passes).
Each method's trace count after all its calls is printed (1 = no retracing).

``--memory`` explains 200 batches in a row (per selected method; Grad-CAM,
Saliency, SmoothGrad and Integrated Gradients by default, the last two with
n = 2) and prints the growth of the process' resident memory after 5 warm-up
calls (goal: < 50 MB).

Run: ``PYTHONPATH=. python benchmarks/methods.py [--quick] [--only NAME[,NAME]]
[--memory]``. Method families are small functions registered in `FAMILIES`
that return ``(method, passes)`` pairs; add a family with one function.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

import tbexplain as tbx
from tbexplain.methods.base import Method


@dataclass(frozen=True)
class Config:
    size: int
    batch: int
    repeats: int
    samples: int  # SmoothGrad / VarGrad / SquareGrad
    steps: int  # Integrated Gradients
    memory_batches: int


FULL = Config(size=128, batch=16, repeats=5, samples=8, steps=16, memory_batches=200)
QUICK = Config(size=64, batch=4, repeats=2, samples=2, steps=4, memory_batches=20)

# A family: config -> [(method, passes, goal)], passes = the number of
# forward+backward passes the ratio is measured against.
Family = Callable[[Config], list[tuple[Method, int, float]]]
FAMILIES: dict[str, Family] = {}


def family(fn: Family) -> Family:
    FAMILIES[fn.__name__] = fn
    return fn


@family
def cam(config: Config) -> list[tuple[Method, int, float]]:
    return [
        (tbx.GradCAM(), 1, 1.15),
        (tbx.GradCAMPlusPlus(), 1, 1.15),
        (tbx.LayerCAM(), 1, 1.15),
        (tbx.GuidedGradCAM(), 1, 1.15),
    ]


@family
def gradients(config: Config) -> list[tuple[Method, int, float]]:
    return [
        (tbx.Saliency(), 1, 1.15),
        (tbx.GradientInput(), 1, 1.15),
        (tbx.GuidedBackprop(), 1, 1.15),
    ]


@family
def noise(config: Config) -> list[tuple[Method, int, float]]:
    n = config.samples
    return [
        (tbx.SmoothGrad(samples=n), n, 1.15),
        (tbx.VarGrad(samples=n), n, 1.15),
        (tbx.SquareGrad(samples=n), n, 1.15),
    ]


@family
def integrated(config: Config) -> list[tuple[Method, int, float]]:
    return [(tbx.IntegratedGradients(steps=config.steps), config.steps, 1.15)]


def build_model(size: int) -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.applications.MobileNetV2(
        input_shape=(size, size, 3), weights=None, classes=10
    )


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(wall seconds, process CPU seconds): the minimum of each over `repeats`."""
    fn()  # compile / warm up
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)  # the least disturbed runs


def forward_backward(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """One compiled forward+backward: d(pre-softmax score) / d input."""
    dense = model.layers[-1]
    features = keras.Model(model.inputs, dense.input)

    @tf.function(autograph=False)
    def step(x: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = tf.matmul(features(x, training=False), dense.kernel) + dense.bias
            score = tf.reduce_sum(tf.reduce_max(logits, axis=-1))
        return tape.gradient(score, x)

    return step


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def selected(
    config: Config, only: set[str] | None
) -> Iterator[tuple[Method, int, float]]:
    for make in FAMILIES.values():
        for method, passes, goal in make(config):
            if only is None or method.name in only:
                yield method, passes, goal


def run_speed(config: Config, only: set[str] | None) -> list[dict[str, Any]]:
    """Times each method and, right before it, the forward+backward baseline.

    Both are the minimum over ``repeats`` runs after a warm-up call; measuring
    the baseline next to each method keeps the ratio meaningful when the
    machine's load drifts. ``ratio`` uses wall time, ``cpu`` this process's
    CPU time (steadier on a machine shared with other jobs).
    """
    model = build_model(config.size)
    x = tf.random.stateless_uniform([config.batch, config.size, config.size, 3], [1, 2])
    step = forward_backward(model)
    print(f"MobileNetV2 {config.size}x{config.size}x3, batch {config.batch}")
    print(
        f"{'method':22s} {'passes':>6s} {'base ms':>8s} {'ms':>9s} "
        f"{'ratio':>6s} {'cpu':>6s} {'goal':>5s} traces"
    )
    rows = []
    for method, passes, goal in selected(config, only):
        base, base_cpu = _timed(lambda: step(x).numpy(), config.repeats)
        seconds, cpu = _timed(lambda m=method: m.explain(model, x), config.repeats)
        ratio = seconds / (passes * base)
        cpu_ratio = cpu / (passes * base_cpu)
        rows.append(
            {
                "method": method.name,
                "passes": passes,
                "base_seconds": base,
                "seconds": seconds,
                "ratio": ratio,
                "cpu_ratio": cpu_ratio,
                "goal": goal,
                "traces": method.trace_count,
            }
        )
        print(
            f"{method.name:22s} {passes:6d} {base * 1e3:8.1f} {seconds * 1e3:9.1f} "
            f"{ratio:6.2f} {cpu_ratio:6.2f} {goal:5.2f} {method.trace_count}",
            flush=True,
        )
    return rows


def run_memory(config: Config, only: set[str] | None) -> list[dict[str, Any]]:
    model = build_model(config.size)
    x = np.random.default_rng(0).random(
        (config.batch, config.size, config.size, 3), dtype=np.float32
    )
    only = only or {"gradcam", "saliency", "smoothgrad", "integrated_gradients"}
    # Leaks are per call, not per noise sample: keep the n-sample methods short.
    config = dataclasses.replace(config, samples=2, steps=2)
    rows = []
    print(f"memory: {config.memory_batches} batches of {config.batch} in a row")
    for method, _, _ in selected(config, only):
        for _ in range(5):  # warm up: compile, and let the allocator settle
            method.explain(model, x)
        gc.collect()
        before = _rss_mb()
        for _ in range(config.memory_batches):
            method.explain(model, x)
        gc.collect()
        growth = _rss_mb() - before
        rows.append({"method": method.name, "rss_growth_mb": growth})
        print(
            f"{method.name:22s} RSS growth {growth:7.1f} MB"
            f"  traces {method.trace_count}",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--only", help="comma-separated method names (REGISTRY keys)")
    parser.add_argument("--memory", action="store_true", help="RSS growth instead")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else None
    if only is not None:
        unknown = only - set(tbx.REGISTRY)
        if unknown:
            parser.error(
                f"unknown method(s) {sorted(unknown)}; known: {sorted(tbx.REGISTRY)}"
            )
    if args.memory:
        run_memory(config, only)
    else:
        run_speed(config, only)


if __name__ == "__main__":
    main()
