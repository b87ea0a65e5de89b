"""The demo's CNN: three convolution blocks, global average pooling, softmax."""

from __future__ import annotations

from typing import Any

from tbexplain.data import CLASS_NAMES

__all__ = ["build_model"]


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
