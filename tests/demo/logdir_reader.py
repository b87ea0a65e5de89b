"""Reads a log directory through TensorBoard's data provider, as the plugin does."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem

from tbexplain_plugin import metadata

Step = tuple[int, dict[str, Any], list[bytes]]  # (step, manifest, PNG blobs)


@dataclasses.dataclass
class Logdir:
    """A loaded log directory: blob sequences of tbexplain and scalars."""

    provider: data_provider.MultiplexerDataProvider
    ctx: Any

    def series(self) -> dict[str, dict[str, Any]]:
        """{run: {tag: parsed ExplainPluginData}} of the tbexplain series."""
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

    def steps(
        self, run: str, tag: str
    ) -> list[tuple[int, dict[str, Any], list[bytes]]]:
        """[(step, manifest, [png bytes...])] of one series, ascending."""
        data = self.provider.read_blob_sequences(
            self.ctx,
            experiment_id="",
            plugin_name=metadata.PLUGIN_NAME,
            downsample=1000,
            run_tag_filter=_filter(run, tag),
        )[run][tag]
        out = []
        for datum in data:
            blobs = [
                self.provider.read_blob(self.ctx, blob_key=ref.blob_key)
                for ref in datum.values
            ]
            out.append((datum.step, metadata.decode_manifest(blobs[0]), blobs[1:]))
        return out

    def scalars(self) -> dict[str, dict[str, list[tuple[int, float]]]]:
        """{run: {tag: [(step, value)]}} of all scalars."""
        data = self.provider.read_scalars(
            self.ctx, experiment_id="", plugin_name="scalars", downsample=1000
        )
        return {
            run: {
                tag: [(d.step, d.value) for d in points] for tag, points in tags.items()
            }
            for run, tags in data.items()
        }


def _filter(run: str, tag: str) -> Any:
    from tensorboard.data import provider

    return provider.RunTagFilter(runs=[run], tags=[tag])


def load(logdir: str | os.PathLike[str]) -> Logdir:
    """Loads every run of `logdir` (all steps kept)."""
    multiplexer = pem.EventMultiplexer(
        size_guidance={"tensors": 0, "scalars": 0}, tensor_size_guidance={}
    )
    multiplexer.AddRunsFromDirectory(os.fspath(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, os.fspath(logdir))
    return Logdir(provider=provider, ctx=context.RequestContext())
