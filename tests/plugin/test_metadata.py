"""The on-disk format module: metadata round trip, versions, manifests."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
from tensorboard.compat.proto import summary_pb2

from tbexplain_plugin import metadata, plugin_data_pb2


@pytest.mark.parametrize("kind", metadata.KINDS)
def test_round_trip_of_every_kind(kind: str):
    md = metadata.create_summary_metadata(
        kind,
        method="gradcam",
        layer="backbone/out_relu",
        signed=True,
        inputs_tag="explain/inputs",
        stage="augmented",
        display_name="Grad-CAM",
        description="*maps*",
    )
    assert md.data_class == summary_pb2.DATA_CLASS_BLOB_SEQUENCE
    assert md.plugin_data.plugin_name == metadata.PLUGIN_NAME == "tbexplain"
    assert md.display_name == "Grad-CAM"
    assert md.summary_description == "*maps*"
    # Survives serialisation as TensorBoard stores it.
    md = summary_pb2.SummaryMetadata.FromString(md.SerializeToString())
    parsed = metadata.parse_plugin_metadata(md.plugin_data.content)
    assert parsed.version == metadata.PROTO_VERSION
    assert metadata.kind_name(parsed) == kind
    assert parsed.method == "gradcam"
    assert parsed.layer == "backbone/out_relu"
    assert parsed.signed is True
    assert parsed.inputs_tag == "explain/inputs"
    assert parsed.stage == "augmented"
    assert parsed.encoding == metadata.ENCODING_PNG8


def test_defaults():
    parsed = metadata.parse_plugin_metadata(
        metadata.create_summary_metadata("inputs").plugin_data.content
    )
    assert (parsed.method, parsed.layer, parsed.signed) == ("", "", False)
    assert parsed.encoding == "png8"


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="Received: kind='heatmap'"):
        metadata.create_summary_metadata("heatmap")


def test_newer_version_raises_unsupported_version():
    content = plugin_data_pb2.ExplainPluginData(
        version=metadata.PROTO_VERSION + 1,
        kind=plugin_data_pb2.ExplainPluginData.EXPLANATION,
    ).SerializeToString()
    with pytest.raises(metadata.UnsupportedVersionError) as info:
        metadata.parse_plugin_metadata(content)
    assert info.value.version == metadata.PROTO_VERSION + 1
    assert isinstance(info.value, ValueError)
    assert "newer" in str(info.value)


def test_newer_version_with_unknown_fields_and_kind_is_still_a_version_error():
    # A future writer may add fields and kinds; the version check comes first.
    future = plugin_data_pb2.ExplainPluginData(
        version=7, kind=plugin_data_pb2.ExplainPluginData.FILTERS
    ).SerializeToString()
    future += b"\xa8\x06\x01"  # field 101 (varint), unknown to this reader
    with pytest.raises(metadata.UnsupportedVersionError):
        metadata.parse_plugin_metadata(future)


@pytest.mark.parametrize(
    "content",
    [
        b"",  # version 0
        plugin_data_pb2.ExplainPluginData(version=1).SerializeToString(),  # no kind
        b"\xff\xff\xff\xff",
    ],
)
def test_invalid_content_is_a_value_error(content: bytes):
    with pytest.raises(ValueError) as info:
        metadata.parse_plugin_metadata(content)
    assert not isinstance(info.value, metadata.UnsupportedVersionError)


def test_content_must_be_bytes():
    with pytest.raises(TypeError, match="str"):
        metadata.parse_plugin_metadata("abc")  # type: ignore[arg-type]


def test_manifest_round_trip():
    raw = metadata.encode_manifest(
        "explanation",
        (4, 5),
        {
            "sample": [0, 1, 1],
            "class_id": [3, 1, 7],
            "score": [1.5, None, -2.25],
            "min": [-1.0, 0.0, 0.5],
            "max": [2.0, 1.0, 0.75],
            "nonfinite": [0, 3, 0],
        },
        {3: "cat", 1: "dog"},
    )
    assert b" " not in zlib.decompress(raw)  # compact JSON, compressed
    decoded = metadata.decode_manifest(raw)
    assert decoded["version"] == metadata.PROTO_VERSION
    assert decoded["kind"] == "explanation" and decoded["shape"] == [4, 5]
    assert decoded["items"] == [
        {"sample": 0, "class_id": 3, "score": 1.5, "min": -1.0, "max": 2.0,
         "nonfinite": 0, "class_name": "cat"},
        {"sample": 1, "class_id": 1, "score": None, "min": 0.0, "max": 1.0,
         "nonfinite": 3, "class_name": "dog"},
        # Class 7 has no name: the item has none.
        {"sample": 1, "class_id": 7, "score": -2.25, "min": 0.5, "max": 0.75,
         "nonfinite": 0},
    ]  # fmt: skip


def test_manifest_floats_keep_float32_precision_in_fewer_bytes():
    values = np.random.default_rng(0).normal(size=64).astype(np.float32)
    raw = metadata.encode_manifest("explanation", (2, 2), {"max": values.tolist()})
    decoded = [item["max"] for item in metadata.decode_manifest(raw)["items"]]
    np.testing.assert_array_equal(np.float32(decoded), values)
    as_float64 = json.dumps(values.tolist()).encode()
    assert len(raw) < 0.75 * len(as_float64)


def test_manifests_are_about_a_seventh_of_version_1s_bytes():
    n = 16
    columns = {
        "sample": list(range(n)),
        "min": [0.0] * n,
        "max": [float(np.float32(1.0 + i / 7)) for i in range(n)],
        "nonfinite": [0] * n,
        "class_id": [i % 10 for i in range(n)],
        "score": [float(np.float32(1.5 + i / 3)) for i in range(n)],
        "label": [i % 10 for i in range(n)],
    }
    names = {i: f"class_{i}" for i in range(10)}
    raw = metadata.encode_manifest("explanation", (64, 64), columns, names)
    items = metadata.decode_manifest(raw)["items"]
    version_1 = json.dumps(
        {"version": 1, "kind": "explanation", "shape": [64, 64], "items": items},
        separators=(",", ":"),
    ).encode()
    assert len(raw) < len(version_1) / 6.5  # 326 vs 2275 bytes


def test_version_1_manifests_are_still_read():
    manifest = {
        "version": 1,
        "kind": "explanation",
        "shape": [4, 5],
        "items": [{"sample": 0, "class_id": 3, "class_name": "cat", "min": -1.0}],
    }
    assert metadata.decode_manifest(json.dumps(manifest).encode()) == manifest


@pytest.mark.parametrize(
    "manifest",
    [
        {"version": 2, "columns": {"min": [1.0], "max": [1.0, 2.0]}},
        {"version": 2, "columns": {"min": 1.0}},
        {"version": 2, "columns": [1.0]},
        {"version": 2, "columns": {"class_id": [1]}, "names": ["a"]},
    ],
)
def test_corrupt_columns_are_value_errors(manifest: dict):
    with pytest.raises(ValueError, match="corrupt tbexplain manifest"):
        metadata.decode_manifest(json.dumps(manifest).encode())


def test_columns_of_different_lengths_are_not_written():
    with pytest.raises(ValueError, match="one length"):
        metadata.encode_manifest("inputs", (1, 1, 3), {"min": [0.0], "max": []})


def test_manifest_rejects_non_finite_numbers():
    with pytest.raises(ValueError):
        metadata.encode_manifest("explanation", (1, 1), {"min": [float("nan")]})


@pytest.mark.parametrize(
    "raw", [b"[1, 2]", b"{", b"\xff\xfe", b'"text"', zlib.compress(b"[1]"), b"x\x9c"]
)
def test_corrupt_manifests_are_value_errors(raw: bytes):
    with pytest.raises(ValueError, match="corrupt tbexplain manifest"):
        metadata.decode_manifest(raw)


def test_manifest_is_compressed_json():
    raw = metadata.encode_manifest("inputs", [1, 1, 3], {"sample": []})
    assert json.loads(zlib.decompress(raw))["version"] == metadata.PROTO_VERSION


@pytest.mark.parametrize("version", [0, -1])
def test_a_series_version_below_1_is_invalid(version: int):
    # A valid kind: only the version makes it invalid.
    content = plugin_data_pb2.ExplainPluginData(
        version=version, kind=plugin_data_pb2.ExplainPluginData.EXPLANATION
    ).SerializeToString()
    with pytest.raises(ValueError, match=f"version={version}") as info:
        metadata.parse_plugin_metadata(content)
    assert not isinstance(info.value, metadata.UnsupportedVersionError)


def test_versions_1_to_the_current_are_valid():
    for version in range(1, metadata.PROTO_VERSION + 1):
        content = plugin_data_pb2.ExplainPluginData(
            version=version, kind=plugin_data_pb2.ExplainPluginData.INPUTS
        ).SerializeToString()
        assert metadata.parse_plugin_metadata(content).version == version


@pytest.mark.parametrize(
    ("rows", "tiles", "blobs"),
    [(0, 1, 0), (1, 1, 1), (5, 1, 5), (3, 2, 2), (4, 2, 2), (5, 2, 3), (16, 16, 1),
     (17, 16, 2), (1, 16, 1)],
)  # fmt: skip
def test_blob_count_is_rows_over_tiles_rounded_up(rows: int, tiles: int, blobs: int):
    assert metadata.blob_count(rows, tiles) == blobs


@pytest.mark.parametrize(
    ("shape", "height"), [([8, 5], 8), ([8, 5, 3], 8), ([7], 1), ([1, 9], 1)]
)
def test_tile_height_is_the_image_height_or_1_for_sequences(shape, height):
    layout = metadata.resolve_layout("", shape)
    assert metadata.tile_geometry(layout, shape).height == height


@pytest.mark.parametrize(
    ("layout", "shape", "geometry"),
    [
        ("image", [16, 12], (12, 16, 1, 1)),
        ("image", [16, 12, 3], (12, 16, 1, 3)),
        ("sequence", [20], (20, 1, 1, 1)),
        # Sequence inputs [T, C]: channel c in pixel row c, C rows of T.
        ("sequence", [20, 2], (20, 2, 1, 1)),
        ("tokens", [8], (8, 1, 1, 1)),
        ("features", [4], (4, 1, 1, 1)),
        # Volume maps [D, H, W] and inputs [D, H, W, C]: D frames stacked.
        ("volume", [4, 8, 6], (6, 32, 4, 1)),
        ("volume", [4, 8, 6, 1], (6, 32, 4, 1)),
        ("volume", [4, 8, 6, 3], (6, 32, 4, 3)),
    ],
)
def test_tile_geometry_of_every_layout(layout, shape, geometry):
    tile = metadata.tile_geometry(layout, shape)
    assert tile == geometry
    assert (tile.width, tile.height, tile.frames, tile.channels) == geometry


@pytest.mark.parametrize(
    ("layout", "shape"),
    [("image", [5]), ("image", [4, 8, 6, 1]), ("tokens", [2, 3]), ("volume", [8, 6]),
     ("sequence", [2, 3, 4]), ("hologram", [3, 3])],
)  # fmt: skip
def test_tile_geometry_rejects_a_shape_its_layout_never_has(layout, shape):
    with pytest.raises(ValueError, match=r"Received: (shape|layout)="):
        metadata.tile_geometry(layout, shape)


def test_every_layout_is_described_once():
    assert tuple(metadata.LAYOUT_SPECS) == metadata.LAYOUTS
    assert metadata.LAYOUTS == (
        "image", "sequence", "tokens", "features", "volume"
    )  # fmt: skip
    for name, spec in metadata.LAYOUT_SPECS.items():
        assert spec.name == name and spec.map_rank in spec.ranks
        assert metadata.layout_spec(name) is spec
    with pytest.raises(ValueError, match="Received: layout='hologram'"):
        metadata.layout_spec("hologram")


def test_a_series_layout_is_the_recorded_one_else_its_shapes():
    for layout, shape in [("image", [3, 3]), ("sequence", [5]), ("tokens", [5]),
                          ("features", [5]), ("volume", [2, 3, 3])]:  # fmt: skip
        assert metadata.resolve_layout(layout, shape) == layout
    # Older series (no recorded layout): [T] a sequence, anything else an image.
    assert metadata.resolve_layout("", [12]) == "sequence"
    assert metadata.resolve_layout("", [8, 8]) == "image"
    assert metadata.resolve_layout("", [8, 8, 3]) == "image"
    # A layout this reader does not know is inferred, not trusted; so is one
    # whose rows never have the shape's rank (symbolic [T] maps said image).
    assert metadata.resolve_layout("hologram", [5]) == "sequence"
    assert metadata.resolve_layout("image", [5]) == "sequence"
    # Rows of one axis are one pixel row, whatever the layout says.
    for layout in ("tokens", "features", "sequence", "", "image"):
        tile = metadata.tile_geometry(metadata.resolve_layout(layout, [8]), [8])
        assert tile == (8, 1, 1, 1)


@pytest.mark.parametrize(
    ("rank", "layout"), [(1, "sequence"), (2, "image"), (3, "volume")]
)
def test_maps_default_to_the_layout_of_their_rank(rank: int, layout: str):
    assert metadata.default_map_layout(rank) == layout


def test_maps_of_another_rank_have_no_layout():
    with pytest.raises(ValueError, match="Received: rank=4"):
        metadata.default_map_layout(4)


@pytest.mark.parametrize(
    ("manifest", "tiles"), [({}, 1), ({"tiles": 1}, 1), ({"tiles": 16}, 16)]
)
def test_manifest_tiles(manifest: dict, tiles: int):
    assert metadata.manifest_tiles(manifest) == tiles


@pytest.mark.parametrize("tiles", [0, -1, True, "2", 2.0, None, [2]])
def test_manifest_tiles_must_be_a_positive_int(tiles):
    with pytest.raises(ValueError, match="tiles must be a positive int"):
        metadata.manifest_tiles({"tiles": tiles})


@pytest.mark.parametrize("version", [1, 2, metadata.PROTO_VERSION])
def test_manifest_version_accepts_known_ints(version: int):
    assert metadata.manifest_version({"version": version}) == version


@pytest.mark.parametrize("version", [True, False, 0, -1, "3", 3.0, None])
def test_manifest_version_rejects_what_is_not_a_known_int(version):
    with pytest.raises(ValueError, match="version must be a positive int"):
        metadata.manifest_version({"version": version})
    with pytest.raises(ValueError, match="version must be a positive int"):
        metadata.manifest_version({})


def test_a_newer_manifest_version_is_unsupported():
    with pytest.raises(metadata.UnsupportedVersionError):
        metadata.manifest_version({"version": metadata.PROTO_VERSION + 1})


@pytest.mark.parametrize(
    "shape", [None, [], [0, 2], [2, -1], [2, True], [1, 2, 3, 4, 5], "22", [2.0, 2]]
)
def test_manifest_shape_must_be_1_to_4_positive_ints(shape):
    with pytest.raises(ValueError, match="shape"):
        metadata.manifest_shape({"shape": shape})


def test_manifest_columns_hold_scalars_only():
    good = {"columns": {"a": [1, 2.5, "x", None, True]}}
    assert metadata.manifest_columns(good) == (good["columns"], {})
    for bad in ([[1]], [{"a": 1}]):
        with pytest.raises(ValueError, match="column 'a'"):
            metadata.manifest_columns({"columns": {"a": bad}})
    # The tokens column alone holds a list of token texts per row.
    tokens = {"columns": {"tokens": [["the", "film"], []]}}
    assert metadata.manifest_columns(tokens) == (tokens["columns"], {})
    for bad in ([["a", 1]], ["the film"], [[["a"]]]):
        with pytest.raises(ValueError, match="tokens column"):
            metadata.manifest_columns({"columns": {"tokens": bad}})
    assert metadata.manifest_shape({"shape": [4, 8, 8, 1]}) == [4, 8, 8, 1]


def test_deeply_nested_manifests_are_corrupt():
    with pytest.raises(ValueError, match="nested too deeply"):
        metadata.parse_manifest(b'{"a":' + b"[" * 100_000)


def test_decompression_stops_at_the_size_limit():
    limit = metadata.MAX_MANIFEST_BYTES
    bomb = zlib.compress(b'{"a":"' + b"x" * (4 * limit) + b'"}', 9)
    assert len(bomb) < limit // 100
    with pytest.raises(ValueError, match="once decompressed"):
        metadata.parse_manifest(bomb)
    with pytest.raises(ValueError, match=f"more than {limit} bytes"):
        metadata.parse_manifest(b'{"a":"' + b"x" * limit + b'"}')
    fits = b'{"a":"' + b"x" * (limit - 8) + b'"}'
    assert metadata.parse_manifest(zlib.compress(fits)) == {"a": "x" * (limit - 8)}


def test_truncated_zlib_manifests_are_corrupt():
    raw = metadata.encode_manifest("inputs", [1, 1, 3], {"sample": [0]})
    with pytest.raises(ValueError, match="truncated"):
        metadata.parse_manifest(raw[:-6])


def test_manifests_over_the_size_limit_are_not_written():
    rows = metadata.MAX_MANIFEST_BYTES // 4
    with pytest.raises(ValueError, match="at most"):
        metadata.encode_manifest("explanation", (2, 2), {"sample": list(range(rows))})


@pytest.mark.parametrize(
    ("tag", "prefix"),
    [
        ("explain/gradcam", "explain/metrics/gradcam/"),
        ("explain/gradcam/conv2", "explain/metrics/gradcam/conv2/"),
        ("gradcam", "metrics/gradcam/"),
    ],
)
def test_metrics_prefix(tag: str, prefix: str):
    assert metadata.metrics_prefix(tag) == prefix
