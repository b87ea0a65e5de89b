"""The TensorBoard backend of tbexplain: serves series, steps, blobs and the UI.

Routes (under ``/data/plugin/tbexplain/``, documented in ``http_api.md``):
``tags``, ``steps``, ``blob``, ``index.js`` and ``static/*``. Each ``_serve_*``
handler only parses the request and calls a ``*_impl`` method that returns
plain data; errors are `tensorboard.errors` exceptions, answered as JSON
``{"error": ...}`` with their HTTP code (400 bad parameter, 404 unknown).

Data is read only through ``context.data_provider``, so the plugin works with
the Python loader and with the Rust data server (where ``context.multiplexer``
is None). This module never imports TensorFlow or `tbexplain`.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import gzip
import json
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from tensorboard import errors, plugin_util
from tensorboard.backend import http_util, json_util
from tensorboard.backend.event_processing import data_provider as multiplexer_provider
from tensorboard.context import RequestContext
from tensorboard.data import provider
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tbexplain_plugin import metadata
from tbexplain_plugin.loader import DEFAULT_SAMPLES_PER_SERIES

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

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BLOB_CACHE_CONTROL = "private, max-age=3600"
_STEP_PATTERN = re.compile(r"-?[0-9]{1,19}")

# Bounds of the cache of whole gzipped /steps (and /tags) answers, reused
# while the provider lists the same facts for the series (polling). When a
# series changes, the manifests of its unchanged steps are taken from the
# previous answer, so only new steps are read.
RESPONSE_CACHE_ENTRIES = 256
RESPONSE_CACHE_BYTES = 8 * 1024 * 1024
# gzip level of cached answers: built once per change of a series, then kept
# and served to every poll. Level 6 makes a 200-step /steps answer 16 % smaller
# than level 3 (less cache memory, fewer bytes sent) for ~2 ms more per build.
GZIP_LEVEL = 6
# Concurrent manifest reads of one /steps request, with a data provider whose
# reads are remote calls (the Rust data server: one gRPC round trip each).
# The Python loader's reads are in-memory lookups under the GIL: done in turn.
MANIFEST_READ_THREADS = 4

_T = TypeVar("_T")
_R = TypeVar("_R")
Handler = Callable[["ExplainPlugin", wrappers.Request], wrappers.Response]
WSGIMethod = Callable[["ExplainPlugin", "WSGIEnvironment", "StartResponse"], Any]


def _manifests_in(
    answer: bytes | None,
) -> dict[tuple[int, float, str, int], str]:
    """The manifests of a gzipped /steps answer, as JSON text, by step.

    Keyed by (step, wall time, first blob URL, number of blobs): blob keys are
    made from the run, tag, step and index, and a rewritten step has a later
    wall time, so an equal key is the same event.
    """
    if answer is None:
        return {}
    try:
        steps = json.loads(gzip.decompress(answer))["steps"]
        return {
            (
                entry["step"],
                entry["wall_time"],
                entry["blobs"][0] if entry["blobs"] else "",
                len(entry["blobs"]),
            ): json.dumps(entry["manifest"], separators=(",", ":"))
            for entry in steps
        }
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return {}


def _rows_in(answer: bytes | None) -> dict[tuple[str, str, int, float], int | None]:
    """The row counts of a gzipped /tags answer's series, keyed by run, tag,
    max step and max wall time (a new or rewritten step changes one)."""
    if answer is None:
        return {}
    try:
        runs = json.loads(gzip.decompress(answer))["runs"]
        return {
            (run, tag, facts["max_step"], facts["max_wall_time"]): facts["samples"]
            for run, tags in runs.items()
            for tag, facts in tags.items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


class _LRUCache:
    """A thread-safe LRU cache bounded in entries and in (caller-given) bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._entries: collections.OrderedDict[Hashable, tuple[Any, int]] = (
            collections.OrderedDict()
        )
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value of `key` (now the most recently used), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any, size: int) -> None:
        """Stores `value`, evicting the least recently used entries as needed."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._entries and (
                len(self._entries) > self._max_entries or self._bytes > self._max_bytes
            ):
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def __len__(self) -> int:
        return len(self._entries)


@functools.lru_cache(maxsize=512)
def _safe_html(markdown: str) -> str:
    return plugin_util.markdown_to_safe_html(markdown) if markdown else ""


def _route(handler: Handler) -> WSGIMethod:
    """Makes a WSGI app of `handler`; `tensorboard.errors` become JSON errors.

    (Like `werkzeug.wrappers.Request.application`, plus the error handling:
    TensorBoard's own middleware would answer errors as text/plain.)
    """

    @functools.wraps(handler)
    def app(
        self: ExplainPlugin, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        request = wrappers.Request(environ)
        try:
            response = handler(self, request)
        except errors.PublicError as e:
            response = _error_response(request, e)
        return response(environ, start_response)

    return app


def _error_response(
    request: wrappers.Request, e: errors.PublicError
) -> wrappers.Response:
    return http_util.Respond(
        request,
        {"error": str(e)},
        "application/json",
        code=e.http_code,
        headers=e.headers,
    )


def _missing_arg(name: str, value: str | None) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(
        f"query parameter {name!r} is required. Received: {name}={value!r}"
    )


def _required_arg(request: wrappers.Request, name: str) -> str:
    value = request.args.get(name)
    if not value:
        raise _missing_arg(name, value)
    return value


def _optional_step(request: wrappers.Request) -> int | None:
    value = request.args.get("step")
    if value is None:
        return None
    if not _STEP_PATTERN.fullmatch(value):
        raise errors.InvalidArgumentError(
            f"query parameter 'step' must be an integer. Received: step={value!r}"
        )
    return int(value)


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
        self._data_provider = context.data_provider
        hint = (context.sampling_hints or {}).get(self.plugin_name)
        self._downsample = (
            hint if isinstance(hint, int) and hint > 0 else DEFAULT_SAMPLES_PER_SERIES
        )
        self._static_dir = os.path.realpath(static_dir)
        self._responses = _LRUCache(RESPONSE_CACHE_ENTRIES, RESPONSE_CACHE_BYTES)
        self._concurrent_reads = not isinstance(
            context.data_provider, multiplexer_provider.MultiplexerDataProvider
        )
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def get_plugin_apps(self) -> dict[str, Callable[..., Any]]:
        return {
            "/tags": self._serve_tags,
            "/steps": self._serve_steps,
            "/blob": self._serve_blob,
            "/index.js": self._serve_index_js,
            "/static/*": self._serve_static,
        }

    def is_active(self) -> bool:
        return False  # `list_plugins` as called by TensorBoard core suffices.

    def frontend_metadata(self) -> base_plugin.FrontendMetadata:
        return base_plugin.FrontendMetadata(
            es_module_path="/index.js", tab_name="Explanations"
        )

    # /tags -------------------------------------------------------------------

    @_route
    def _serve_tags(self, request: wrappers.Request) -> wrappers.Response:
        ctx = plugin_util.context(request.environ)
        experiment = plugin_util.experiment_id(request.environ)
        mapping = self._list_series(ctx, experiment)
        # The listing changes only when series or steps are added: reuse the
        # answer while every series' facts are the same.
        fingerprint = tuple(
            (
                run,
                tag,
                s.max_step,
                s.max_wall_time,
                s.max_length,
                s.plugin_content,
                s.description,
                s.display_name,
            )
            for run, tags in mapping.items()
            for tag, s in tags.items()
        )

        def build(previous: bytes | None) -> tuple[str, bool]:
            answer = self._tags_of(ctx, experiment, mapping, _rows_in(previous))
            return json.dumps(json_util.Cleanse(answer), separators=(",", ":")), True

        body = self._cached_gzip(("tags", experiment), fingerprint, build)
        return http_util.Respond(
            request, body, "application/json", content_encoding="gzip"
        )

    def _list_series(
        self, ctx: RequestContext, experiment: str
    ) -> dict[str, dict[str, provider.BlobSequenceTimeSeries]]:
        return self._data_provider.list_blob_sequences(
            ctx, experiment_id=experiment, plugin_name=self.plugin_name
        )

    def _cached_gzip(
        self,
        key: Hashable,
        fingerprint: Hashable,
        build: Callable[[bytes | None], tuple[str, bool]],
    ) -> bytes:
        """The gzipped JSON answer for `key`, rebuilt when `fingerprint` changes.

        `build` gets the previous (outdated) answer, if any, and returns the
        JSON text and whether it may be kept (an answer with transient
        problems, such as skipped steps, is not).
        """
        cached = self._responses.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        text, keep = build(cached[1] if cached is not None else None)
        body = gzip.compress(text.encode("ascii"), compresslevel=GZIP_LEVEL, mtime=0)
        if keep:
            self._responses.put(key, (fingerprint, body), len(body))
        return body

    def tags_impl(self, ctx: RequestContext, experiment: str) -> dict[str, Any]:
        """Lists every run's tbexplain series, and the series it cannot read.

        Returns:
          ``{"runs": {run: {tag: facts}}, "skipped": [{"run", "tag", "reason"}]}``
          where a series written with a newer format version, or with corrupt
          metadata, is in "skipped" instead of "runs".
        """
        return self._tags_of(ctx, experiment, self._list_series(ctx, experiment))

    def _tags_of(
        self,
        ctx: RequestContext,
        experiment: str,
        mapping: dict[str, dict[str, provider.BlobSequenceTimeSeries]],
        known_rows: dict[tuple[str, str, int, float], int | None] | None = None,
    ) -> dict[str, Any]:
        """The /tags answer; `known_rows` holds the row counts of series whose
        latest step is unchanged (from the previous answer)."""
        runs: dict[str, dict[str, Any]] = {}
        skipped: list[dict[str, str]] = []
        readable: dict[str, dict[str, Any]] = {}
        for run in sorted(mapping):
            runs[run] = {}
            for tag in sorted(mapping[run]):
                try:
                    content = metadata.parse_plugin_metadata(
                        mapping[run][tag].plugin_content
                    )
                except (TypeError, ValueError) as e:
                    skipped.append({"run": run, "tag": tag, "reason": str(e)})
                    continue
                readable.setdefault(run, {})[tag] = content
        # Manifests are read only for the series listed (not the skipped).
        listed = {
            run: {tag: mapping[run][tag] for tag in tags}
            for run, tags in readable.items()
        }
        rows = self._latest_rows(ctx, experiment, listed, known_rows or {})
        for run, contents in readable.items():
            for tag, content in contents.items():
                series = mapping[run][tag]
                runs[run][tag] = {
                    "kind": metadata.kind_name(content),
                    "method": content.method,
                    "layer": content.layer,
                    "signed": content.signed,
                    "encoding": content.encoding,
                    "inputs_tag": content.inputs_tag,
                    "stage": content.stage,
                    "samples": rows.get((run, tag)),
                    "max_step": series.max_step,
                    "max_wall_time": series.max_wall_time,
                    "display_name": series.display_name,
                    "description": _safe_html(series.description),
                }
        return {"runs": runs, "skipped": skipped}

    def _latest_rows(
        self,
        ctx: RequestContext,
        experiment: str,
        mapping: dict[str, dict[str, provider.BlobSequenceTimeSeries]],
        known: dict[tuple[str, str, int, float], int | None],
    ) -> dict[tuple[str, str], int | None]:
        """How many rows (images) the latest step of each series describes;
        None where its manifest is unusable.

        Counts in `known` (by run, tag, max step and max wall time) are kept;
        for the other series the latest step alone is listed (one call,
        ``downsample=1`` keeps the last step) and its manifest read.
        """
        rows: dict[tuple[str, str], int | None] = {}
        stale: dict[str, set[str]] = {}
        for run, tags in mapping.items():
            for tag, series in tags.items():
                key = (run, tag, series.max_step, series.max_wall_time)
                if key in known:
                    rows[run, tag] = known[key]
                else:
                    stale.setdefault(run, set()).add(tag)
        if not stale:
            return rows
        latest = self._data_provider.read_blob_sequences(
            ctx,
            experiment_id=experiment,
            plugin_name=self.plugin_name,
            downsample=1,
            run_tag_filter=provider.RunTagFilter(
                runs=list(stale), tags=set().union(*stale.values())
            ),
        )
        wanted = [
            (run, tag, data[-1])
            for run, tags in stale.items()
            for tag in tags
            if (data := latest.get(run, {}).get(tag))
        ]
        manifests = self._map_reads(
            functools.partial(self._read_manifest, ctx), [d for _, _, d in wanted]
        )
        for (run, tag, _), manifest in zip(wanted, manifests, strict=True):
            rows[run, tag] = (
                None
                if isinstance(manifest, ValueError)
                else metadata.manifest_length(manifest["columns"])
            )
        return rows

    # /steps ------------------------------------------------------------------

    @_route
    def _serve_steps(self, request: wrappers.Request) -> wrappers.Response:
        ctx = plugin_util.context(request.environ)
        experiment = plugin_util.experiment_id(request.environ)
        run = _required_arg(request, "run")
        tag = _required_arg(request, "tag")
        step = _optional_step(request)
        # Polling asks again and again for unchanged data. The series' facts
        # from the listing (one cheap call, no blob keys made) tell whether it
        # changed: a new or rewritten step has a later wall time, a dropped
        # one comes with a new step. Unchanged: the answer is reused without
        # reading the steps.
        facts = self._series_facts(ctx, experiment, run, tag)
        fingerprint = (
            facts.max_step,
            facts.max_wall_time,
            facts.max_length,
            facts.plugin_content,
        )

        def build(previous: bytes | None) -> tuple[str, bool]:
            data = self._read_steps(ctx, experiment, run, tag, step)
            return self._steps_json(ctx, run, tag, data, previous)

        body = self._cached_gzip(
            ("steps", experiment, run, tag, step), fingerprint, build
        )
        # `Respond` gunzips for clients that do not accept gzip.
        return http_util.Respond(
            request, body, "application/json", content_encoding="gzip"
        )

    def steps_impl(
        self,
        ctx: RequestContext,
        experiment: str,
        run: str,
        tag: str,
        step: int | None = None,
    ) -> dict[str, Any]:
        """Lists the kept steps of one series with their manifests and blobs.

        Args:
          ctx: The request context.
          experiment: The experiment id ("" for a plain logdir).
          run: Run name.
          tag: Tag name.
          step: If given, only this step.

        Returns:
          ``{"run", "tag", "steps": [{"step", "wall_time", "manifest",
          "blobs"}], "skipped_steps": [{"step", "reason"}]}``, steps ascending.
          Manifests are in the columns layout (``{"version", "kind", "shape",
          "tiles", "columns", "names"}``; `metadata.manifest_items` turns one
          into per-row objects): ``blobs[k]`` is the relative URL of the PNG
          strip holding the images of rows ``[k * tiles, (k + 1) * tiles)``
          stacked top to bottom, each `metadata.tile_height(shape)` pixels
          high. Steps whose manifest is unreadable or of a newer format are
          in "skipped_steps".

        Raises:
          errors.NotFoundError: unknown run, tag, or step.
        """
        data = self._read_steps(ctx, experiment, run, tag, step)
        result: dict[str, Any] = json.loads(self._steps_json(ctx, run, tag, data)[0])
        return result

    def _series_facts(
        self, ctx: RequestContext, experiment: str, run: str, tag: str
    ) -> provider.BlobSequenceTimeSeries:
        listing = self._data_provider.list_blob_sequences(
            ctx,
            experiment_id=experiment,
            plugin_name=self.plugin_name,
            run_tag_filter=provider.RunTagFilter(runs=[run], tags=[tag]),
        )
        facts = listing.get(run, {}).get(tag)
        if facts is None:
            raise errors.NotFoundError(f"no tbexplain series run={run!r} tag={tag!r}")
        return facts

    def _read_steps(
        self,
        ctx: RequestContext,
        experiment: str,
        run: str,
        tag: str,
        step: int | None,
    ) -> list[provider.BlobSequenceDatum]:
        result = self._data_provider.read_blob_sequences(
            ctx,
            experiment_id=experiment,
            plugin_name=self.plugin_name,
            downsample=self._downsample,
            run_tag_filter=provider.RunTagFilter(runs=[run], tags=[tag]),
        )
        data = result.get(run, {}).get(tag)
        if data is None:
            raise errors.NotFoundError(f"no tbexplain series run={run!r} tag={tag!r}")
        if step is not None:
            data = [datum for datum in data if datum.step == step]
            if not data:
                raise errors.NotFoundError(f"no step {step} in run={run!r} tag={tag!r}")
        return sorted(data, key=lambda d: d.step)

    def _steps_json(
        self,
        ctx: RequestContext,
        run: str,
        tag: str,
        data: list[provider.BlobSequenceDatum],
        previous: bytes | None = None,
    ) -> tuple[str, bool]:
        """The JSON text of a /steps answer, and whether no step was skipped.

        Args:
          ctx: The request context.
          run: Run name.
          tag: Tag name.
          data: The steps, ascending.
          previous: The previous gzipped answer for the same request: the
            manifests of steps it already holds are taken from it instead of
            being read again.
        """
        urls = [
            [
                "blob?key=" + urllib.parse.quote(ref.blob_key, safe="")
                for ref in datum.values[1:]
            ]
            for datum in data
        ]
        known = _manifests_in(previous)
        manifests = self._manifests_of(
            ctx,
            data,
            [
                known.get((d.step, d.wall_time, u[0] if u else "", len(u)))
                for d, u in zip(data, urls, strict=True)
            ],
        )
        entries = []
        skipped = []
        for datum, blobs, manifest in zip(data, urls, manifests, strict=True):
            if isinstance(manifest, ValueError):
                skipped.append({"step": datum.step, "reason": str(manifest)})
                continue
            head = json.dumps(
                json_util.Cleanse({"step": datum.step, "wall_time": datum.wall_time})
            )
            entries.append(
                f'{head[:-1]},"manifest":{manifest},"blobs":{json.dumps(blobs)}}}'
            )
        text = (
            f'{{"run":{json.dumps(run)},"tag":{json.dumps(tag)},'
            f'"steps":[{",".join(entries)}],'
            f'"skipped_steps":{json.dumps(json_util.Cleanse(skipped))}}}'
        )
        return text, not skipped

    def _manifests_of(
        self,
        ctx: RequestContext,
        data: list[provider.BlobSequenceDatum],
        known: list[str | None],
    ) -> list[str | ValueError]:
        """The manifest (as JSON text) of each step, or why it is unusable.

        `known` holds the text of the manifests already at hand (None for the
        others); the others are read concurrently (with the Rust data server
        each read is one gRPC round trip).
        """
        results: list[str | ValueError | None] = list(known)
        missing = [i for i, known_text in enumerate(results) if known_text is None]
        loaded = self._map_reads(
            functools.partial(self._load_manifest, ctx), [data[i] for i in missing]
        )
        for i, value in zip(missing, loaded, strict=True):
            results[i] = value
        return [r for r in results if r is not None]

    def _map_reads(self, read: Callable[[_T], _R], items: list[_T]) -> list[_R]:
        """`read` of each item, concurrently where reads are remote calls."""
        if len(items) > 1 and self._concurrent_reads:
            return list(self._reader_pool().map(read, items))
        return [read(item) for item in items]

    def _reader_pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(
                    max_workers=MANIFEST_READ_THREADS,
                    thread_name_prefix="tbexplain-manifests",
                )
            return self._pool

    def _load_manifest(
        self, ctx: RequestContext, datum: provider.BlobSequenceDatum
    ) -> str | ValueError:
        """The manifest of one step as /steps serves it (compact JSON text),
        or why it is unusable (see `_read_manifest`)."""
        manifest = self._read_manifest(ctx, datum)
        if isinstance(manifest, ValueError):
            return manifest
        # Cleanse replaces NaN/Infinity (accepted by json.loads, not JSON).
        return json.dumps(json_util.Cleanse(manifest), separators=(",", ":"))

    def _read_manifest(
        self, ctx: RequestContext, datum: provider.BlobSequenceDatum
    ) -> dict[str, Any] | ValueError:
        """Reads and checks the manifest of one step.

        Returns:
          The manifest in the columns layout (version 1's per-blob items are
          turned into columns), or a ValueError saying why it is missing,
          corrupt, of a newer version, or does not describe every blob.
        """
        if not datum.values:
            return ValueError("empty step: no manifest")
        try:
            raw = self._data_provider.read_blob(ctx, blob_key=datum.values[0].blob_key)
        except errors.NotFoundError as e:  # Evicted from the reservoir meanwhile.
            return ValueError(str(e))
        try:
            manifest = metadata.parse_manifest(raw)
        except ValueError as e:
            return e
        version = manifest.get("version")
        if not isinstance(version, int) or version > metadata.PROTO_VERSION:
            return ValueError(
                f"manifest version {version!r} is not supported by this plugin "
                f"(version {metadata.PROTO_VERSION}); upgrade tbexplain to read it"
            )
        try:
            columns, names = metadata.manifest_columns(manifest)
        except ValueError as e:
            return e
        try:
            tiles = metadata.manifest_tiles(manifest)
        except ValueError as e:
            return e
        described = metadata.manifest_length(columns)
        blobs = len(datum.values) - 1
        if metadata.blob_count(described, tiles) != blobs:
            return ValueError(
                f"corrupt manifest: {blobs} blobs but {described} rows of "
                f"{tiles} per blob"
            )
        served: dict[str, Any] = {
            "version": version,
            "kind": manifest.get("kind"),
            "shape": manifest.get("shape"),
            "tiles": tiles,
            "columns": columns,
        }
        if names:
            served["names"] = names
        return served

    # /blob -------------------------------------------------------------------

    def _serve_blob(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        # The busiest route (one request per image on screen), answered
        # without werkzeug's request and response objects: the provider's
        # bytes, a fixed content type, cacheable (a key names immutable data).
        key = urllib.parse.parse_qs(
            environ.get("QUERY_STRING", ""), keep_blank_values=True
        ).get("key")
        try:
            if not key or not key[0]:
                raise _missing_arg("key", key[0] if key else None)
            data = self.blob_impl(plugin_util.context(environ), key[0])
        except errors.PublicError as e:
            request = wrappers.Request(environ)
            return _error_response(request, e)(environ, start_response)
        start_response(
            "200 OK",
            [
                ("Content-Type", "image/png"),
                ("Content-Length", str(len(data))),
                ("X-Content-Type-Options", "nosniff"),
                ("Cache-Control", _BLOB_CACHE_CONTROL),
            ],
        )
        return [data]

    def blob_impl(self, ctx: RequestContext, key: str) -> bytes:
        """The PNG bytes of one blob.

        Raises:
          errors.NotFoundError: the key is unknown, malformed, or names a blob
            that is not an image (e.g. a manifest).
        """
        try:
            data = self._data_provider.read_blob(ctx, blob_key=key)
        except (errors.NotFoundError, errors.InvalidArgumentError) as e:
            raise errors.NotFoundError(f"unknown blob key={key!r}") from e
        except (KeyError, IndexError, TypeError, ValueError) as e:
            # The Python provider decodes keys itself and raises these.
            raise errors.NotFoundError(f"unknown blob key={key!r}") from e
        if not isinstance(data, bytes) or not data.startswith(_PNG_SIGNATURE):
            raise errors.NotFoundError(f"blob key={key!r} is not an image")
        return data

    # static files ------------------------------------------------------------

    @_route
    def _serve_index_js(self, request: wrappers.Request) -> wrappers.Response:
        return self._respond_file(request, "index.js")

    @_route
    def _serve_static(self, request: wrappers.Request) -> wrappers.Response:
        marker = f"/plugin/{self.plugin_name}/static/"
        _, found, relative = request.path.partition(marker)
        if not found:
            raise errors.NotFoundError(f"no static file {request.path!r}")
        return self._respond_file(request, relative)

    def static_path(self, relative: str) -> str:
        """The file a ``static/<relative>`` request may read.

        Raises:
          errors.NotFoundError: the path leaves the static folder, names a
            hidden file, or does not exist.
        """
        parts = relative.split("/")
        if (
            not relative
            or "\\" in relative
            or "\x00" in relative
            or any(part in ("", ".", "..") or part.startswith(".") for part in parts)
        ):
            raise errors.NotFoundError(f"no static file {relative!r}")
        path = os.path.realpath(os.path.join(self._static_dir, *parts))
        if os.path.commonpath([path, self._static_dir]) != self._static_dir:
            raise errors.NotFoundError(f"no static file {relative!r}")
        if not os.path.isfile(path):
            hint = (
                " (the frontend bundle is not built)" if relative == "index.js" else ""
            )
            raise errors.NotFoundError(f"no static file {relative!r}{hint}")
        return path

    def _respond_file(
        self, request: wrappers.Request, relative: str
    ) -> wrappers.Response:
        path = self.static_path(relative)
        with open(path, "rb") as f:
            content = f.read()
        content_type = _CONTENT_TYPES.get(
            os.path.splitext(path)[1].lower(), _DEFAULT_CONTENT_TYPE
        )
        return http_util.Respond(request, content, content_type)
