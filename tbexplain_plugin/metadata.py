"""The on-disk format shared by the tbexplain writer and the TensorBoard plugin.

This is the only module that touches the metadata proto. It is imported by the
writer (`tbexplain.summary`) and by the plugin backend, so it must never import
TensorFlow or `tbexplain`.

A tbexplain series is a `DATA_CLASS_BLOB_SEQUENCE` summary. Each step's value is
a rank-1 string tensor ``[manifest_json, blob_0, ..., blob_k]``:

* the per-series, never-changing facts (kind, method, layer, signedness,
  encoding, the tag of the overlaid inputs) are in the `ExplainPluginData`
  proto stored as the summary's plugin content;
* the per-step facts (shape, per-image sample index, class id and name, score,
  label, raw min/max, non-finite counts) are in the JSON manifest, because
  TensorBoard keeps only the first event's metadata of a series. Since
  version 2 a manifest stores them as columns (one list per fact, floats with
  the 9 significant digits that round-trip float32) with the class names
  once in a ``names`` table, zlib-compressed (RFC 1950): a seventh of the
  bytes of version 1's plain JSON list of per-blob objects, which readers
  still accept. `decode_manifest` returns both as per-image ``items``;
* each blob is an 8-bit PNG. Heatmaps are rescaled from their own raw
  ``[min, max]`` (kept in the manifest), so the UI can put maps of any step and
  run back on one shared scale. Since version 3 a blob is a strip: the images
  of ``tiles`` consecutive manifest rows stacked top to bottom (the last blob
  holds the rest), so a step of 16 maps is one PNG, not 16. One deflate
  stream per step instead of per map makes the data 2-7 % smaller and the UI
  makes one request per step; `blob_count` and `tile_geometry` give the layout.

Since version 5 each step's manifest is also written, just before the step,
as a scalar string tensor summary (``DATA_CLASS_TENSOR``, plugin
``tbexplain``) of the series' manifest tag (`manifest_tag`): one
``read_tensors`` call of the data provider returns the manifests of every
step of every series, where reading element 0 of each blob sequence takes
one ``read_blob`` call per step (one gRPC round trip each with the Rust data
server). Element 0 stays the manifest, so a step whose tensor is missing is
still read from its own blob sequence, and older readers read version 5's
blob sequences as before.

A manifest is at most `MAX_MANIFEST_BYTES` of JSON once decompressed (readers
stop decompressing there). Explanation manifests may carry a top-level
``target_name`` string (what the maps explain, when not a class). The metrics
of a series are ordinary scalars of the same run, named by `metrics_prefix`.
"""

from __future__ import annotations

import dataclasses
import json
import types
import zlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from tensorboard.compat.proto import summary_pb2

from tbexplain_plugin import plugin_data_pb2
from tbexplain_plugin.constants import PLUGIN_NAME

# Increment when a reader of the old version could misread the new data.
# 2: manifests store their facts as columns (see `encode_manifest`).
# 3: a blob holds the images of several rows, stacked (``tiles``).
# 4: series say their layout (tokens, features and volumes besides images and
#    sequences), the model input they are about, feature names, a mask series.
# 5: each step's manifest is also a tensor summary (`manifest_tag`).
PROTO_VERSION = 5
MANIFEST_TENSOR_VERSION = 5
MANIFEST_TAG_SUFFIX = "#manifest"

# Manifest columns holding floats (written with float32 precision); the id
# columns whose names come from the manifest's ``names`` table; the columns
# whose null is a fact a row keeps (a non-finite score; a prediction of a
# model without classes), where other nulls only say "not recorded".
_FLOAT_COLUMNS = frozenset({"min", "max", "score", "mean", "objective"})
_NAMED_COLUMNS = {
    "class_id": "class_name",
    "label": "label_name",
    "predicted": "predicted_name",
}
_KEPT_NULLS = frozenset({"score", "predicted"})
# The values a manifest column may hold (one per row); the tokens column of a
# tokens inputs series holds each row's token texts (a list of strings).
_SCALARS = (str, int, float, bool, type(None))
TOKENS_COLUMN = "tokens"

# The most bytes of JSON a manifest may hold (decompressed): ~100,000 rows. A
# reader stops inflating there, so a small compressed blob cannot make it
# allocate much more.
MAX_MANIFEST_BYTES = 8 * 1024 * 1024

KIND_EXPLANATION = "explanation"
KIND_INPUTS = "inputs"
KIND_ACTIVATIONS = "activations"
KIND_FILTERS = "filters"

ENCODING_PNG8 = "png8"

LAYOUT_IMAGE = "image"
LAYOUT_SEQUENCE = "sequence"
LAYOUT_TOKENS = "tokens"
LAYOUT_FEATURES = "features"
LAYOUT_VOLUME = "volume"


@dataclasses.dataclass(frozen=True)
class LayoutSpec:
    """How the rows of a series of one layout are shaped and laid out in a strip.

    Attributes:
      name: The layout's name (one of `LAYOUTS`).
      ranks: The ranks a row's manifest ``shape`` may have, a map's first.
      map_rank: The rank of one map row (a heatmap of this layout).
      frames: Whether a row's first axis is its frames (slices), stacked top
        to bottom in its tile.
      channel_rows: Whether a 2-D row [T, C] is drawn as C pixel rows of T
        (channel c in pixel row c).
      values: Whether an inputs row holds values rescaled from the row's own
        range, read back as maps are, rather than an image for display.
    """

    name: str
    ranks: tuple[int, ...]
    map_rank: int
    frames: bool = False
    channel_rows: bool = False
    values: bool = False


# The one description of each layout. Maps: [H, W] images, [T] sequences,
# tokens (one value per token) and features (one per feature), [D, H, W]
# volumes. Inputs: [H, W, C] images, [T, C] sequences, [T] token presence,
# [F] features, [D, H, W, C] volumes.
LAYOUT_SPECS: Mapping[str, LayoutSpec] = types.MappingProxyType(
    {
        spec.name: spec
        for spec in (
            LayoutSpec(LAYOUT_IMAGE, ranks=(2, 3), map_rank=2),
            LayoutSpec(
                LAYOUT_SEQUENCE, ranks=(1, 2), map_rank=1, channel_rows=True,
                values=True,
            ),
            LayoutSpec(LAYOUT_TOKENS, ranks=(1,), map_rank=1),
            LayoutSpec(LAYOUT_FEATURES, ranks=(1,), map_rank=1, values=True),
            LayoutSpec(LAYOUT_VOLUME, ranks=(3, 4), map_rank=3, frames=True),
        )
    }
)  # fmt: skip
LAYOUTS = tuple(LAYOUT_SPECS)
"""How a series' arrays are laid out (`LAYOUT_SPECS` describes each)."""


class TileGeometry(NamedTuple):
    """The size of one row's tile in a PNG strip.

    Attributes:
      width: Its width in pixels.
      height: Its height in pixels (all its frames together).
      frames: How many frames (slices) it stacks top to bottom, each
        ``height // frames`` pixels high (1 but for volumes).
      channels: The pixel channels of an inputs row of an image or volume
        ([..., C]); 1 for every other row.
    """

    width: int
    height: int
    frames: int
    channels: int


def layout_spec(layout: str) -> LayoutSpec:
    """The description of `layout`.

    Raises:
      ValueError: `layout` is not one of `LAYOUTS`.
    """
    spec = LAYOUT_SPECS.get(layout)
    if spec is None:
        raise ValueError(
            f"layout must be one of {LAYOUTS}. Received: layout={layout!r}"
        )
    return spec


def resolve_layout(recorded: str, shape: Sequence[int]) -> str:
    """The layout of a step's rows: the series' recorded layout (version 4)
    when it is known and has rows of the shape's rank; else, as for series
    written before layouts were recorded, the first of `LAYOUTS` whose rows
    have that rank ([T] a sequence, [H, W] and [H, W, C] an image)."""
    spec = LAYOUT_SPECS.get(recorded)
    if spec is not None and len(shape) in spec.ranks:
        return spec.name
    return next(
        (s.name for s in LAYOUT_SPECS.values() if len(shape) in s.ranks),
        LAYOUT_IMAGE,
    )


def default_map_layout(rank: int) -> str:
    """The layout of maps whose rows have `rank` axes, when none is given:
    ``sequence`` for [T], ``image`` for [H, W], ``volume`` for [D, H, W].

    Raises:
      ValueError: no layout has maps of that rank.
    """
    for spec in LAYOUT_SPECS.values():
        if spec.map_rank == rank:
            return spec.name
    raise ValueError(
        f"maps have rows of rank 1, 2 or 3 ([T], [H, W], [D, H, W]). "
        f"Received: rank={rank}"
    )


def tile_geometry(layout: str, shape: Sequence[int]) -> TileGeometry:
    """The tile of one row of `layout` whose manifest ``shape`` is `shape`.

    A row of one axis [T] (a sequence, tokens or features map; token or
    feature inputs) is one pixel row of T; a ``sequence`` inputs row [T, C]
    is C pixel rows of T; a ``volume`` row [D, H, W(, C)] stacks its D frames
    of H x W top to bottom; an ``image`` row [H, W(, C)] is H rows of W.
    Readers pass the layout `resolve_layout` gives.

    Raises:
      ValueError: an unknown layout, or a shape of a rank its rows never have.
    """
    spec = layout_spec(layout)
    dims = [int(n) for n in shape]
    if len(dims) not in spec.ranks:
        raise ValueError(
            f"a {layout} row has a shape of rank {' or '.join(map(str, spec.ranks))}. "
            f"Received: shape={dims}"
        )
    if len(dims) == 1:
        return TileGeometry(dims[0], 1, 1, 1)
    if spec.channel_rows:
        return TileGeometry(dims[0], dims[1], 1, 1)
    channels = dims[-1] if len(dims) > spec.map_rank else 1
    if spec.frames:
        return TileGeometry(dims[2], dims[0] * dims[1], dims[0], channels)
    return TileGeometry(dims[1], dims[0], 1, channels)


_Kind = plugin_data_pb2.ExplainPluginData
_KIND_TO_ENUM = {
    KIND_EXPLANATION: _Kind.EXPLANATION,
    KIND_INPUTS: _Kind.INPUTS,
    KIND_ACTIVATIONS: _Kind.ACTIVATIONS,
    KIND_FILTERS: _Kind.FILTERS,
}
_ENUM_TO_KIND = {v: k for k, v in _KIND_TO_ENUM.items()}
KINDS = tuple(_KIND_TO_ENUM)


class UnsupportedVersionError(ValueError):
    """A series was written by a newer tbexplain than this reader."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"tbexplain format version {version} is newer than this plugin "
            f"understands ({PROTO_VERSION}); upgrade tbexplain to read it"
        )
        self.version = version


def create_summary_metadata(
    kind: str,
    *,
    method: str = "",
    layer: str = "",
    signed: bool = False,
    inputs_tag: str = "",
    stage: str = "",
    encoding: str = ENCODING_PNG8,
    display_name: str = "",
    description: str = "",
    layout: str = "",
    input_name: str = "",
    feature_names: Sequence[str] = (),
    mask_tag: str = "",
) -> summary_pb2.SummaryMetadata:
    """Builds the `SummaryMetadata` of a tbexplain series.

    Args:
      kind: One of `KINDS`.
      method: Explanation method key (e.g. ``"gradcam"``).
      layer: Layer name or nested path, if the series is about one layer.
      signed: Whether values may be negative.
      inputs_tag: Tag of the inputs series the heatmaps overlay.
      stage: Pipeline stage name, for inputs series.
      encoding: Blob encoding.
      display_name: Optional display name.
      description: Optional Markdown description.
      layout: One of `LAYOUTS` (empty: inferred from the manifest's shape).
      input_name: The model input the series holds or explains.
      feature_names: The names of the features of a ``features`` series.
      mask_tag: The tag of the inputs series holding each sample's region of
        the explained target (segmentation), for explanation series.

    Returns:
      A `SummaryMetadata` with `data_class` set to `DATA_CLASS_BLOB_SEQUENCE`.
      (Third-party plugins must set it, or the Rust data server drops the data.)
    """
    if kind not in _KIND_TO_ENUM:
        raise ValueError(f"kind must be one of {KINDS}. Received: kind={kind!r}")
    if layout and layout not in LAYOUTS:
        raise ValueError(
            f"layout must be one of {LAYOUTS}. Received: layout={layout!r}"
        )
    content = plugin_data_pb2.ExplainPluginData(
        version=PROTO_VERSION,
        kind=_KIND_TO_ENUM[kind],
        method=method,
        layer=layer,
        signed=signed,
        encoding=encoding,
        inputs_tag=inputs_tag,
        stage=stage,
        layout=layout,
        input_name=input_name,
        feature_names=list(feature_names),
        mask_tag=mask_tag,
    )
    return summary_pb2.SummaryMetadata(
        display_name=display_name,
        summary_description=description,
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME, content=content.SerializeToString()
        ),
        data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE,
    )


def manifest_tag(tag: str) -> str:
    """The tag of the tensor summary holding series `tag`'s manifests (version 5)."""
    return tag + MANIFEST_TAG_SUFFIX


def has_manifest_tensors(data: plugin_data_pb2.ExplainPluginData) -> bool:
    """Whether the writer of a parsed series also wrote its manifests as
    tensors (`manifest_tag`): format version 5 and later."""
    return data.version >= MANIFEST_TENSOR_VERSION


def create_manifest_metadata() -> summary_pb2.SummaryMetadata:
    """The `SummaryMetadata` of a series' manifest tensors (`manifest_tag`).

    Each value is a scalar string tensor holding the step's manifest, the
    same bytes as element 0 of the step's blob sequence. The content is
    empty: the tensors belong to the series whose tag they extend, whose
    metadata says everything else.
    """
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME),
        data_class=summary_pb2.DATA_CLASS_TENSOR,
    )


def parse_plugin_metadata(content: bytes) -> plugin_data_pb2.ExplainPluginData:
    """Parses the plugin content of a tbexplain series.

    Raises:
      TypeError: `content` is not bytes.
      UnsupportedVersionError: the series was written with a newer version.
      ValueError: the content is not a valid `ExplainPluginData`.
    """
    if not isinstance(content, bytes):
        raise TypeError(f"content must be bytes. Received: {type(content).__name__}")
    try:
        result = plugin_data_pb2.ExplainPluginData.FromString(content)
    except Exception as e:  # protobuf raises DecodeError, a bare Exception subclass
        raise ValueError(f"corrupt tbexplain plugin content: {e}") from e
    if result.version > PROTO_VERSION:
        raise UnsupportedVersionError(result.version)
    if result.version < 1 or result.kind not in _ENUM_TO_KIND:
        raise ValueError(
            f"invalid tbexplain plugin content: version={result.version} "
            f"kind={result.kind}"
        )
    return result


def kind_name(data: plugin_data_pb2.ExplainPluginData) -> str:
    """The kind of a parsed series as one of `KINDS`."""
    return _ENUM_TO_KIND[data.kind]


def _float32_text(value: Any) -> Any:
    """A float as the shortest of its 9-significant-digit forms (None kept)."""
    return None if value is None else float(f"{value:.9g}")


def encode_manifest(
    kind: str,
    shape: Sequence[int],
    columns: Mapping[str, Sequence[Any]],
    names: Mapping[int, str] | None = None,
    *,
    tiles: int = 1,
    target_name: str | None = None,
) -> bytes:
    """Serialises a step manifest (element 0 of each step's blob sequence).

    The manifest is compact JSON, zlib-compressed (`decode_manifest` reads
    it, and plain JSON too).

    Args:
      kind: One of `KINDS`.
      shape: The shape of the step's images ([H, W], [T] or [H, W, C]).
      columns: Per-blob facts, one list per fact, all as long as there are
        blobs: e.g. ``{"sample": [0, 1], "min": [...], "max": [...],
        "class_id": [3, 1]}``. A None value omits the fact for that blob
        (``score`` keeps it as null).
      names: Class names of the ids in the ``class_id`` and ``label``
        columns (only those used need to be given).
      tiles: How many rows' images each blob holds, stacked top to bottom
        (the last blob holds the rest).
      target_name: The name of what the maps explain when it is not a class
        (a callable target); kept as the manifest's ``target_name``.

    Raises:
      ValueError: columns of different lengths, a non-finite float (the
        writer records those as flags; they are not valid JSON), tiles
        below 1, or more than `MAX_MANIFEST_BYTES` of JSON.
    """
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"manifest columns must have one length. Received: {lengths}")
    if isinstance(tiles, bool) or not isinstance(tiles, int) or tiles < 1:
        raise ValueError(f"tiles must be a positive int. Received: tiles={tiles!r}")
    out = {
        k: [_float32_text(v) for v in values] if k in _FLOAT_COLUMNS else list(values)
        for k, values in columns.items()
    }
    manifest: dict[str, Any] = {
        "version": PROTO_VERSION,
        "kind": kind,
        "shape": list(shape),
        "tiles": tiles,
        "columns": out,
    }
    if names:
        manifest["names"] = {str(k): str(v) for k, v in names.items()}
    if target_name is not None:
        manifest["target_name"] = str(target_name)
    text = json.dumps(manifest, separators=(",", ":"), allow_nan=False)
    data = text.encode("utf-8")
    if len(data) > MAX_MANIFEST_BYTES:
        raise ValueError(
            f"a manifest holds at most {MAX_MANIFEST_BYTES} bytes of JSON. "
            f"Received: {len(data)} bytes (log fewer maps per step)"
        )
    return zlib.compress(data, 6)


def _inflate(data: bytes) -> bytes:
    """Decompresses zlib data, stopping past `MAX_MANIFEST_BYTES`."""
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_MANIFEST_BYTES + 1)
    if len(text) > MAX_MANIFEST_BYTES:
        raise ValueError(
            f"corrupt tbexplain manifest: more than {MAX_MANIFEST_BYTES} bytes "
            "once decompressed"
        )
    if not inflater.eof:
        raise ValueError("corrupt tbexplain manifest: truncated zlib data")
    return text


def parse_manifest(data: bytes) -> dict[str, Any]:
    """Parses a step manifest (plain or zlib-compressed JSON) as it was written.

    Raises:
      ValueError: the data is not a (compressed) JSON object of at most
        `MAX_MANIFEST_BYTES`, or nests deeper than the JSON parser goes.
    """
    if not isinstance(data, bytes):
        raise ValueError(
            f"corrupt tbexplain manifest: {type(data).__name__}, not bytes"
        )
    try:
        if data.lstrip()[:1] != b"{":
            data = _inflate(data)
        elif len(data) > MAX_MANIFEST_BYTES:
            raise ValueError(
                f"corrupt tbexplain manifest: more than {MAX_MANIFEST_BYTES} bytes"
            )
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, zlib.error) as e:
        raise ValueError(f"corrupt tbexplain manifest: {e}") from e
    except RecursionError:
        raise ValueError("corrupt tbexplain manifest: nested too deeply") from None
    if not isinstance(manifest, dict):
        raise ValueError("corrupt tbexplain manifest: not a JSON object")
    return manifest


def manifest_version(manifest: Mapping[str, Any]) -> int:
    """The format version of a parsed manifest, checked.

    Raises:
      UnsupportedVersionError: a version newer than `PROTO_VERSION`.
      ValueError: ``version`` is missing or not an int of at least 1 (a bool
        is not an int here).
    """
    version = manifest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(
            f"corrupt tbexplain manifest: version must be a positive int, "
            f"not {version!r}"
        )
    if version > PROTO_VERSION:
        raise UnsupportedVersionError(version)
    return version


def manifest_shape(manifest: Mapping[str, Any]) -> list[int]:
    """The row shape of a parsed manifest: 1 to 4 positive ints ([T], [H, W],
    [H, W, C], [D, H, W] or [D, H, W, C]).

    Raises:
      ValueError: ``shape`` is missing or not such a list.
    """
    shape = manifest.get("shape")
    if (
        not isinstance(shape, list)
        or not 1 <= len(shape) <= 4
        or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape
        )
    ):
        raise ValueError(
            f"corrupt tbexplain manifest: shape must be 1 to 4 positive ints, "
            f"not {str(shape)[:100]}"
        )
    return shape


def _items(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Version 1's per-blob objects (raises when missing or corrupt)."""
    items = manifest.get("items")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("corrupt tbexplain manifest: no columns or items")
    return items


def manifest_columns(
    manifest: dict[str, Any],
) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """The (columns, names) of a parsed manifest of either layout.

    Version 1's per-blob ``items`` become columns (a fact an item lacks is
    None; their ``class_name``/``label_name`` stay columns of their own).

    Raises:
      ValueError: missing or corrupt columns or items; a value that is not a
        JSON scalar (string, number, bool or null).
    """
    if "columns" not in manifest:
        items = _items(manifest)
        keys = list(dict.fromkeys(k for item in items for k in item))
        columns = {k: [item.get(k) for item in items] for k in keys}
        names: Any = {}
    else:
        columns = manifest["columns"]
        names = manifest.get("names", {})
    if not isinstance(columns, dict) or not all(
        isinstance(v, list) for v in columns.values()
    ):
        raise ValueError("corrupt tbexplain manifest: columns must be lists")
    for key, values in columns.items():
        if key == TOKENS_COLUMN:
            if not all(
                isinstance(v, list) and all(isinstance(t, str) for t in v)
                for v in values
            ):
                raise ValueError(
                    "corrupt tbexplain manifest: the tokens column must hold a "
                    "list of strings per row"
                )
        elif not all(isinstance(v, _SCALARS) for v in values):
            raise ValueError(
                f"corrupt tbexplain manifest: column {key!r} holds a value that "
                "is not a string, number, bool or null"
            )
    if not isinstance(names, dict) or not all(
        isinstance(v, str) for v in names.values()
    ):
        raise ValueError("corrupt tbexplain manifest: names must be an object")
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(
            f"corrupt tbexplain manifest: columns of lengths {sorted(lengths)}"
        )
    return columns, names


def manifest_length(columns: Mapping[str, Sequence[Any]]) -> int:
    """How many blobs the columns describe (0 without columns)."""
    return len(next(iter(columns.values()), []))


def manifest_tiles(manifest: Mapping[str, Any]) -> int:
    """How many rows' images each blob of a parsed manifest holds (1 before
    version 3).

    Raises:
      ValueError: ``tiles`` is not a positive int.
    """
    tiles = manifest.get("tiles", 1)
    if isinstance(tiles, bool) or not isinstance(tiles, int) or tiles < 1:
        raise ValueError(
            f"corrupt tbexplain manifest: tiles must be a positive int, not {tiles!r}"
        )
    return tiles


def blob_count(rows: int, tiles: int) -> int:
    """How many blobs hold the images of `rows` manifest rows, `tiles` each."""
    return -(-rows // tiles)


# The largest integer a JSON reader of doubles (the browser) holds exactly.
_MAX_SAFE_INT = 2**53 - 1


def _name_key(value: Any) -> str | None:
    """The ``names`` key of an id: the digits of an integral number within
    ±`_MAX_SAFE_INT` (a browser cannot tell 3 from 3.0, nor hold more);
    None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return str(int(value)) if abs(value) <= _MAX_SAFE_INT else None


def manifest_items(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One object per image (manifest row), from a parsed manifest of either layout.

    The one decoder of manifest rows in Python; the frontend's
    `expandManifest` (``frontend/src/api.ts``) follows the same rules, and
    both are held to the fixtures in ``tests/fixtures/manifests/``:

    * a row holds each column's value, a null left out, but for ``score``
      and ``predicted``, whose null is kept (a non-finite score; a model
      without classes);
    * an id of ``class_id``, ``label`` or ``predicted`` named in the
      ``names`` table adds ``class_name``, ``label_name`` or
      ``predicted_name``;
    * version 1's per-row ``items`` are read as columns first (`manifest_columns`).

    Raises:
      ValueError: missing or corrupt columns or items.
    """
    columns, names = manifest_columns(manifest)
    named = [(k, _NAMED_COLUMNS[k]) for k in columns if k in _NAMED_COLUMNS]
    rows = []
    for values in zip(*columns.values(), strict=True):
        row = {
            k: v
            for k, v in zip(columns, values, strict=True)
            if v is not None or k in _KEPT_NULLS
        }
        for column, name_column in named:
            key = _name_key(row.get(column))
            if key in names:
                row[name_column] = names[key]
        rows.append(row)
    return rows


def decode_manifest(data: bytes) -> dict[str, Any]:
    """Parses a step manifest into ``{"version", "kind", "shape", "items"}``.

    Reads plain or zlib-compressed JSON of either layout (`manifest_items`).
    A manifest of a newer or an invalid version is returned as parsed (check
    ``version`` with `manifest_version`).

    Raises:
      ValueError: the data is not a (compressed) JSON object, or its columns
        are corrupt.
    """
    manifest = parse_manifest(data)
    try:
        manifest_version(manifest)
    except ValueError:  # Newer (UnsupportedVersionError) or invalid.
        return manifest
    if "columns" in manifest:
        items = manifest_items(manifest)
        manifest = {k: v for k, v in manifest.items() if k not in ("columns", "names")}
        manifest["items"] = items
    return manifest


def metrics_prefix(tag: str) -> str:
    """The prefix of the scalar tags that hold the metrics of series `tag`.

    The metrics of series ``P/S`` (``P`` the tag's first segment, e.g.
    ``explain/gradcam`` or ``explain/gradcam/conv2``) are the scalars
    ``P/metrics/S/<metric>`` of the same run (e.g.
    ``explain/metrics/gradcam/pointing_game``); a metric name has no ``/``.
    A tag without ``/`` has its metrics under ``metrics/<tag>/``.
    """
    head, sep, rest = tag.partition("/")
    return f"{head}/metrics/{rest}/" if sep else f"metrics/{tag}/"
