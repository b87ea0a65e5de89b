"""Shared fixtures of the plugin tests: real logdirs and the TensorBoard WSGI app."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest
from tensorboard.backend import application
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.plugins import base_plugin
from werkzeug import test as werkzeug_test
from werkzeug import wrappers

from tbexplain_plugin import metadata, plugin_data_pb2
from tbexplain_plugin.plugin import ExplainPlugin
from tests.helpers.logdir import LogdirInfo, make_logdir
from tests.helpers.tb_server import TensorBoardServer, get, quote, tensorboard_server
from tests.plugin import events

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PREFIX = "/data/plugin/tbexplain/"


@pytest.fixture(scope="session")
def logdir_info(tmp_path_factory: pytest.TempPathFactory) -> LogdirInfo:
    """Two runs x (inputs, gradcam, saliency, activations) x 5 steps."""
    return make_logdir(tmp_path_factory.mktemp("logs") / "logdir", steps=5)


class CountingProvider:
    """A data provider that answers through `inner` and counts the calls of
    each of its methods by name (`calls`), keeping each call's keyword
    arguments (`arguments`)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: collections.Counter[str] = collections.Counter()
        self.arguments: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if name.startswith("_") or not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            self.arguments.append((name, kwargs))
            return value(*args, **kwargs)

        return counted

    def counted(self, action: Callable[[], Any]) -> collections.Counter[str]:
        """The calls `action` makes (counts and arguments are reset first)."""
        self.calls.clear()
        self.arguments.clear()
        action()
        return collections.Counter(self.calls)


@dataclasses.dataclass
class App:
    client: werkzeug_test.Client
    plugin: ExplainPlugin
    provider: Any  # MultiplexerDataProvider unless make_app was given one
    multiplexer: plugin_event_multiplexer.EventMultiplexer | None
    logdir: str

    def get(self, route: str, **kwargs: Any) -> Any:
        return self.client.get(PREFIX + route, **kwargs)

    def reload(self) -> None:
        """Reads what was written to the logdir since, new runs too (as each
        of TensorBoard's reloads does)."""
        assert self.multiplexer is not None, "the given provider reloads itself"
        self.multiplexer.AddRunsFromDirectory(self.logdir)
        self.multiplexer.Reload()

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Records the keyword arguments of every later call to the
        provider's `method` (the provider itself answers them)."""
        calls: list[dict[str, Any]] = []
        original = getattr(self.provider, method)

        def recording(*args: Any, **kwargs: Any) -> Any:
            calls.append(kwargs)
            return original(*args, **kwargs)

        setattr(self.provider, method, recording)
        return calls

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
    provider: Any = None,
) -> App:
    """The plugin behind MultiplexerDataProvider -> TBContext -> TensorBoardWSGI,
    or behind `provider` when given (e.g. the Rust data server's)."""
    multiplexer = None
    if provider is None:
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
    client = werkzeug_test.Client(app, wrappers.Response)
    return App(client, plugin, provider, multiplexer, os.fspath(logdir))


@pytest.fixture
def app_factory() -> Callable[..., App]:
    return make_app


@pytest.fixture(scope="module")
def app(logdir_info: LogdirInfo) -> App:
    return make_app(logdir_info.path)


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
        content = events.plugin_content(version=version, kind=kind)
    events.write_series(run_dir, tag, steps, content=content)


def manifest_bytes(
    version: int = metadata.PROTO_VERSION, items: int = 1, tiles: Any = None
) -> bytes:
    """A version-1-layout manifest (per-image ``items``, plain JSON)."""
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
TINY_PNG = events.png(np.array([[0, 64], [128, 255]], dtype=np.uint8))


@pytest.fixture
def raw_series_writer() -> Callable[..., None]:
    return write_raw_series


class Served(NamedTuple):
    """A real `tensorboard` and its ``--load_fast`` mode."""

    server: TensorBoardServer
    mode: str  # "false" (Python loader) or "true" (Rust data server)

    def get(self, route: str) -> tuple[int, dict[str, str], bytes]:
        """GETs a plugin route (relative to the plugin's prefix)."""
        return get(self.server.url + PREFIX + route)

    def get_json(self, route: str, status: int = 200) -> Any:
        code, headers, body = self.get(route)
        assert code == status, (route, code, body[:300])
        assert headers["Content-Type"] == "application/json", route
        return json.loads(body)

    def wait_for(self, route: str, condition: Callable[[Any], bool]) -> Any:
        return self.server.wait_for(PREFIX + route, condition, timeout=90)


@pytest.fixture(scope="session")
def hostile_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.plugin.hostile import write_hostile_logdir

    return write_hostile_logdir(tmp_path_factory.mktemp("hostile") / "logs")


@pytest.fixture(scope="session", params=["false", "true"], ids=["python", "rust"])
def hostile_server(
    request: pytest.FixtureRequest, hostile_logdir: Path
) -> Iterator[Served]:
    """A real tensorboard per loader on the hostile logdir, shared by the tests
    of both (started once per loader), data loaded."""
    from tests.plugin.hostile import GOOD_RUN, GOOD_STEPS, GOOD_TAG

    with tensorboard_server(
        hostile_logdir, load_fast=request.param, reload_interval=1
    ) as server:
        served = Served(server, request.param)
        served.wait_for(
            f"steps?run={GOOD_RUN}&tag={quote(GOOD_TAG)}",
            lambda body: len(body["steps"]) == len(GOOD_STEPS),
        )
        yield served
