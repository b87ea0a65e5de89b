"""`read(logdir)`: every tbexplain series of a log directory, through TensorBoard's
data provider (the plugin's own path to the data), without TensorFlow.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import NamedTuple

from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import plugin_event_multiplexer as pem
from tensorboard.compat import tf as tb_tf  # TensorFlow, or TensorBoard's stub

from tbexplain.reading.series import Series
from tbexplain_plugin import metadata

__all__ = ["Logs", "Skipped", "read"]

# Keep every tbexplain step (0: no limit); of other plugins' data, which is
# not read here, as little as TensorBoard allows.
_SIZE_GUIDANCE = {
    ea.COMPRESSED_HISTOGRAMS: 1,
    ea.IMAGES: 1,
    ea.AUDIO: 1,
    ea.SCALARS: 1,
    ea.HISTOGRAMS: 1,
    ea.TENSORS: 1,
}
_TENSOR_SIZE_GUIDANCE = {metadata.PLUGIN_NAME: 0}


class Skipped(NamedTuple):
    """A tbexplain series `read` could not read, and why."""

    run: str
    tag: str
    reason: str


class Logs(Mapping[str, Mapping[str, Series]]):
    """The tbexplain series of a log directory: run -> tag -> `Series`.

    Attributes:
      logdir: The directory read.
      skipped: The series that could not be read (written by a newer
        tbexplain, or with corrupt metadata), with the reason; the others
        are read as usual.
    """

    def __init__(
        self, logdir: str, runs: dict[str, dict[str, Series]], skipped: list[Skipped]
    ) -> None:
        self.logdir = logdir
        self._runs = {run: MappingProxyType(tags) for run, tags in sorted(runs.items())}
        self.skipped = skipped

    def __getitem__(self, run: str) -> Mapping[str, Series]:
        try:
            return self._runs[run]
        except KeyError:
            raise KeyError(
                f"no tbexplain series in run {run!r} of {self.logdir!r}; "
                f"its runs are {list(self._runs)}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    def __repr__(self) -> str:
        count = sum(len(tags) for tags in self._runs.values())
        return (
            f"Logs({self.logdir!r}, runs={list(self._runs)}, series={count}, "
            f"skipped={len(self.skipped)})"
        )

    def series(self) -> Iterator[Series]:
        """Every series, run by run, tags sorted."""
        for tags in self._runs.values():
            for tag in sorted(tags):
                yield tags[tag]


def read(logdir: str | os.PathLike[str]) -> Logs:
    """Reads the tbexplain series of a log directory, for notebooks.

    The event files are read once, through TensorBoard's own data provider
    (every step kept); a step's images are decoded when first used. Works
    without TensorFlow: TensorBoard then reads local files with its own
    reader, which checks each record's CRC in pure Python (seconds for tens
    of megabytes); with TensorFlow it reads through `tf.io.gfile` (fast, and
    ``gs://`` and other filesystems too).

    Example::

        logs = tbx.read("logs")
        series = logs["run1"]["explain/gradcam"]
        step = series[series.steps[-1]]
        step.maps      # float32 [N, H, W]: the raw values logged
        step.inputs    # uint8 [N, H, W, C]: the image under each map
        step.manifest  # one dict per map: sample, class_id, score, ...

    Args:
      logdir: A directory of runs (each subdirectory holding event files is
        a run, named by its path relative to `logdir`; event files in
        `logdir` itself form run ``"."``).

    Returns:
      A `Logs` mapping run -> tag -> `Series`.

    Raises:
      FileNotFoundError: `logdir` does not exist.
      NotADirectoryError: `logdir` is not a directory.
    """
    path = os.fspath(logdir)
    if not tb_tf.io.gfile.exists(path):
        raise FileNotFoundError(f"logdir does not exist. Received: logdir={path!r}")
    if not tb_tf.io.gfile.isdir(path):
        raise NotADirectoryError(
            f"logdir must be a directory. Received: logdir={path!r}"
        )
    multiplexer = pem.EventMultiplexer(
        size_guidance=_SIZE_GUIDANCE, tensor_size_guidance=_TENSOR_SIZE_GUIDANCE
    )
    multiplexer.AddRunsFromDirectory(path)
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, path)
    ctx = context.RequestContext()
    listing = provider.list_blob_sequences(
        ctx, experiment_id="", plugin_name=metadata.PLUGIN_NAME
    )
    data = provider.read_blob_sequences(
        ctx,
        experiment_id="",
        plugin_name=metadata.PLUGIN_NAME,
        downsample=sys.maxsize,  # every step
    )

    def loader(keys: list[str]) -> Callable[[], list[bytes]]:
        return lambda: [provider.read_blob(ctx, blob_key=key) for key in keys]

    runs: dict[str, dict[str, Series]] = {}
    skipped: list[Skipped] = []
    for run, tags in listing.items():
        parsed = {}
        for tag, series in tags.items():
            try:
                parsed[tag] = metadata.parse_plugin_metadata(series.plugin_content)
            except ValueError as e:
                skipped.append(Skipped(run, tag, str(e)))
        built = runs.setdefault(run, {})
        # Series without an inputs tag (the inputs) first: the others overlay them.
        for tag in sorted(parsed, key=lambda t: parsed[t].inputs_tag != ""):
            plugin_data = parsed[tag]
            overlay = built.get(plugin_data.inputs_tag)
            if overlay is not None and overlay.kind != metadata.KIND_INPUTS:
                overlay = None
            steps = {
                datum.step: (
                    datum.wall_time,
                    loader([ref.blob_key for ref in datum.values]),
                )
                for datum in data.get(run, {}).get(tag, [])
            }
            built[tag] = Series(
                run, tag, plugin_data, tags[tag].description, steps, overlay
            )
    return Logs(path, {run: tags for run, tags in runs.items() if tags}, skipped)
