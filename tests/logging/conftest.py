"""Shared pieces of the logger/callback tests: tiny seeded models, data, and a
reader that goes through TensorBoard's own data provider."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem

from tbexplain_plugin import metadata

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NUM_CLASSES = 3
SIZE = 16
CLASS_NAMES = ["circle", "square", "triangle"]


def make_data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    x = rng.rand(n, SIZE, SIZE, 3).astype("float32")
    y = (np.arange(n) % NUM_CLASSES).astype("int64")
    # A learnable signal: a bright square whose corner depends on the class.
    for i, c in enumerate(y):
        r, col = [(1, 1), (1, 9), (9, 5)][c]
        x[i, r : r + 6, col : col + 6] += 1.0
    return x / 2.0, y


def make_model(seed: int = 0, softmax: bool = True) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv1")(
        inputs
    )
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv2")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(
        NUM_CLASSES, activation="softmax" if softmax else None, name="head"
    )(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        keras.optimizers.Adam(0.01),
        keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax),
    )
    return model


@dataclass
class Step:
    step: int
    manifest: dict[str, Any]
    blobs: int


class LogdirReader:
    """Reads a logdir through EventMultiplexer + MultiplexerDataProvider."""

    def __init__(self, logdir: str | Path) -> None:
        self.logdir = str(logdir)
        self.multiplexer = pem.EventMultiplexer(
            size_guidance={ea.TENSORS: 1000, ea.SCALARS: 1000}
        )
        self.multiplexer.AddRunsFromDirectory(self.logdir)
        self.multiplexer.Reload()
        self.provider = data_provider.MultiplexerDataProvider(
            self.multiplexer, self.logdir
        )
        self.ctx = context.RequestContext()

    def series(self) -> dict[str, dict[str, Any]]:
        """{run: {tag: parsed plugin metadata}} of the tbexplain series."""
        listing = self.provider.list_blob_sequences(
            self.ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME
        )
        return {
            run: {
                tag: metadata.parse_plugin_metadata(ts.plugin_content)
                for tag, ts in tags.items()
            }
            for run, tags in listing.items()
        }

    def steps(self, run: str, tag: str) -> list[Step]:
        from tensorboard.data import provider as provider_lib

        data = self.provider.read_blob_sequences(
            self.ctx,
            experiment_id="",
            plugin_name=metadata.PLUGIN_NAME,
            downsample=1000,
            run_tag_filter=provider_lib.RunTagFilter(runs=[run], tags=[tag]),
        )
        out = []
        for datum in data[run][tag]:
            manifest = metadata.decode_manifest(
                self.provider.read_blob(self.ctx, blob_key=datum.values[0].blob_key)
            )
            out.append(Step(datum.step, manifest, len(datum.values) - 1))
        return out

    def blob(self, run: str, tag: str, step: int, index: int) -> bytes:
        from tensorboard.data import provider as provider_lib

        data = self.provider.read_blob_sequences(
            self.ctx,
            experiment_id="",
            plugin_name=metadata.PLUGIN_NAME,
            downsample=1000,
            run_tag_filter=provider_lib.RunTagFilter(runs=[run], tags=[tag]),
        )
        datum = next(d for d in data[run][tag] if d.step == step)
        return self.provider.read_blob(self.ctx, blob_key=datum.values[index].blob_key)

    def scalars(self, run: str) -> dict[str, list[tuple[int, float]]]:
        data = self.provider.read_scalars(
            self.ctx, experiment_id="", plugin_name="scalars", downsample=1000
        )
        return {
            tag: [(d.step, d.value) for d in points]
            for tag, points in data.get(run, {}).items()
        }


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return make_data()
