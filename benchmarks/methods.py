"""Speed and memory of the gradient methods against the cost they cannot avoid.

Builds MobileNetV2 (weights=None, 128x128x3, 10 classes, seeded) and a batch of
16 images, then prints for each method ``explain time / time of one compiled
forward+backward of the same batch`` (the gradient of the pre-softmax score
with respect to the input, in one `tf.function`). For the n-sample methods
(SmoothGrad, VarGrad, SquareGrad: ``samples``; Integrated Gradients:
``steps``) the denominator is n forward+backward passes. Goals: Grad-CAM
family <= 1.15 (Guided Grad-CAM included: both its parts come from one pass),
n-sample methods <= 1.15 (i.e. <= 1.15 x n passes).

Two CAMs that run no backward pass have their own denominators, written here
without tbexplain: EigenCAM one compiled forward pass to its layer plus the
SVD of each sample's centred [positions, channels] matrix; AblationCAM (at
``block_15_project_BN``, whose block's skip connection bypasses it) one
forward pass of the batch plus the forward passes of the part of the model
above the layer (a Keras model from the layer's output and the bypassing
tensor, built on a twin of the model) over one copy per (image, channel), in
batches of its ``perturbation_batch``, on ready-made batches. Goals <= 1.15.
Each method's trace count after all its calls is printed (1 = no retracing).

``--memory`` explains 200 batches in a row (per selected method; Grad-CAM,
Saliency, SmoothGrad and Integrated Gradients by default, the last two with
n = 2) and prints the growth of the process' resident memory after 5 warm-up
calls (goal: < 50 MB).

Run: ``PYTHONPATH=. python benchmarks/methods.py [--quick] [--only NAME[,NAME]]
[--memory]``. Method families are small functions registered in `FAMILIES`
that return `Row`s; add a family with one function.
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
    ablated_channels: int | None  # AblationCAM's max_channels


FULL = Config(
    128, 16, 5, samples=8, steps=16, memory_batches=200, ablated_channels=None
)
QUICK = Config(64, 4, 2, samples=2, steps=4, memory_batches=20, ablated_channels=16)
# AblationCAM's layer: the last block's projection; the block's skip connection
# (block_14_add) bypasses it into block_15_add.
ABLATION_LAYER = "block_15_project_BN"

# A baseline: (model, x) -> a function whose time is the ratio's denominator.
Baseline = Callable[[keras.Model, tf.Tensor], Callable[[], Any]]


@dataclass(frozen=True)
class Row:
    """A method, the cost it is measured against and its goal.

    Attributes:
        method: The method.
        passes: With no ``baseline``, the number of compiled forward+backward
            passes of the batch the ratio is measured against.
        goal: The ratio's goal.
        baseline: The denominator when it is not forward+backward passes.
        against: What the denominator is, in a few words.
    """

    method: Method
    passes: int = 1
    goal: float = 1.15
    baseline: Baseline | None = None
    against: str = "fwd+bwd"


Family = Callable[[Config], list[Row]]
FAMILIES: dict[str, Family] = {}


def family(fn: Family) -> Family:
    FAMILIES[fn.__name__] = fn
    return fn


@family
def cam(config: Config) -> list[Row]:
    return [
        Row(tbx.GradCAM()),
        Row(tbx.GradCAMPlusPlus()),
        Row(tbx.LayerCAM()),
        Row(tbx.HiResCAM()),
        Row(tbx.XGradCAM()),
        Row(tbx.GuidedGradCAM()),
    ]


@family
def gradient_free_cam(config: Config) -> list[Row]:
    ablation = tbx.AblationCAM(ABLATION_LAYER, max_channels=config.ablated_channels)
    return [
        Row(tbx.EigenCAM(), baseline=forward_and_svd, against="fwd to layer+SVD"),
        Row(
            ablation,
            baseline=lambda model, x: forward_above(model, x, ablation),
            against="fwd+upper x copies",
        ),
    ]


@family
def gradients(config: Config) -> list[Row]:
    return [Row(tbx.Saliency()), Row(tbx.GradientInput()), Row(tbx.GuidedBackprop())]


@family
def noise(config: Config) -> list[Row]:
    n = config.samples
    return [
        Row(tbx.SmoothGrad(samples=n), n),
        Row(tbx.VarGrad(samples=n), n),
        Row(tbx.SquareGrad(samples=n), n),
    ]


@family
def integrated(config: Config) -> list[Row]:
    return [Row(tbx.IntegratedGradients(steps=config.steps), config.steps)]


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


def forward_and_svd(model: keras.Model, x: tf.Tensor) -> Callable[[], Any]:
    """EigenCAM's unavoidable cost: one compiled forward pass to its layer (the
    last spatial one) and the SVD of each sample's centred activations."""
    to_layer = keras.Model(model.inputs, model.get_layer("out_relu").output)

    @tf.function(autograph=False)
    def step(x: tf.Tensor) -> tf.Tensor:
        a = to_layer(x, training=False)
        m = tf.reshape(a, [tf.shape(a)[0], -1, a.shape[-1]])
        m -= tf.reduce_mean(m, axis=1, keepdims=True)
        s, u, _ = tf.linalg.svd(m, full_matrices=False)
        return u[:, :, 0] * s[:, :1]

    return lambda: step(x).numpy()


def forward_above(model: keras.Model, x: tf.Tensor, method: Any) -> Callable[[], Any]:
    """AblationCAM's unavoidable cost: one forward pass of the batch, then the
    part of the model above its layer over one copy per (image, ablated
    channel), ``perturbation_batch`` copies per call, in one compiled loop.

    The part above is a Keras model from the layer's output and the tensor that
    bypasses it, built on a twin of `model`: building a model from inner
    tensors adds nodes to the layers it spans, which the explained model must
    not get.
    """
    twin = build_model(int(x.shape[1]))
    layer = twin.get_layer(ABLATION_LAYER).output
    skip = twin.get_layer("block_14_add").output
    above = keras.Model([layer, skip], twin.output)
    chunk = method.perturbation_batch
    channels = int(layer.shape[-1])
    copies = int(x.shape[0]) * min(channels, method.max_channels or channels)
    full, rest = divmod(copies, chunk)
    ready = [
        tf.random.stateless_uniform([chunk, *t.shape[1:]], [3, 4])
        for t in (layer, skip)
    ]

    @tf.function(autograph=False)
    def step(x: tf.Tensor) -> tf.Tensor:
        total = tf.reduce_sum(twin(x, training=False))

        def body(i: tf.Tensor, acc: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            return i + 1, acc + tf.reduce_sum(above(ready, training=False))

        _, total = tf.while_loop(lambda i, _: i < full, body, (tf.constant(0), total))
        if rest:
            total += tf.reduce_sum(above([t[:rest] for t in ready], training=False))
        return total

    return lambda: step(x).numpy()


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def selected(config: Config, only: set[str] | None) -> Iterator[Row]:
    for make in FAMILIES.values():
        for row in make(config):
            if only is None or row.method.name in only:
                yield row


def run_speed(config: Config, only: set[str] | None) -> list[dict[str, Any]]:
    """Times each method and, right before it, its baseline.

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
        f"{'method':22s} {'against':>18s} {'base ms':>8s} {'ms':>9s} "
        f"{'ratio':>6s} {'cpu':>6s} {'goal':>5s} traces"
    )
    rows = []
    for row in selected(config, only):
        method, passes = row.method, row.passes
        if row.baseline is None:
            baseline = lambda: step(x).numpy()  # noqa: E731
        else:
            baseline, passes = row.baseline(model, x), 1
        base, base_cpu = _timed(baseline, config.repeats)
        seconds, cpu = _timed(lambda m=method: m.explain(model, x), config.repeats)
        ratio = seconds / (passes * base)
        cpu_ratio = cpu / (passes * base_cpu)
        against = f"{passes} x {row.against}" if passes > 1 else row.against
        rows.append(
            {
                "method": method.name,
                "against": against,
                "base_seconds": base,
                "seconds": seconds,
                "ratio": ratio,
                "cpu_ratio": cpu_ratio,
                "goal": row.goal,
                "traces": method.trace_count,
            }
        )
        print(
            f"{method.name:22s} {against:>18s} {base * 1e3:8.1f} "
            f"{seconds * 1e3:9.1f} {ratio:6.2f} {cpu_ratio:6.2f} {row.goal:5.2f} "
            f"{method.trace_count}",
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
    for row in selected(config, only):
        method = row.method
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
