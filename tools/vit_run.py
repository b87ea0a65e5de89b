"""A small ViT trained on the demo's shapes, its explanations logged while it trains.

keras_hub's ViT built from its config (no weights, nothing downloaded; keras-hub
is a dev dependency): 64x64 images cut into 8x8 patches (an 8x8 grid and a
class token the head reads), 4 blocks of width 64. It trains on the demo's
``clean`` split (shapes on textured backgrounds, a randomly coloured corner
mark) and logs Grad-CAM (at the tokens entering the last block), attention
rollout and gradient rollout every epoch, with the pointing game and the
energy in the shapes' masks of each (how much of a map's mass lies on the
shape: what tells a diffuse map from a sharp one) and, for scale, what a
random point and the image's centre score: the figures of the README's
"Transformers" section come from this script's output.

Run: ``PYTHONPATH=. python tools/vit_run.py [--logdir logs/vit] [--epochs 30]``,
then ``tensorboard --logdir logs/vit``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

METHODS = ("gradcam", "attention_rollout", "gradient_rollout")
METRICS = ("pointing_game", "energy_in_mask")


def build(image_size: int) -> object:
    import keras
    import keras_hub

    backbone = keras_hub.models.ViTBackbone(
        image_shape=(image_size, image_size, 3),
        patch_size=8,
        num_layers=4,
        num_heads=4,
        hidden_dim=64,
        mlp_dim=128,
        name="vit_backbone",
    )
    model = keras_hub.models.ViTImageClassifier(
        backbone=backbone, num_classes=4, activation="softmax", name="vit"
    )
    model.compile(
        keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--logdir", default="logs/vit")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--train", type=int, default=2000)
    args = parser.parse_args(argv)

    import keras

    import tbexplain as tbx
    from tbexplain.data import CLASS_NAMES, make_shapes

    keras.utils.set_random_seed(0)
    train = make_shapes(args.train, seed=1, cue="random")
    val = make_shapes(400, seed=2, cue="random")
    probe = make_shapes(32, seed=3, cue="random")
    model = build(64)
    explain = tbx.ExplainCallback(
        probe.images,
        probe.labels,
        methods=[tbx.GradCAM(), tbx.AttentionRollout(), tbx.GradientRollout()],
        log_dir=args.logdir,
        class_names=CLASS_NAMES,
        masks=probe.masks,
        metrics=list(METRICS),
    )
    history = model.fit(
        train.images,
        train.labels,
        batch_size=32,
        epochs=args.epochs,
        validation_data=(val.images, val.labels),
        callbacks=[keras.callbacks.TensorBoard(args.logdir), explain],
        verbose=2,
    )
    from tbexplain.demo.scalars import read_scalars

    for metric in METRICS:
        print(f"{metric} per epoch (probe of {len(probe.images)}):")
        for method in METHODS:
            tag = f"explain/metrics/{method}/{metric}"
            values = read_scalars(Path(args.logdir) / "train", tag)
            print(f"  {method:18s} " + " ".join(f"{v:.2f}" for _, v in values))
    masks = probe.masks.astype(bool)
    height, width = masks.shape[1:3]
    area, centre = masks.mean(), masks[:, height // 2, width // 2].mean()
    print(f"for scale: a random point {area:.2f} (mask area), the centre {centre:.2f}")
    print(
        "accuracy: train {:.2f}, val {:.2f}".format(
            history.history["accuracy"][-1], history.history["val_accuracy"][-1]
        )
    )


if __name__ == "__main__":
    main()
