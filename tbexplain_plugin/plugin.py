"""The TensorBoard routes of tbexplain: parse the request, read, answer JSON or bytes.

Routes (under ``/data/plugin/tbexplain/``, documented in ``http_api.md``):
``tags``, ``steps``, ``blob``, ``metrics``, ``index.js`` and ``static/*``.
Each handler parses its query, calls a `reading` function that returns a
plain dict (or bytes), and serialises it with `json.dumps`. Errors are
`tensorboard.errors` exceptions, answered as JSON ``{"error": ...}`` with
their HTTP code (400 bad parameter, 404 unknown, 405 a method other than
GET or HEAD).

Polling is cheap: the gzipped /tags and /steps answers are kept in a
`cache.LRUCache` keyed by the listing facts of what they answer about
(`reading.fingerprint`), so an unchanged poll costs one listing call. An
answer that reports an unusable step is not kept, so a step that becomes
readable is served on the next poll.

Data is read only through ``context.data_provider``, so the plugin works with
the Python loader and with the Rust data server (where ``context.multiplexer``
is None). This module never imports TensorFlow or `tbexplain`.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import re
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any

from tensorboard import errors, plugin_util
from tensorboard.backend import http_util, json_util
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tbexplain_plugin import metadata, reading
from tbexplain_plugin.cache import LRUCache
from tbexplain_plugin.constants import DEFAULT_SAMPLES_PER_SERIES

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

# Content types by extension: never from the OS registry (which can map .js to
# text/plain on Windows and break module scripts).
_CONTENT_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".map": "application/json",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
}
_DEFAULT_CONTENT_TYPE = "application/octet-stream"
_METHODS = ("GET", "HEAD")
_STEP_PATTERN = re.compile(r"-?[0-9]{1,19}")
# Seconds a browser may keep a blob: its URL names one event's data.
BLOB_MAX_AGE = 3600
# Scalars read per metric when TensorBoard gives no hint (the scalars
# dashboard's own default).
DEFAULT_SCALAR_SAMPLES = 1000

# Whole gzipped answers (~1-20 KB each) and raw manifests (~300 bytes each).
ANSWER_CACHE_ENTRIES = 256
ANSWER_CACHE_BYTES = 8 * 1024 * 1024
MANIFEST_CACHE_ENTRIES = 32768
MANIFEST_CACHE_BYTES = 16 * 1024 * 1024
# gzip level of kept answers: built once per change of a series, then served
# to every poll, so a smaller answer is worth a slower build.
GZIP_LEVEL = 6

Handler = Callable[["ExplainPlugin", wrappers.Request], wrappers.Response]
WSGIApp = Callable[["ExplainPlugin", "WSGIEnvironment", "StartResponse"], Any]


class MethodNotAllowedError(errors.PublicError):
    """A request with a method other than GET or HEAD (HTTP 405)."""

    http_code = 405

    def __init__(self, method: str) -> None:
        super().__init__(
            f"only {' and '.join(_METHODS)} are allowed. Received: method={method!r}"
        )
        self.headers = [("Allow", ", ".join(_METHODS))]


def _route(handler: Handler) -> WSGIApp:
    """Makes a WSGI app of `handler` that answers errors as JSON.

    (TensorBoard's own middleware would answer them as text/plain.)
    """

    @functools.wraps(handler)
    def app(
        self: ExplainPlugin, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        request = wrappers.Request(environ)
        try:
            if request.method not in _METHODS:
                raise MethodNotAllowedError(request.method)
            response = handler(self, request)
        except errors.PublicError as e:
            response = http_util.Respond(
                request,
                json.dumps({"error": str(e)}),
                "application/json",
                code=e.http_code,
                headers=e.headers,
            )
        return response(environ, start_response)

    return app


def _required_arg(request: wrappers.Request, name: str) -> str:
    value = request.args.get(name)
    if not value:
        raise errors.InvalidArgumentError(
            f"query parameter {name!r} is required. Received: {name}={value!r}"
        )
    return value


def _optional_step(request: wrappers.Request) -> int | None:
    value = request.args.get("step")
    if value is None:
        return None
    if not _STEP_PATTERN.fullmatch(value):
        raise errors.InvalidArgumentError(
            f"query parameter 'step' must be an integer. Received: step={value[:100]!r}"
        )
    return int(value)


def _gzipped_json(answer: dict[str, Any]) -> bytes:
    # Cleanse turns NaN and infinities (a hand-made wall time) into strings.
    text = json.dumps(json_util.Cleanse(answer), separators=(",", ":"))
    return gzip.compress(text.encode("ascii"), compresslevel=GZIP_LEVEL, mtime=0)


def _hint(hints: Any, name: str, default: int) -> int:
    value = (hints or {}).get(name)
    return value if isinstance(value, int) and value > 0 else default


class ExplainPlugin(base_plugin.TBPlugin):
    """Serves tbexplain series to the frontend, through the data provider."""

    plugin_name = metadata.PLUGIN_NAME

    def __init__(
        self, context: base_plugin.TBContext, *, static_dir: str = STATIC_DIR
    ) -> None:
        """Creates the plugin.

        Args:
          context: The `TBContext`; only `data_provider` and `sampling_hints`
            are used.
          static_dir: Folder of the built frontend (``index.js`` and others).
        """
        if context.data_provider is None:
            raise ValueError(
                "tbexplain needs a data provider. Received: context.data_provider=None"
            )
        self._provider = context.data_provider
        hints = context.sampling_hints
        self._downsample = _hint(hints, self.plugin_name, DEFAULT_SAMPLES_PER_SERIES)
        self._scalar_downsample = _hint(
            hints, reading.SCALARS_PLUGIN, DEFAULT_SCALAR_SAMPLES
        )
        self._static_dir = os.path.realpath(static_dir)
        self._answers = LRUCache(ANSWER_CACHE_ENTRIES, ANSWER_CACHE_BYTES)
        self._manifests = LRUCache(MANIFEST_CACHE_ENTRIES, MANIFEST_CACHE_BYTES)

    def get_plugin_apps(self) -> dict[str, Callable[..., Any]]:
        return {
            "/tags": self._serve_tags,
            "/steps": self._serve_steps,
            "/blob": self._serve_blob,
            "/metrics": self._serve_metrics,
            "/index.js": self._serve_index_js,
            "/static/*": self._serve_static,
        }

    def is_active(self) -> bool:
        return False  # `list_plugins` as called by TensorBoard core suffices.

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(
            es_module_path="/index.js", tab_name="Explanations"
        )

    def _answer(
        self,
        request: wrappers.Request,
        key: Hashable,
        build: Callable[[], dict[str, Any]],
        complete: Callable[[dict[str, Any]], bool],
    ) -> wrappers.Response:
        """The gzipped JSON answer kept under `key`, built (and kept when
        `complete`) on a miss. `Respond` gunzips for clients without gzip."""
        body = self._answers.get(key)
        if body is None:
            answer = build()
            body = _gzipped_json(answer)
            if complete(answer):
                self._answers.put(key, body, len(body))
        return http_util.Respond(
            request, body, "application/json", content_encoding="gzip"
        )

    @_route
    def _serve_tags(self, request: wrappers.Request) -> wrappers.Response:
        ctx = plugin_util.context(request.environ)
        experiment = plugin_util.experiment_id(request.environ)
        series = reading.listing(self._provider, ctx, experiment)
        key = (
            "tags",
            experiment,
            tuple(
                (run, tag, reading.fingerprint(facts))
                for run, tags in series.items()
                for tag, facts in tags.items()
            ),
        )
        return self._answer(
            request,
            key,
            lambda: reading.list_series(
                self._provider, ctx, experiment, series, self._manifests
            ),
            lambda answer: all(
                facts["samples"] is not None
                for tags in answer["runs"].values()
                for facts in tags.values()
            ),
        )

    @_route
    def _serve_steps(self, request: wrappers.Request) -> wrappers.Response:
        ctx = plugin_util.context(request.environ)
        experiment = plugin_util.experiment_id(request.environ)
        run = _required_arg(request, "run")
        tag = _required_arg(request, "tag")
        step = _optional_step(request)
        facts = reading.series_facts(self._provider, ctx, experiment, run, tag)
        key = ("steps", experiment, run, tag, step, reading.fingerprint(facts))
        return self._answer(
            request,
            key,
            lambda: reading.read_steps(
                self._provider,
                ctx,
                experiment,
                run,
                tag,
                facts,
                downsample=self._downsample,
                manifests=self._manifests,
                step=step,
            ),
            lambda answer: not answer["skipped_steps"],
        )

    @_route
    def _serve_blob(self, request: wrappers.Request) -> wrappers.Response:
        key = _required_arg(request, "key")
        data = reading.read_blob(
            self._provider, plugin_util.context(request.environ), key
        )
        return http_util.Respond(request, data, "image/png", expires=BLOB_MAX_AGE)

    @_route
    def _serve_metrics(self, request: wrappers.Request) -> wrappers.Response:
        answer = reading.read_metrics(
            self._provider,
            plugin_util.context(request.environ),
            plugin_util.experiment_id(request.environ),
            _required_arg(request, "run"),
            _required_arg(request, "tag"),
            downsample=self._scalar_downsample,
        )
        return http_util.Respond(
            request, json.dumps(json_util.Cleanse(answer)), "application/json"
        )

    # static files ------------------------------------------------------------

    @_route
    def _serve_index_js(self, request: wrappers.Request) -> wrappers.Response:
        return self._respond_file(request, "index.js")

    @_route
    def _serve_static(self, request: wrappers.Request) -> wrappers.Response:
        marker = f"/plugin/{self.plugin_name}/static/"
        _, found, relative = request.path.partition(marker)
        if not found:
            raise errors.NotFoundError(f"no static file {request.path[:200]!r}")
        return self._respond_file(request, relative)

    def _static_path(self, relative: str) -> str:
        """The file a ``static/<relative>`` request may read.

        Raises:
          errors.NotFoundError: the path leaves the static folder, names a
            hidden file, or does not exist.
        """
        parts = relative.split("/")
        shown = relative[:200]
        if (
            not relative
            or "\\" in relative
            or "\x00" in relative
            or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
        ):
            raise errors.NotFoundError(f"no static file {shown!r}")
        path = os.path.realpath(os.path.join(self._static_dir, *parts))
        if os.path.commonpath([path, self._static_dir]) != self._static_dir:
            raise errors.NotFoundError(f"no static file {shown!r}")
        if not os.path.isfile(path):
            hint = (
                " (the frontend bundle is not built)" if relative == "index.js" else ""
            )
            raise errors.NotFoundError(f"no static file {shown!r}{hint}")
        return path

    def _respond_file(
        self, request: wrappers.Request, relative: str
    ) -> wrappers.Response:
        path = self._static_path(relative)
        with open(path, "rb") as f:
            content = f.read()
        content_type = _CONTENT_TYPES.get(
            os.path.splitext(path)[1].lower(), _DEFAULT_CONTENT_TYPE
        )
        return http_util.Respond(request, content, content_type)
