"""The on-disk format shared by the tbexplain writer and the TensorBoard plugin.

This is the only module that touches the metadata proto. It is imported by the
writer (`tbexplain.summary`) and by the plugin backend, so it must never import
TensorFlow or `tbexplain`.

A tbexplain series is a `DATA_CLASS_BLOB_SEQUENCE` summary. Each step's value is
a rank-1 string tensor ``[manifest_json, blob_0, ..., blob_k]``:

* the per-series, never-changing facts (kind, method, layer, signedness,
  encoding, the tag of the overlaid inputs) are in the `ExplainPluginData`
  proto stored as the summary's plugin content;
* the per-step facts (shape, per-blob sample index, class id and name, score,
  label, raw min/max, non-finite counts) are in the JSON manifest, because
  TensorBoard keeps only the first event's metadata of a series;
* each blob is an 8-bit PNG. Heatmaps are rescaled from their own raw
  ``[min, max]`` (kept in the manifest), so the UI can put maps of any step and
  run back on one shared scale.
"""

from __future__ import annotations

import json
from typing import Any

from tensorboard.compat.proto import summary_pb2

from tbexplain_plugin import plugin_data_pb2

PLUGIN_NAME = "tbexplain"

# Increment when a reader of the old version could misread the new data.
PROTO_VERSION = 1

KIND_EXPLANATION = "explanation"
KIND_INPUTS = "inputs"
KIND_ACTIVATIONS = "activations"
KIND_FILTERS = "filters"

ENCODING_PNG8 = "png8"

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

    Returns:
      A `SummaryMetadata` with `data_class` set to `DATA_CLASS_BLOB_SEQUENCE`.
      (Third-party plugins must set it, or the Rust data server drops the data.)
    """
    if kind not in _KIND_TO_ENUM:
        raise ValueError(f"kind must be one of {KINDS}. Received: kind={kind!r}")
    content = plugin_data_pb2.ExplainPluginData(
        version=PROTO_VERSION,
        kind=_KIND_TO_ENUM[kind],
        method=method,
        layer=layer,
        signed=signed,
        encoding=encoding,
        inputs_tag=inputs_tag,
        stage=stage,
    )
    return summary_pb2.SummaryMetadata(
        display_name=display_name,
        summary_description=description,
        plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=PLUGIN_NAME, content=content.SerializeToString()
        ),
        data_class=summary_pb2.DATA_CLASS_BLOB_SEQUENCE,
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


def encode_manifest(manifest: dict[str, Any]) -> bytes:
    """Serialises a step manifest (element 0 of each step's blob sequence).

    Non-finite floats are not valid JSON; the writer records them as flags and
    must not put NaN or infinity into the manifest.
    """
    return json.dumps(
        {"version": PROTO_VERSION, **manifest}, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def decode_manifest(data: bytes) -> dict[str, Any]:
    """Parses a step manifest; raises ValueError when it is not a JSON object."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"corrupt tbexplain manifest: {e}") from e
    if not isinstance(manifest, dict):
        raise ValueError("corrupt tbexplain manifest: not a JSON object")
    return manifest
