"""Reads a log directory through TensorBoard's data provider, as the plugin does.

`EventMultiplexer -> MultiplexerDataProvider`, every step kept; shared by the
logging, demo and CLI tests.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np
import tensorflow as tf
from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
from tensorboard.data import provider as provider_lib

from tbexplain_plugin import metadata


def split_strips(
    manifest: dict[str, Any], pngs: list[bytes], layout: str = ""
) -> list[np.ndarray]:
    """The image of each manifest row, cut from the step's PNG strips.

    `manifest` is decoded (``items``) or as /steps serves it (``columns``);
    `layout` is the series' recorded layout (empty: the shape's).

    Checks the layout as it goes: every strip holds `tiles` images (the last
    the rest) of the height `metadata.tile_geometry` gives.
    """
    tiles = metadata.manifest_tiles(manifest)
    shape = manifest["shape"]
    height = metadata.tile_geometry(
        metadata.resolve_layout(layout, shape), shape
    ).height
    rows = (
        len(manifest["items"])
        if "items" in manifest
        else metadata.manifest_length(manifest["columns"])
    )
    assert len(pngs) == metadata.blob_count(rows, tiles), (len(pngs), rows, tiles)
    images = []
    for k, png in enumerate(pngs):
        strip = tf.io.decode_png(png, channels=0).numpy()
        count = min(tiles, rows - k * tiles)
        assert strip.shape[0] == count * height, (strip.shape, count, height)
        images.extend(np.split(strip, count))
    return images


class Step(NamedTuple):
    """One logged step of a tbexplain series."""

    step: int
    manifest: dict[str, Any]
    pngs: list[bytes]

    @property
    def blobs(self) -> int:
        """How many PNG strips the step holds (the manifest excluded)."""
        return len(self.pngs)

    @property
    def rows(self) -> int:
        """How many images (manifest rows) the step holds."""
        return len(self.manifest["items"])

    def images(self) -> list[np.ndarray]:
        """The decoded image [H, W, C] of each manifest row."""
        return split_strips(self.manifest, self.pngs)

    def maps(self) -> np.ndarray:
        """The raw values of each row's (one-channel) map, [N, H, W] float64:
        ``min + p / 255 * (max - min)`` from the 8-bit pixels."""
        items = self.manifest["items"]
        pixels = np.stack([image[..., 0] for image in self.images()]).astype(float)
        lo = np.array([it["min"] for it in items])[:, None, None]
        hi = np.array([it["max"] for it in items])[:, None, None]
        return lo + pixels / 255.0 * (hi - lo)


class LogdirReader:
    """The tbexplain series and scalars of every run of a log directory."""

    def __init__(self, logdir: str | os.PathLike[str]) -> None:
        self.logdir = os.fspath(logdir)
        multiplexer = pem.EventMultiplexer(
            size_guidance={"tensors": 0, "scalars": 0}, tensor_size_guidance={}
        )
        multiplexer.AddRunsFromDirectory(self.logdir)
        multiplexer.Reload()
        self.provider = data_provider.MultiplexerDataProvider(multiplexer, self.logdir)
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
        """Every step of one series, ascending, with its manifest and PNGs."""
        data = self.provider.read_blob_sequences(
            self.ctx,
            experiment_id="",
            plugin_name=metadata.PLUGIN_NAME,
            downsample=1000,
            run_tag_filter=provider_lib.RunTagFilter(runs=[run], tags=[tag]),
        )
        out = []
        for datum in data[run][tag]:
            blobs = [
                self.provider.read_blob(self.ctx, blob_key=ref.blob_key)
                for ref in datum.values
            ]
            out.append(Step(datum.step, metadata.decode_manifest(blobs[0]), blobs[1:]))
        return out

    def image(self, run: str, tag: str, step: int, row: int) -> np.ndarray:
        """The decoded image [H, W, C] of manifest row `row` of a step."""
        (datum,) = [s for s in self.steps(run, tag) if s.step == step]
        return datum.images()[row]

    def scalars(self, run: str | None = None) -> dict[str, Any]:
        """{tag: [(step, value)]} of one run, or {run: {tag: ...}} of all."""
        data = self.provider.read_scalars(
            self.ctx, experiment_id="", plugin_name="scalars", downsample=1000
        )
        every = {
            r: {
                tag: [(d.step, d.value) for d in points] for tag, points in tags.items()
            }
            for r, tags in data.items()
        }
        return every if run is None else every.get(run, {})
