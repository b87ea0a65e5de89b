"""Reads tbexplain series through TensorBoard's data provider into the plugin's answers.

The served path: plain functions over ``context.data_provider`` (the Python
loader's `MultiplexerDataProvider` or the Rust data server's gRPC provider)
returning dicts that the routes serialise as they are. This is the one place
that checks what the provider returns and decides what is skipped: a series
whose metadata is corrupt or of a newer version is listed under
``skipped``; a step whose value or manifest is unusable under
``skipped_steps``. Nothing a log directory holds raises here; unknown runs,
tags, steps and blob keys raise `tensorboard.errors.NotFoundError`.

What /tags and /steps need from a series' manifests comes from O(1) provider
calls per route, never one per step: since format version 5 the writer also
stores each step's manifest as a tensor (`metadata.manifest_tag`), and one
``read_tensors`` call returns them for every step of every series asked for
(with the Rust data server each provider call is a gRPC round trip, which
can wait ~40 ms for a delayed ACK). A step without its manifest tensor (an
older format, or a tensor missing or not written with it) is read from
element 0 of its blob sequence, one ``read_blob`` call each.

Manifests go through a `cache.LRUCache` keyed by (experiment, run, tag, step,
wall time), so an unchanged step is never read again, and a series that
gained a step is rebuilt reading only what it lacks. The cache holds the raw
bytes as read (a few hundred bytes a step), not the parsed manifest, whose
Python objects take an order of magnitude more.
"""

from __future__ import annotations

import functools
import math
import urllib.parse
from typing import Any

from tensorboard import errors, plugin_util
from tensorboard.context import RequestContext
from tensorboard.data import provider

from tbexplain_plugin import metadata, plugin_data_pb2
from tbexplain_plugin.cache import LRUCache

Listing = dict[str, dict[str, provider.BlobSequenceTimeSeries]]

_PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# What the Python provider's blob-key decoding and lookup raise for a key it
# did not make (bad base64 or JSON, wrong fields, unknown run or tag, an
# index out of range or of the wrong type, nesting deeper than its parser).
_BAD_KEY_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)
# Bytes charged per cached manifest beyond its own (key, tuple, entry).
_ENTRY_OVERHEAD = 200
# The most seconds between the wall times of a step's manifest tensor and its
# blob sequence for the two to be one write (`_tensor_value`): the writer
# writes them one after the other, well within a second.
SAME_WRITE_SECONDS = 60.0
SCALARS_PLUGIN = "scalars"


def listing(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    run: str | None = None,
    tag: str | None = None,
) -> Listing:
    """The provider's listing of tbexplain series: of all, or of one."""
    run_tag_filter = (
        None if run is None else provider.RunTagFilter(runs=[run], tags=[tag])
    )
    return data_provider.list_blob_sequences(
        ctx,
        experiment_id=experiment,
        plugin_name=metadata.PLUGIN_NAME,
        run_tag_filter=run_tag_filter,
    )


def series_facts(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    run: str,
    tag: str,
) -> provider.BlobSequenceTimeSeries:
    """The provider's listing facts of one series.

    Raises:
      errors.NotFoundError: no tbexplain series `tag` in `run`.
    """
    facts = listing(data_provider, ctx, experiment, run, tag).get(run, {}).get(tag)
    if facts is None:
        raise errors.NotFoundError(f"no tbexplain series run={run!r} tag={tag!r}")
    return facts


def fingerprint(series: provider.BlobSequenceTimeSeries) -> tuple[Any, ...]:
    """The listing facts of a series that change whenever its data does: a
    new step raises the last step or the wall time, a rewritten step has a
    later wall time, a longer step raises the length."""
    return (
        series.max_step,
        series.max_wall_time,
        series.max_length,
        series.plugin_content,
        series.description,
        series.display_name,
    )


def _series_metadata(
    series: provider.BlobSequenceTimeSeries,
) -> plugin_data_pb2.ExplainPluginData | ValueError:
    """The parsed plugin content, or the `ValueError` saying why it is unusable."""
    try:
        return metadata.parse_plugin_metadata(series.plugin_content)
    except (TypeError, ValueError) as e:
        return ValueError(str(e))


@functools.lru_cache(maxsize=512)
def _description_html(markdown: str) -> str:
    if not markdown:
        return ""
    try:
        return plugin_util.markdown_to_safe_html(markdown)
    except (RecursionError, ValueError):  # A description no renderer can take.
        return ""


# Manifests --------------------------------------------------------------------


def _read_value(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    datum: provider.BlobSequenceDatum,
) -> bytes:
    """The manifest bytes of one step, read from its blob sequence.

    Raises:
      ValueError: the provider cannot read it (evicted meanwhile, or a name
        the Rust data server cannot put in a blob key), or it is not a
        rank-1 string tensor.
    """
    try:
        raw = data_provider.read_blob(ctx, blob_key=datum.values[0].blob_key)
    except errors.PublicError as e:
        raise ValueError(f"unreadable step: {e}") from e
    except _BAD_KEY_ERRORS as e:  # The Python provider indexes the tensor.
        raise ValueError(f"the step is not a rank-1 string tensor ({e})") from e
    if not isinstance(raw, bytes):
        raise ValueError(
            f"the step is not a rank-1 string tensor (its first value is a "
            f"{type(raw).__name__})"
        )
    return raw


def _manifest_tensors(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    series: list[tuple[str, str]],
    downsample: int,
) -> dict[tuple[str, str], dict[int, provider.TensorDatum]]:
    """Per series (run, tag), step -> its manifest tensor (format version 5),
    of every series in one call. A series the provider has none of maps to
    ``{}``; of two tensors at one step the first is kept, as the provider's
    ``read_blob_sequences`` keeps the first blob sequence."""
    if not series:
        return {}
    try:
        result = data_provider.read_tensors(
            ctx,
            experiment_id=experiment,
            plugin_name=metadata.PLUGIN_NAME,
            downsample=downsample,
            run_tag_filter=provider.RunTagFilter(
                runs={run for run, _ in series},
                tags={metadata.manifest_tag(tag) for _, tag in series},
            ),
        )
    except errors.PublicError:  # Each step is then read from its blob sequence.
        return {key: {} for key in series}
    tensors: dict[tuple[str, str], dict[int, provider.TensorDatum]] = {}
    for run, tag in series:
        by_step: dict[int, provider.TensorDatum] = {}
        for datum in result.get(run, {}).get(metadata.manifest_tag(tag), ()):
            by_step.setdefault(datum.step, datum)
        tensors[run, tag] = by_step
    return tensors


def _tensor_value(
    tensor: provider.TensorDatum | None, wall_time: float
) -> bytes | None:
    """The manifest bytes of a step's manifest tensor if it was written with
    the step's blob sequence (of `wall_time`), else None.

    The writer writes the tensor just before the blob sequence of the same
    step. A tensor whose wall time is further than `SAME_WRITE_SECONDS` from
    the blob sequence's belongs to another write of that step (a training
    restarted into the run, whose events the loader has read only in part),
    and one that is not a scalar string is not the writer's: for both the
    step is read from its blob sequence.
    """
    if tensor is None or abs(tensor.wall_time - wall_time) > SAME_WRITE_SECONDS:
        return None
    value = tensor.numpy
    if getattr(value, "shape", None) != ():
        return None
    raw = value.item()
    return raw if isinstance(raw, bytes) else None


def _cached_value(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    key: tuple[Any, ...],
    datum: provider.BlobSequenceDatum,
    manifests: LRUCache,
    tensor: provider.TensorDatum | None = None,
) -> tuple[bytes, int]:
    """The manifest bytes of a step and how many blobs follow them, through
    the cache: from the step's manifest `tensor` when given and written with
    it, else read from the blob sequence (only values that are bytes are
    kept: a failed read is tried again next time). A kept value whose blob
    count is unknown (None: kept by /tags) is completed.

    Raises:
      ValueError: the step has no value, or its manifest cannot be read.
    """
    cached = manifests.get(key)
    if cached is None or cached[1] is None:
        if not datum.values:
            raise ValueError("empty step: no manifest")
        raw = cached[0] if cached is not None else None
        if raw is None:
            raw = _tensor_value(tensor, datum.wall_time)
        if raw is None:
            raw = _read_value(data_provider, ctx, datum)
        cached = (raw, len(datum.values) - 1)
        manifests.put(key, cached, len(raw) + _ENTRY_OVERHEAD)
    return cached


def checked_manifest(raw: bytes, blobs: int | None) -> dict[str, Any]:
    """The manifest of a step as /steps serves it, from its raw bytes.

    Args:
      raw: Element 0 of the step (plain or zlib-compressed JSON).
      blobs: How many blobs (PNG strips) follow it in the step (None:
        unknown, not checked).

    Returns:
      ``{"version", "kind", "shape", "tiles", "columns"}`` plus ``"names"``
      and ``"target_name"`` when the manifest has them; version 1's items
      turned into columns.

    Raises:
      ValueError: why the manifest is unusable: corrupt, too large, of a
        version that is not a known int, or rows and tiles that do not
        account for every blob.
    """
    manifest = metadata.parse_manifest(raw)
    version = metadata.manifest_version(manifest)
    kind = manifest.get("kind")
    if kind not in metadata.KINDS:
        raise ValueError(f"corrupt tbexplain manifest: unknown kind {str(kind)[:50]}")
    shape = metadata.manifest_shape(manifest)
    columns, names = metadata.manifest_columns(manifest)
    tiles = metadata.manifest_tiles(manifest)
    rows = metadata.manifest_length(columns)
    if blobs is not None and metadata.blob_count(rows, tiles) != blobs:
        raise ValueError(
            f"corrupt tbexplain manifest: {blobs} blobs but {rows} rows of "
            f"{tiles} per blob"
        )
    served: dict[str, Any] = {
        "version": version,
        "kind": kind,
        "shape": shape,
        "tiles": tiles,
        "columns": columns,
    }
    if names:
        served["names"] = names
    if "target_name" in manifest:
        if not isinstance(manifest["target_name"], str):
            raise ValueError("corrupt tbexplain manifest: target_name is not a string")
        served["target_name"] = manifest["target_name"]
    return served


def _step_key(
    experiment: str, run: str, tag: str, datum: provider.BlobSequenceDatum
) -> tuple[Any, ...]:
    """The manifest cache's key of a step: it names one event's data."""
    return (experiment, run, tag, datum.step, datum.wall_time)


# /tags ------------------------------------------------------------------------


def _latest_rows(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    series: dict[tuple[str, str], provider.BlobSequenceTimeSeries],
    with_tensors: set[tuple[str, str]],
    manifests: LRUCache,
) -> dict[tuple[str, str], int | None]:
    """How many rows the latest step of each series holds (None: unusable).

    A series whose step at (max step, max wall time) is in the manifest cache
    is counted from it. The latest manifest tensors of the others among
    `with_tensors` are read in one call (``downsample=1`` keeps the last
    step), and used where they are of that step (and kept, with their blob
    count unknown). The latest steps of the rest are listed in one call and
    their manifests read from their blob sequences.
    """
    values: dict[tuple[str, str], tuple[bytes, int | None] | None] = {}
    keys = {
        (run, tag): (experiment, run, tag, facts.max_step, facts.max_wall_time)
        for (run, tag), facts in series.items()
    }
    for series_key, key in keys.items():
        values[series_key] = manifests.get(key)
    tensors = _manifest_tensors(
        data_provider,
        ctx,
        experiment,
        [k for k, value in values.items() if value is None and k in with_tensors],
        downsample=1,
    )
    for series_key, by_step in tensors.items():
        facts = series[series_key]
        raw = _tensor_value(by_step.get(facts.max_step), facts.max_wall_time)
        if raw is not None:
            values[series_key] = (raw, None)
            manifests.put(
                keys[series_key], values[series_key], len(raw) + _ENTRY_OVERHEAD
            )
    missing = [series_key for series_key, value in values.items() if value is None]
    if missing:
        latest_steps = data_provider.read_blob_sequences(
            ctx,
            experiment_id=experiment,
            plugin_name=metadata.PLUGIN_NAME,
            downsample=1,
            run_tag_filter=provider.RunTagFilter(
                runs={run for run, _ in missing}, tags={tag for _, tag in missing}
            ),
        )
        for run, tag in missing:
            data = latest_steps.get(run, {}).get(tag)
            if not data:
                continue
            try:
                values[run, tag] = _cached_value(
                    data_provider,
                    ctx,
                    _step_key(experiment, run, tag, data[-1]),
                    data[-1],
                    manifests,
                )
            except ValueError:
                continue
    return {series_key: _row_count(value) for series_key, value in values.items()}


def _row_count(value: tuple[bytes, int | None] | None) -> int | None:
    """The rows of a step's (manifest bytes, blob count or None); None if
    unusable."""
    if value is None:
        return None
    try:
        return metadata.manifest_length(checked_manifest(*value)["columns"])
    except ValueError:
        return None


def list_series(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    series: Listing,
    manifests: LRUCache,
) -> dict[str, Any]:
    """The /tags answer: every run's series, and the series that cannot be read.

    Args:
      data_provider: The data provider.
      ctx: The request context.
      experiment: The experiment id ("" for a plain logdir).
      series: The provider's listing (`listing`).
      manifests: The cache of raw manifests.

    Returns:
      ``{"runs": {run: {tag: facts}}, "skipped": [{"run", "tag", "reason"}]}``,
      runs and tags sorted; a series written with a newer format version or
      with corrupt metadata is in "skipped" instead of "runs". ``samples``
      is None where the latest step is unusable.
    """
    runs: dict[str, dict[str, Any]] = {}
    skipped: list[dict[str, str]] = []
    readable: dict[tuple[str, str], plugin_data_pb2.ExplainPluginData] = {}
    for run in sorted(series):
        runs[run] = {}
        for tag in sorted(series[run]):
            content = _series_metadata(series[run][tag])
            if isinstance(content, ValueError):
                skipped.append({"run": run, "tag": tag, "reason": str(content)})
            else:
                readable[run, tag] = content
    rows = _latest_rows(
        data_provider,
        ctx,
        experiment,
        {key: series[key[0]][key[1]] for key in readable},
        {
            key
            for key, content in readable.items()
            if metadata.has_manifest_tensors(content)
        },
        manifests,
    )
    for (run, tag), content in readable.items():
        facts = series[run][tag]
        runs[run][tag] = {
            "kind": metadata.kind_name(content),
            "method": content.method,
            "layer": content.layer,
            "signed": content.signed,
            "encoding": content.encoding,
            "inputs_tag": content.inputs_tag,
            "stage": content.stage,
            "layout": content.layout,
            "input_name": content.input_name,
            "feature_names": list(content.feature_names),
            "mask_tag": content.mask_tag,
            "samples": rows[run, tag],
            "max_step": facts.max_step,
            "max_wall_time": facts.max_wall_time,
            "display_name": facts.display_name,
            "description": _description_html(facts.description),
        }
    return {"runs": runs, "skipped": skipped}


# /steps -----------------------------------------------------------------------


def blob_url(ref: provider.BlobReference, wall_time: float) -> str:
    """The relative URL of one blob. The wall time makes it name one event: a
    rewritten step (same step, same blob key with the Rust data server) gets
    a new URL, so no cache serves the older event's strip for it."""
    key = urllib.parse.quote(ref.blob_key, safe="")
    return f"blob?key={key}&wall_time={float(wall_time)!r}"


def _kept_steps(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    run: str,
    tag: str,
    downsample: int,
    step: int | None,
) -> list[provider.BlobSequenceDatum]:
    """The kept steps of one series (only `step` if given), ascending, in one
    ``read_blob_sequences`` call.

    Raises:
      errors.NotFoundError: unknown run, tag, or step.
    """
    result = data_provider.read_blob_sequences(
        ctx,
        experiment_id=experiment,
        plugin_name=metadata.PLUGIN_NAME,
        downsample=downsample,
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


def _step_tensors(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    run: str,
    tag: str,
    content: plugin_data_pb2.ExplainPluginData,
    keys: list[tuple[Any, ...]],
    downsample: int,
    manifests: LRUCache,
) -> dict[int, provider.TensorDatum]:
    """Step -> manifest tensor of one series, in one ``read_tensors`` call.

    Empty, without a call, for a series written before manifest tensors
    (format version < 5) or whose steps' manifests (cache `keys`) are all
    cached; `_cached_value` then reads each step not cached from its blob
    sequence.
    """
    if not metadata.has_manifest_tensors(content) or all(
        manifests.get(key) is not None for key in keys
    ):
        return {}
    return _manifest_tensors(data_provider, ctx, experiment, [(run, tag)], downsample)[
        run, tag
    ]


def _served_step(
    datum: provider.BlobSequenceDatum, value: tuple[bytes, int], layout: str
) -> dict[str, Any]:
    """One step as /steps serves it, from its (manifest bytes, blob count)
    and the series' `layout` setting (see `read_steps`).

    Raises:
      ValueError: the manifest is unusable, or its shape has no layout.
    """
    manifest = checked_manifest(*value)
    resolved = metadata.resolve_layout(layout, manifest["shape"])
    tile = metadata.tile_geometry(resolved, manifest["shape"])
    return {
        "step": datum.step,
        "wall_time": datum.wall_time,
        "manifest": manifest,
        "layout": resolved,
        "tile": tile._asdict(),
        "blobs": [blob_url(ref, datum.wall_time) for ref in datum.values[1:]],
    }


def read_steps(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    run: str,
    tag: str,
    series: provider.BlobSequenceTimeSeries,
    *,
    downsample: int,
    manifests: LRUCache,
    step: int | None = None,
) -> dict[str, Any]:
    """The /steps answer: the kept steps of one series with manifests and blobs.

    Args:
      data_provider: The data provider.
      ctx: The request context.
      experiment: The experiment id ("" for a plain logdir).
      run: Run name.
      tag: Tag name.
      series: The series' listing facts (`series_facts`).
      downsample: How many steps to read at most.
      manifests: The cache of raw manifests.
      step: If given, only this step.

    Returns:
      ``{"run", "tag", "steps": [{"step", "wall_time", "manifest", "layout",
      "tile", "blobs"}], "skipped_steps": [{"step", "reason"}]}``, steps
      ascending (`checked_manifest` gives the manifests; ``layout`` is the
      rows' layout, `metadata.resolve_layout`; ``tile`` one row's tile,
      `metadata.tile_geometry`; ``blobs[k]`` is the URL of the strip of rows
      ``[k * tiles, (k + 1) * tiles)``). Every step of a series that /tags
      skips is in "skipped_steps".

    Raises:
      errors.NotFoundError: unknown run, tag, or step.
    """
    data = _kept_steps(data_provider, ctx, experiment, run, tag, downsample, step)
    content = _series_metadata(series)
    if isinstance(content, ValueError):
        skipped = [{"step": d.step, "reason": str(content)} for d in data]
        return {"run": run, "tag": tag, "steps": [], "skipped_steps": skipped}
    keys = [_step_key(experiment, run, tag, datum) for datum in data]
    tensors = _step_tensors(
        data_provider, ctx, experiment, run, tag, content, keys, downsample, manifests
    )
    steps: list[dict[str, Any]] = []
    skipped = []
    for datum, key in zip(data, keys, strict=True):
        try:
            value = _cached_value(
                data_provider, ctx, key, datum, manifests, tensors.get(datum.step)
            )
            steps.append(_served_step(datum, value, content.layout))
        except ValueError as e:
            skipped.append({"step": datum.step, "reason": str(e)})
    return {"run": run, "tag": tag, "steps": steps, "skipped_steps": skipped}


# /blob ------------------------------------------------------------------------


def is_png(data: Any) -> bool:
    """Whether `data` is a whole PNG: the signature, then IHDR, ..., IEND."""
    return (
        isinstance(data, bytes)
        and data.startswith(_PNG_START)
        and data.endswith(_PNG_END)
    )


def read_blob(
    data_provider: provider.DataProvider, ctx: RequestContext, key: str
) -> bytes:
    """The PNG bytes of one blob.

    Raises:
      errors.NotFoundError: the key is unknown or malformed, or names a blob
        that is not a whole PNG (a manifest, or truncated data).
    """
    try:
        data = data_provider.read_blob(ctx, blob_key=key)
    except (errors.NotFoundError, errors.InvalidArgumentError) as e:
        raise errors.NotFoundError(f"unknown blob key={key[:200]!r}") from e
    except _BAD_KEY_ERRORS as e:
        raise errors.NotFoundError(f"unknown blob key={key[:200]!r}") from e
    except Exception as e:
        # The Rust data server's other gRPC statuses (TensorBoard translates
        # only invalid argument, not found and permission denied): the data
        # server could not serve this key.
        code = getattr(e, "code", None)
        if not callable(code):
            raise
        raise errors.NotFoundError(
            f"blob key={key[:200]!r} could not be read ({code()})"
        ) from e
    if not is_png(data):
        raise errors.NotFoundError(f"blob key={key[:200]!r} is not a PNG image")
    return data


# /metrics ---------------------------------------------------------------------


def read_metrics(
    data_provider: provider.DataProvider,
    ctx: RequestContext,
    experiment: str,
    run: str,
    tag: str,
    *,
    downsample: int,
) -> dict[str, Any]:
    """The /metrics answer: the metric scalars of one series (`metrics_prefix`).

    Returns:
      ``{"run", "tag", "metrics": {name: [{"step", "wall_time", "value"}]}}``,
      names sorted, points by ascending step, a non-finite value as None;
      ``{}`` when the series has no metrics.

    Raises:
      errors.NotFoundError: no tbexplain series `tag` in `run`.
    """
    series_facts(data_provider, ctx, experiment, run, tag)
    prefix = metadata.metrics_prefix(tag)
    scalars = data_provider.list_scalars(
        ctx,
        experiment_id=experiment,
        plugin_name=SCALARS_PLUGIN,
        run_tag_filter=provider.RunTagFilter(runs=[run]),
    )
    names = {
        name: scalar_tag
        for scalar_tag in scalars.get(run, {})
        if scalar_tag.startswith(prefix)
        and (name := scalar_tag[len(prefix) :])
        and "/" not in name
    }
    metrics: dict[str, list[dict[str, Any]]] = {}
    if names:
        data = data_provider.read_scalars(
            ctx,
            experiment_id=experiment,
            plugin_name=SCALARS_PLUGIN,
            downsample=downsample,
            run_tag_filter=provider.RunTagFilter(runs=[run], tags=list(names.values())),
        )
        for name in sorted(names):
            points = sorted(
                data.get(run, {}).get(names[name], []), key=lambda d: d.step
            )
            metrics[name] = [
                {
                    "step": point.step,
                    "wall_time": point.wall_time,
                    "value": point.value if math.isfinite(point.value) else None,
                }
                for point in points
            ]
    return {"run": run, "tag": tag, "metrics": metrics}
