"""Reads a log directory through TensorBoard's data provider, as the plugin does.

`EventMultiplexer -> MultiplexerDataProvider`, every step kept; shared by the
logging, demo and CLI tests.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
from tensorboard.data import provider as provider_lib

from tbexplain_plugin import metadata


class Step(NamedTuple):
    """One logged step of a tbexplain series."""

    step: int
    manifest: dict[str, Any]
    pngs: list[bytes]

    @property
    def blobs(self) -> int:
        """How many PNGs the step holds (the manifest excluded)."""
        return len(self.pngs)


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

    def blob(self, run: str, tag: str, step: int, index: int) -> bytes:
        """PNG `index` of a step, counted in the blob sequence (1 is the first)."""
        if index < 1:
            raise ValueError(f"index 0 is the manifest. Received: index={index}")
        (datum,) = [s for s in self.steps(run, tag) if s.step == step]
        return datum.pngs[index - 1]

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
