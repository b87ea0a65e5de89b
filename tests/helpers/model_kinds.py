"""Every kind of Keras model the users bring, tiny and seeded, trained with
`model.fit` and `tbx.ExplainCallback` into one run each of a log directory.

Used by the model-kind tests (read back through TensorBoard's data provider)
and by the end-to-end test that paints each run in Chromium. Each `Kind`
builds its model and data in code (no downloads, no pretrained weights).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SIZE = 16
PROBE = 4
CLASSES = ["a", "b", "c"]
VOCABULARY = ["", "[UNK]", "good", "bad", "fine", "awful", "the", "film", "was", "a"]
FEATURES = ["age", "height", "weight", "income"]


@dataclasses.dataclass
class Case:
    """One model kind ready to train: its model, data and callback options."""

    model: Any
    x: Any
    y: Any
    probe: Any
    methods: list[Any]
    labels: Any = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    fit: dict[str, Any] = dataclasses.field(default_factory=dict)
    after: Callable[[], None] | None = None


def _images(n: int, seed: int, channels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(CLASSES)
    x = rng.random((n, SIZE, SIZE, channels)).astype("float32") * 0.5
    for i, c in enumerate(y):
        r = 2 + 5 * c
        x[i, r : r + 4, r : r + 4] += 0.5
    return x, y


def _compile(model: Any, loss: Any = "sparse_categorical_crossentropy") -> Any:
    import keras

    model.compile(keras.optimizers.Adam(1e-3), loss)
    return model


def mobilenet_nested() -> Case:
    """A MobileNetV2 backbone (no weights) nested in a functional model."""
    import keras

    import tbexplain as tbx

    x, y = _images(24, 1)
    backbone = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None
    )
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    h = keras.layers.Resizing(32, 32)(inputs)
    h = keras.layers.GlobalAveragePooling2D()(backbone(h))
    model = _compile(keras.Model(inputs, keras.layers.Dense(3, "softmax")(h)))
    return Case(model, x, y, x[:PROBE], [tbx.GradCAM()], labels=y[:PROBE])


def subclassed() -> Case:
    """A subclassed `keras.Model` (no static graph): layers named explicitly."""
    import keras

    import tbexplain as tbx

    class Net(keras.Model):
        def __init__(self) -> None:
            super().__init__()
            self.conv = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
            self.pool = keras.layers.GlobalAveragePooling2D()
            self.head = keras.layers.Dense(3, activation="softmax")

        def call(self, inputs: Any) -> Any:
            return self.head(self.pool(self.conv(inputs)))

    x, y = _images(24, 2)
    model = _compile(Net())
    model(x[:1])
    return Case(
        model,
        x,
        y,
        x[:PROBE],
        [tbx.GradCAM(layer=model.conv), tbx.Saliency()],
        labels=y[:PROBE],
    )


def augmented() -> Case:
    """Augmentation layers, batch norm and dropout: maps are inference-mode."""
    import keras

    import tbexplain as tbx

    x, y = _images(24, 3)
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.RandomFlip("horizontal")(inputs)
    h = keras.layers.RandomRotation(0.2)(h)
    h = keras.layers.Conv2D(4, 3, padding="same", name="conv")(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Dropout(0.5)(keras.layers.GlobalAveragePooling2D()(h))
    model = _compile(keras.Model(inputs, keras.layers.Dense(3, "softmax")(h)))
    return Case(
        model, x, y, x[:PROBE], [tbx.GradCAM(), tbx.Saliency()], labels=y[:PROBE]
    )


def text() -> Case:
    """A text classifier: token ids -> Embedding -> Conv1D -> pooling."""
    import keras

    import tbexplain as tbx

    rng = np.random.default_rng(4)
    n, t = 32, 8
    tokens = rng.integers(6, len(VOCABULARY), size=(n, t))
    y = np.arange(n) % 2
    tokens[:, 3] = np.where(y == 1, 2, 3)  # the cue word: "good" or "bad"
    tokens[:, 6:] = 0  # padding
    inputs = keras.Input((t,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(len(VOCABULARY), 8, name="embedding")(inputs)
    h = keras.layers.Conv1D(6, 3, padding="same", activation="relu", name="conv")(h)
    h = keras.layers.GlobalMaxPooling1D()(h)
    model = _compile(keras.Model(inputs, keras.layers.Dense(2, "softmax")(h)))
    return Case(
        model,
        tokens,
        y,
        tokens[:PROBE],
        [tbx.GradCAM(), tbx.IntegratedGradients(steps=8), tbx.Occlusion(patch=1)],
        labels=y[:PROBE],
        options={"vocabulary": VOCABULARY, "class_names": ["negative", "positive"]},
    )


def tabular() -> Case:
    """A tabular MLP on four named features."""
    import keras

    import tbexplain as tbx

    rng = np.random.default_rng(5)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = (x[:, 1] - x[:, 3] > 0).astype("int64")
    inputs = keras.Input((4,), name="features")
    h = keras.layers.Dense(8, activation="relu")(inputs)
    model = _compile(keras.Model(inputs, keras.layers.Dense(2, "softmax")(h)))
    return Case(
        model,
        x,
        y,
        x[:PROBE],
        [
            tbx.IntegratedGradients(steps=8),
            tbx.GradientInput(),
            tbx.Occlusion(patch=1, fill=0.0),
        ],
        labels=y[:PROBE],
        options={"feature_names": FEATURES},
    )


def time_series() -> Case:
    """A 1-D CNN on time series [B, T, C]."""
    import keras

    import tbexplain as tbx

    rng = np.random.default_rng(6)
    x = rng.normal(size=(32, 20, 2)).astype("float32")
    y = np.arange(32) % 2
    x[y == 1, 8:12, 0] += 3.0
    inputs = keras.Input((20, 2), name="signal")
    h = keras.layers.Conv1D(4, 3, padding="same", activation="relu", name="conv")(
        inputs
    )
    h = keras.layers.GlobalAveragePooling1D()(h)
    model = _compile(keras.Model(inputs, keras.layers.Dense(2, "softmax")(h)))
    return Case(
        model, x, y, x[:PROBE], [tbx.GradCAM(), tbx.Saliency()], labels=y[:PROBE]
    )


def image_and_metadata() -> Case:
    """Two inputs: an image and a metadata vector."""
    import keras

    import tbexplain as tbx

    x, y = _images(24, 7)
    meta = np.random.default_rng(7).normal(size=(24, 3)).astype("float32")
    image = keras.Input((SIZE, SIZE, 3), name="image")
    info = keras.Input((3,), name="meta")
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(image)
    h = keras.layers.GlobalAveragePooling2D()(h)
    h = keras.layers.Concatenate()([h, keras.layers.Dense(4, activation="relu")(info)])
    model = _compile(keras.Model([image, info], keras.layers.Dense(3, "softmax")(h)))
    inputs = {"image": x, "meta": meta}
    probe = {"image": x[:PROBE], "meta": meta[:PROBE]}
    return Case(
        model,
        inputs,
        y,
        probe,
        [tbx.GradCAM(), tbx.IntegratedGradients(steps=8)],
        labels=y[:PROBE],
        options={"feature_names": {"meta": ["age", "sex", "site"]}},
    )


def regression() -> Case:
    """A regression CNN explained with a callable target."""
    import keras

    import tbexplain as tbx

    x, _ = _images(24, 8)
    value = x.mean(axis=(1, 2, 3))
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(
        inputs
    )
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = _compile(keras.Model(inputs, keras.layers.Dense(1)(h)), "mse")
    return Case(
        model,
        x,
        value,
        x[:PROBE],
        [tbx.GradCAM(), tbx.Saliency()],
        options={"targets": lambda outputs: outputs[:, 0], "target_name": "brightness"},
    )


def segmentation() -> Case:
    """A small segmentation CNN explained for a class over its predicted region."""
    import keras

    import tbexplain as tbx

    x, y = _images(24, 9)
    masks = np.zeros((24, SIZE, SIZE), "int64")
    for i, c in enumerate(y):
        r = 2 + 5 * c
        masks[i, r : r + 4, r : r + 4] = c + 1  # 0 is the background
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(
        inputs
    )
    outputs = keras.layers.Conv2D(4, 1, activation="softmax", name="classes")(h)
    model = _compile(keras.Model(inputs, outputs))
    return Case(
        model,
        x,
        masks,
        x[:PROBE],
        [tbx.GradCAM("conv"), tbx.IntegratedGradients(steps=8)],
        options={"targets": tbx.targets.segment(1)},
    )


def mixed_float16() -> Case:
    """A model under the ``mixed_float16`` policy (float16 compute)."""
    import keras

    import tbexplain as tbx

    x, y = _images(24, 10)
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        inputs = keras.Input((SIZE, SIZE, 3))
        h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(
            inputs
        )
        h = keras.layers.GlobalAveragePooling2D()(h)
        outputs = keras.layers.Dense(3, activation="softmax", dtype="float32")(h)
        model = _compile(keras.Model(inputs, outputs))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return Case(
        model, x, y, x[:PROBE], [tbx.GradCAM(), tbx.Saliency()], labels=y[:PROBE]
    )


def binary_sigmoid() -> Case:
    """A single-sigmoid binary classifier with a `tf.data` probe."""
    import keras
    import tensorflow as tf

    import tbexplain as tbx

    x, y = _images(24, 11)
    y = (y > 0).astype("float32")
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(
        inputs
    )
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = _compile(
        keras.Model(inputs, keras.layers.Dense(1, "sigmoid")(h)), "binary_crossentropy"
    )
    probe = tf.data.Dataset.from_tensor_slices((x[:PROBE], y[:PROBE])).batch(2)
    return Case(model, x, y, probe, [tbx.GradCAM(), tbx.IntegratedGradients(steps=8)])


def uint8_grayscale() -> Case:
    """uint8 grayscale images, rescaled by a layer inside the model."""
    import keras

    import tbexplain as tbx

    x, y = _images(24, 12, channels=1)
    pixels = np.clip(x * 255, 0, 255).astype(np.uint8)
    inputs = keras.Input((SIZE, SIZE, 1))
    h = keras.layers.Rescaling(1 / 255.0)(inputs)
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = _compile(keras.Model(inputs, keras.layers.Dense(3, "softmax")(h)))
    return Case(
        model,
        pixels,
        y,
        pixels[:PROBE],
        [tbx.GradCAM(), tbx.Saliency()],
        labels=y[:PROBE],
    )


def resnet_sequential() -> Case:
    """A ResNet50 backbone (no weights) inside a `keras.Sequential`."""
    import keras

    import tbexplain as tbx

    x, y = _images(16, 13)
    model = _compile(
        keras.Sequential(
            [
                keras.Input((SIZE, SIZE, 3)),
                keras.layers.Resizing(32, 32),
                keras.applications.ResNet50(
                    input_shape=(32, 32, 3), include_top=False, weights=None
                ),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
    )
    return Case(model, x, y, x[:PROBE], [tbx.GradCAM()], labels=y[:PROBE])


def clips() -> Case:
    """A Conv3D model on short clips of frames [B, D, H, W, C]."""
    import keras

    import tbexplain as tbx

    rng = np.random.default_rng(14)
    n, d = 16, 4
    x = rng.random((n, d, 8, 8, 1)).astype("float32") * 0.5
    y = np.arange(n) % 2
    for i in range(n):
        frame = d - 1 if y[i] else 0
        x[i, frame, 2:6, 2:6] += 0.5
    inputs = keras.Input((d, 8, 8, 1), name="clip")
    h = keras.layers.Conv3D(4, 3, padding="same", activation="relu", name="conv3d")(
        inputs
    )
    h = keras.layers.GlobalAveragePooling3D()(h)
    model = _compile(keras.Model(inputs, keras.layers.Dense(2, "softmax")(h)))
    return Case(
        model, x, y, x[:PROBE], [tbx.GradCAM(), tbx.Saliency()], labels=y[:PROBE]
    )


def vit() -> Case:
    """keras_hub's ViT (built from its config): a class token, 4x4 patches."""
    import tbexplain as tbx
    from tests.helpers import transformers

    x, y = _images(24, 15)
    model = _compile(
        transformers.vit(image=(SIZE, SIZE, 3), patch=4),
        keras_loss(from_logits=True),
    )
    return Case(
        model,
        x,
        y,
        x[:PROBE],
        [tbx.GradCAM(), tbx.AttentionRollout(), tbx.GradientRollout()],
        labels=y[:PROBE],
        options={"class_names": CLASSES},
    )


BERT_WORDS = ["[PAD]", "[CLS]", "[SEP]"] + [
    f"w{i}" for i in range(3, 40)
]  # transformers.VOCABULARY ids


def bert() -> Case:
    """keras_hub's BERT classifier: token_ids, segment_ids and padding_mask."""
    import tbexplain as tbx
    from tests.helpers import transformers

    inputs = transformers.bert_inputs(24, seed=16)
    y = np.arange(24) % 2
    model = _compile(transformers.bert(), keras_loss(from_logits=True))
    probe = {name: value[:PROBE] for name, value in inputs.items()}
    return Case(
        model,
        inputs,
        y,
        probe,
        [tbx.IntegratedGradients(steps=8), tbx.GradientRollout()],
        labels=y[:PROBE],
        options={"vocabulary": {"token_ids": BERT_WORDS}},
    )


def keras_loss(from_logits: bool) -> Any:
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


KINDS: dict[str, Callable[[], Case]] = {
    "mobilenet_nested": mobilenet_nested,
    "subclassed": subclassed,
    "augmented": augmented,
    "text": text,
    "tabular": tabular,
    "time_series": time_series,
    "image_and_metadata": image_and_metadata,
    "regression": regression,
    "segmentation": segmentation,
    "mixed_float16": mixed_float16,
    "binary_sigmoid": binary_sigmoid,
    "uint8_grayscale": uint8_grayscale,
    "resnet_sequential": resnet_sequential,
    "clips": clips,
    "vit": vit,
    "bert": bert,
}


def train_all(
    logdir: Path, kinds: dict[str, Callable[[], Case]] = KINDS
) -> dict[str, Case]:
    """Trains each kind for two epochs into the run ``<kind>/train`` of `logdir`."""
    import keras

    import tbexplain as tbx

    cases = {}
    for name, build in kinds.items():
        keras.utils.set_random_seed(0)
        case = build()
        callback = tbx.ExplainCallback(
            case.probe,
            case.labels,
            methods=case.methods,
            log_dir=str(logdir / name),
            **case.options,
        )
        case.model.fit(
            case.x, case.y, epochs=2, batch_size=8, verbose=0, callbacks=[callback]
        )
        case.callback = callback  # type: ignore[attr-defined]
        cases[name] = case
    return cases
