"""The README's Python snippets run against the real API (on a tiny model)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing import plugin_event_accumulator

import tbexplain as tbx

README = Path(__file__).resolve().parents[2] / "README.md"


def read_series(run_dir: str) -> set[str]:
    """The tbexplain tags of one run directory, read by TensorBoard's loader."""
    accumulator = plugin_event_accumulator.EventAccumulator(run_dir)
    accumulator.Reload()
    return set(accumulator.PluginTagToContent("tbexplain"))


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _namespace() -> dict:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((32, 16, 16, 3), dtype=np.float32)
    y = rng.integers(0, 4, 32)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(4, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    optimizer = keras.optimizers.Adam()
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return {
        "tf": tf,
        "np": np,
        "keras": keras,
        "tbx": tbx,
        "model": model,
        "x": x,
        "y": y,
        "x_val": x[:8],
        "y_val": y[:8],
        "probe_x": x[:4],
        "probe_y": y[:4],
        "epochs": 2,
        "epoch": 0,
        "dataset": ds.batch(16),
        "optimizer": optimizer,
        "loss_fn": keras.losses.SparseCategoricalCrossentropy(),
        "images": x[:4],
        "labels": y[:4],
        "names": ["a", "b", "c", "d"],
        "predicted": np.argmax(model.predict(x[:4], verbose=0), axis=1),
        "ds0": ds,
        "ds1": ds.map(lambda image, label: (tf.image.resize(image, (8, 8)), label)),
        "ds2": ds.map(lambda image, label: (tf.image.flip_left_right(image), label)),
        "tokens": rng.integers(0, 10, (4, 12)),
        "vocabulary": [f"word{i}" for i in range(10)],
        "rows": rng.random((4, 4), dtype=np.float32),
        "meta": rng.random((4, 3), dtype=np.float32),
        **_transformers(rng),
    }


def _transformers(rng: np.random.Generator) -> dict:
    """The names of the Transformers snippet: keras_hub backbones built from
    their configs (no weights)."""
    import keras_hub

    ids = rng.integers(1, 10, (4, 12)).astype("int32")
    return {
        "keras_hub": keras_hub,
        "backbone": keras_hub.models.ViTBackbone(
            image_shape=(16, 16, 3),
            patch_size=4,
            num_layers=1,
            num_heads=2,
            hidden_dim=8,
            mlp_dim=8,
        ),
        "bert_backbone": keras_hub.models.BertBackbone(
            vocabulary_size=10,
            num_layers=1,
            num_heads=2,
            hidden_dim=8,
            intermediate_dim=8,
            max_sequence_length=12,
        ),
        "masks": rng.random((4, 16, 16)) > 0.5,
        "ids": ids,
        "segments": np.zeros_like(ids),
        "mask": np.ones_like(ids),
        "words": ["[PAD]", *[f"word{i}" for i in range(1, 10)]],
    }


def test_every_snippet_runs_and_writes_what_it_says(tmp_path, monkeypatch):
    snippets = _snippets()
    assert len(snippets) >= 4
    monkeypatch.chdir(tmp_path)
    for code in snippets:
        code = code.replace("epochs=20", "epochs=2").replace("steps=32", "steps=4")
        exec(compile(code, str(README), "exec"), _namespace())
    # The fit quick start and the pipeline snippet share logs/run1/train.
    run1 = read_series(os.path.join("logs", "run1", "train"))
    assert {"explain/inputs", "explain/gradcam", "explain/integrated_gradients"} <= set(
        run1
    )
    assert any(tag.startswith("explain/pipeline/") for tag in run1)
    assert "explain/gradcam" in read_series(os.path.join("logs", "run2"))
    assert "probe/gradcam" in read_series(os.path.join("logs", "run3"))
    # The views snippet: views beside methods and the pipeline, in one run.
    run4 = read_series(os.path.join("logs", "run4", "train"))
    assert {
        "explain/activations/conv",
        "explain/filters/conv",
        "explain/guided_gradcam",
        "explain/pipeline/decoded",
    } <= set(run4)
