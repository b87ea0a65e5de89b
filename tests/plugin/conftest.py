"""Shared fixtures of the plugin tests: real logdirs and the TensorBoard WSGI app."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend import application
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins import base_plugin
from tensorboard.summary.writer import event_file_writer
from tensorboard.util import tensor_util
from werkzeug import test as werkzeug_test
from werkzeug import wrappers

from tbexplain_plugin import metadata, plugin_data_pb2
from tbexplain_plugin.plugin import ExplainPlugin
from tests.helpers.logdir import LogdirInfo, make_logdir

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PREFIX = "/data/plugin/tbexplain/"


@pytest.fixture(scope="session")
def logdir_info(tmp_path_factory: pytest.TempPathFactory) -> LogdirInfo:
    """Two runs x (inputs, gradcam, saliency, activations) x 5 steps."""
    return make_logdir(tmp_path_factory.mktemp("logs") / "logdir", steps=5)


@dataclasses.dataclass
class App:
    client: werkzeug_test.Client
    plugin: ExplainPlugin
    provider: data_provider.MultiplexerDataProvider

    def get(self, route: str) -> Any:
        return self.client.get(PREFIX + route)

    def get_json(self, route: str, status: int = 200) -> Any:
        response = self.get(route)
        assert response.status_code == status, response.data
        assert response.headers["Content-Type"] == "application/json"
        return json.loads(response.data)


def make_app(
    logdir: str | os.PathLike[str],
    *,
    sampling_hints: dict[str, int] | None = None,
    static_dir: str | None = None,
    keep: int = 1000,
    context_type: type[base_plugin.TBContext] = base_plugin.TBContext,
) -> App:
    """The plugin behind MultiplexerDataProvider -> TBContext -> TensorBoardWSGI."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={metadata.PLUGIN_NAME: keep}
    )
    multiplexer.AddRunsFromDirectory(os.fspath(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, os.fspath(logdir))
    context = context_type(
        logdir=os.fspath(logdir),
        data_provider=provider,
        multiplexer=None,
        sampling_hints=sampling_hints,
    )
    kwargs = {} if static_dir is None else {"static_dir": static_dir}
    plugin = ExplainPlugin(context, **kwargs)
    app = application.TensorBoardWSGI([plugin])
    return App(werkzeug_test.Client(app, wrappers.Response), plugin, provider)


@pytest.fixture
def app_factory() -> Callable[..., App]:
    return make_app


@pytest.fixture(scope="module")
def app(logdir_info: LogdirInfo) -> App:
    return make_app(logdir_info.path)


_FILE_ORDER = itertools.count(1)


def write_raw_series(
    run_dir: str | os.PathLike[str],
    tag: str,
    steps: Sequence[Sequence[bytes]],
    *,
    content: bytes | None = None,
    kind: int = plugin_data_pb2.ExplainPluginData.EXPLANATION,
    version: int = metadata.PROTO_VERSION,
) -> None:
    """Writes a tbexplain series without TensorFlow, with any plugin content.

    Args:
      run_dir: The run's directory.
      tag: Tag name.
      steps: For step i, the rank-1 string tensor values (manifest, blobs...).
      content: Raw plugin content; by default an `ExplainPluginData` with
        `kind` and `version` (which may be newer than the plugin's).
      kind: Kind enum value of the default content.
      version: Version of the default content.
    """
    if content is None:
        content = plugin_data_pb2.ExplainPluginData(
            version=version, kind=kind, method="gradcam", encoding="png8"
        ).SerializeToString()
    before = set(os.listdir(run_dir)) if os.path.isdir(run_dir) else set()
    writer = event_file_writer.EventFileWriter(os.fspath(run_dir))
    for step, values in enumerate(steps):
        summary_metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(
                plugin_name=metadata.PLUGIN_NAME, content=content
            ),
            data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE,
        )
        value = summary_pb2.Summary.Value(
            tag=tag,
            metadata=summary_metadata,
            tensor=tensor_util.make_tensor_proto(list(values)),
        )
        writer.add_event(
            event_pb2.Event(
                step=step,
                wall_time=1.0e9 + step,
                summary=summary_pb2.Summary(value=[value]),
            )
        )
    writer.close()
    # Named in write order: the Python loader follows a run's files in name
    # order and skips a file named before the one it reads. TensorBoard's
    # names end in a per-process counter (9 sorts after 10), so two files
    # written in the same second could sort backwards.
    [written] = set(os.listdir(run_dir)) - before
    os.rename(
        os.path.join(run_dir, written),
        os.path.join(run_dir, f"events.out.tfevents.{next(_FILE_ORDER):010d}.test"),
    )


def manifest_bytes(
    version: int = metadata.PROTO_VERSION, items: int = 1, tiles: Any = None
) -> bytes:
    manifest: dict[str, Any] = {
        "version": version,
        "kind": "explanation",
        "shape": [2, 2],
        "items": [{"sample": i, "min": 0.0, "max": 1.0} for i in range(items)],
    }
    if tiles is not None:
        manifest["tiles"] = tiles
    return json.dumps(manifest).encode()


# A valid 8-bit grayscale 2x2 PNG.
TINY_PNG = tf.io.encode_png(np.array([[[0], [64]], [[128], [255]]], np.uint8)).numpy()


@pytest.fixture
def raw_series_writer() -> Callable[..., None]:
    return write_raw_series
