"""Speed of the methods on tokens and features against the passes they cannot avoid.

* Token integrated gradients: a text CNN (Embedding 1000 x 64 -> Conv1D 64 ->
  max pooling -> Dense 2) on 16 reviews of 128 token ids; ``IG(steps)`` time
  / ``steps`` compiled forward+backward passes of the same batch, the
  gradient taken with respect to the embedding's output (goal <= 1.15).
* Feature occlusion: an MLP (64 features -> 512 -> 512 -> 2) on 64 rows;
  ``Occlusion(patch=1)`` time / the compiled forward passes over its 64
  copies per row, in the same batch size, on ready-made batches (goal <=
  1.10).

Each figure is the best of ``--repeats`` alternating runs (wall time), with
the process CPU-time ratio beside it. Run:
``PYTHONPATH=. python benchmarks/kinds.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import numpy as np
import tensorflow as tf

import tbexplain as tbx
from benchmarks._timing import best


def token_ig(batch: int, length: int, steps: int, repeats: int) -> dict[str, float]:
    keras.utils.set_random_seed(0)
    embedding = keras.layers.Embedding(1000, 64)
    head = keras.Sequential(
        [
            keras.Input((length, 64)),
            keras.layers.Conv1D(64, 5, padding="same", activation="relu"),
            keras.layers.GlobalMaxPooling1D(),
            keras.layers.Dense(2),
        ]
    )
    tokens_in = keras.Input((length,), dtype="int32")
    model = keras.Model(tokens_in, head(embedding(tokens_in)))
    tokens = np.random.default_rng(1).integers(1, 1000, (batch, length)).astype("int32")
    emb = tf.constant(embedding(tokens))

    @tf.function(autograph=False)
    def forward_backward(e: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(e)
            score = tf.reduce_sum(head(e, training=False)[:, 1])
        return tape.gradient(score, e)

    ig = tbx.IntegratedGradients(steps=steps)
    (base, base_cpu), (seconds, cpu) = best(
        [lambda: forward_backward(emb).numpy(), lambda: ig.explain(model, tokens, 1)],
        repeats,
    )
    return {
        "ratio": seconds / (steps * base),
        "cpu_ratio": cpu / (steps * base_cpu),
        "ms": seconds * 1e3,
        "base_ms": base * 1e3,
        "traces": ig.trace_count,
    }


def feature_occlusion(
    rows: int, features: int, width: int, repeats: int
) -> dict[str, float]:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((features,)),
            keras.layers.Dense(width, activation="relu"),
            keras.layers.Dense(width, activation="relu"),
            keras.layers.Dense(2),
        ]
    )
    x = np.random.default_rng(2).normal(size=(rows, features)).astype("float32")
    occlusion = tbx.Occlusion(patch=1, fill=0.0, perturbation_batch=256)
    copies = rows * features
    batch = occlusion.perturbation_batch
    ready = tf.constant(np.repeat(x, features, axis=0))
    chunks = -(-copies // batch)

    @tf.function(autograph=False)
    def forwards(data: tf.Tensor) -> tf.Tensor:
        def body(j: tf.Tensor, total: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            part = data[j * batch : (j + 1) * batch]
            return j + 1, total + tf.reduce_sum(model(part, training=False)[:, 1])

        return tf.while_loop(
            lambda j, _: j < chunks, body, (tf.constant(0), tf.constant(0.0))
        )[1]

    (base, base_cpu), (seconds, cpu) = best(
        [lambda: forwards(ready).numpy(), lambda: occlusion.explain(model, x, 1)],
        repeats,
    )
    return {
        "ratio": seconds / base,
        "cpu_ratio": cpu / base_cpu,
        "ms": seconds * 1e3,
        "base_ms": base * 1e3,
        "traces": occlusion.trace_count,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    if args.quick:
        ig, occlusion = token_ig(4, 32, 4, repeats), feature_occlusion(8, 16, 32, 2)
    else:
        ig = token_ig(16, 128, 32, repeats)
        occlusion = feature_occlusion(64, 64, 512, repeats)
    rows = {"token IG (steps)": (ig, 1.15), "feature occlusion": (occlusion, 1.10)}
    print(f"{'method':20s} {'base ms':>8s} {'ms':>8s} {'ratio':>6s} {'cpu':>6s} goal")
    missed = []
    for name, (row, goal) in rows.items():
        print(
            f"{name:20s} {row['base_ms']:8.2f} {row['ms']:8.2f} {row['ratio']:6.2f} "
            f"{row['cpu_ratio']:6.2f} {goal:.2f}  traces {row['traces']}"
        )
        if row["ratio"] > goal:
            missed.append(name)
    print("all goals met" if not missed else f"missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
