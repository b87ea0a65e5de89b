"""Speed of the transformer methods against the cost they cannot avoid.

Builds keras_hub's ViT from its config (no weights; 64x64x3 images, 8x8
patches: 64 patch tokens and a class token, 6 blocks of width 192, 3 heads,
10 classes, seeded; its head reads the class token, or with ``--gap`` pools
the tokens) and a batch of 16 images, and prints for each method
``explain time / baseline time``, both compiled:

- attention rollout against one forward pass that returns the attention
  weights of every block (the model run with its weights captured, as
  ``return_attention_scores=True`` computes them); goal <= 1.15;
- gradient rollout, and the CAM family on the tokens, against one forward +
  backward pass (the gradient of the pre-softmax score with respect to the
  input); goals <= 1.15, and for the CAMs the CNN CAMs' ratios of
  `benchmarks/methods.py` (0.41 / 0.51 / 0.64 there, whose backward also
  stops at the layer).

Each baseline is timed right before its method; both are the minimum over
``repeats`` runs after a warm-up call; ``cpu`` is the ratio of this process's
CPU times (steadier on a shared machine). Trace counts are printed
(1 = no retracing).

Run: ``PYTHONPATH=. python benchmarks/transformers.py [--quick] [--gap]``
(needs keras-hub, a dev dependency).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras
import tensorflow as tf

import tbexplain as tbx
from benchmarks.methods import _timed
from tbexplain import attention as attention_lib
from tbexplain import targets as targets_lib


def build_model(size: int, width: int, blocks: int, pooling: str) -> keras.Model:
    import keras_hub

    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.ViTBackbone(
        image_shape=(size, size, 3),
        patch_size=8,
        num_layers=blocks,
        num_heads=3,
        hidden_dim=width,
        mlp_dim=4 * width,
    )
    return keras_hub.models.ViTImageClassifier(
        backbone=backbone, num_classes=10, pooling=pooling
    )


def forward_with_attention(model: keras.Model) -> Callable[[tf.Tensor], Any]:
    """One compiled forward pass returning the logits and every block's weights."""
    layers = attention_lib.attention_layers(model)
    info = targets_lib.output_info(model)

    @tf.function(autograph=False)
    def step(x: tf.Tensor) -> Any:
        with attention_lib.capture(layers) as calls:
            logits = targets_lib.pre_activation_outputs(model, x, info)
        return logits, [call.weights for call in calls]

    return step


def forward_backward(model: keras.Model) -> Callable[[tf.Tensor], tf.Tensor]:
    """One compiled forward+backward: d(pre-softmax score) / d input."""
    info = targets_lib.output_info(model)

    @tf.function(autograph=False)
    def step(x: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = targets_lib.pre_activation_outputs(model, x, info)
            score = tf.reduce_sum(tf.reduce_max(logits, axis=-1))
        return tape.gradient(score, x)

    return step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller model")
    parser.add_argument("--gap", action="store_true", help="a head that pools")
    args = parser.parse_args(argv)
    size, width, blocks, batch, repeats = (
        (32, 48, 2, 4, 2) if args.quick else (64, 192, 6, 16, 5)
    )
    pooling = "gap" if args.gap else "token"
    model = build_model(size, width, blocks, pooling)
    x = tf.random.stateless_uniform([batch, size, size, 3], [1, 2])
    baselines = {
        "forward returning attention": forward_with_attention(model),
        "forward+backward": forward_backward(model),
    }
    methods = [
        (tbx.AttentionRollout(), "forward returning attention", 1.15),
        (tbx.AttentionRollout(discard_ratio=0.9), "forward returning attention", 1.15),
        (tbx.GradientRollout(), "forward+backward", 1.15),
        (tbx.GradCAM(), "forward+backward", 1.15),
        (tbx.GradCAMPlusPlus(), "forward+backward", 1.15),
        (tbx.LayerCAM(), "forward+backward", 1.15),
    ]
    print(
        f"keras_hub ViT {size}x{size}x3, patches 8x8, {blocks} blocks of width "
        f"{width}, head {pooling!r}, batch {batch}; TF {tf.__version__}"
    )
    print(f"GradCAM's layer: {tbx.GradCAM().layer_description(model, x)}")
    print(
        f"{'method':32s} {'base ms':>8s} {'ms':>8s} {'ratio':>6s} {'cpu':>6s} "
        f"{'goal':>5s} traces  baseline"
    )
    for method, baseline, goal in methods:
        step = baselines[baseline]
        base, base_cpu = _timed(
            lambda s=step: tf.nest.map_structure(lambda t: t.numpy(), s(x)), repeats
        )
        seconds, cpu = _timed(lambda m=method: m.explain(model, x), repeats)
        discard = getattr(method, "discard_ratio", 0.0)
        label = method.name + (f" (discard {discard})" if discard else "")
        print(
            f"{label[:32]:32s} {base * 1e3:8.1f} {seconds * 1e3:8.1f} "
            f"{seconds / base:6.2f} {cpu / base_cpu:6.2f} {goal:5.2f} "
            f"{method.trace_count:6d}  {baseline}",
            flush=True,
        )


if __name__ == "__main__":
    main()
