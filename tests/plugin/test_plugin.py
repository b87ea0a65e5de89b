"""Routes through MultiplexerDataProvider -> TBContext -> TensorBoardWSGI."""

from __future__ import annotations

import base64
import gzip
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from tensorboard import errors
from tensorboard.plugins import base_plugin

from tbexplain_plugin import metadata, plugin_data_pb2
from tests.helpers.logdir import CLASS_NAMES, INPUTS_TAG, LogdirInfo, make_logdir
from tests.helpers.reader import split_strips
from tests.plugin import events
from tests.plugin.conftest import (
    PREFIX,
    TINY_PNG,
    App,
    make_app,
    manifest_bytes,
    write_raw_series,
)


def q(**params: Any) -> str:
    return urllib.parse.urlencode(params)


def served_images(app: App, entry: dict[str, Any]) -> list[np.ndarray]:
    """Each row's image of a /steps entry, cut from the strips its blob URLs
    serve (checking each blob response)."""
    strips = []
    for url in entry["blobs"]:
        response = app.get(url)  # relative to the plugin's route prefix
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Cache-Control"] == "private, max-age=3600"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert int(response.headers["Content-Length"]) == len(response.data)
        strips.append(response.data)
    return split_strips(entry["manifest"], strips, entry["layout"])


# /tags ------------------------------------------------------------------------


def test_tags_lists_every_series_with_its_facts(app: App, logdir_info: LogdirInfo):
    body = app.get_json("tags")
    assert body["skipped"] == []
    assert sorted(body["runs"]) == sorted(logdir_info.runs)
    for run in logdir_info.runs:
        series = body["runs"][run]
        assert sorted(series) == sorted(logdir_info.tags)
        for tag, expected in logdir_info.tags.items():
            facts = series[tag]
            for key in ("kind", "method", "layer", "signed", "inputs_tag", "samples"):
                assert facts[key] == expected[key], (run, tag, key)
            assert facts["encoding"] == "png8"
            assert facts["max_step"] == logdir_info.steps[-1]
            assert facts["max_wall_time"] > 1.5e9
    assert body["runs"]["run_a"][INPUTS_TAG]["stage"] == INPUTS_TAG


def test_plugin_metadata_and_activity(app: App):
    frontend = app.plugin.frontend_metadata()
    assert frontend.es_module_path == "/index.js"
    assert frontend.tab_name == "Explanations"
    assert app.plugin.is_active() is False
    assert set(app.plugin.get_plugin_apps()) == {
        "/tags",
        "/steps",
        "/blob",
        "/metrics",
        "/index.js",
        "/static/*",
    }


def test_never_reads_the_multiplexer(logdir_info: LogdirInfo):
    class NoMultiplexer(base_plugin.TBContext):
        def __getattribute__(self, name: str) -> Any:
            if name == "multiplexer":
                raise AssertionError("the plugin read context.multiplexer")
            return super().__getattribute__(name)

    app = make_app(logdir_info.path, context_type=NoMultiplexer)
    assert app.get_json("tags")["runs"]["run_a"]
    steps = app.get_json("steps?" + q(run="run_b", tag="explain/saliency"))
    assert len(steps["steps"]) == len(logdir_info.steps)


# /steps -----------------------------------------------------------------------


def test_steps_returns_every_step_with_manifest_and_blobs(
    app: App, logdir_info: LogdirInfo
):
    tag = "explain/gradcam"
    body = app.get_json("steps?" + q(run="run_a", tag=tag))
    assert body["run"] == "run_a" and body["tag"] == tag
    assert body["skipped_steps"] == []
    assert [s["step"] for s in body["steps"]] == list(logdir_info.steps)
    for entry in body["steps"]:
        manifest = entry["manifest"]
        assert manifest["version"] == metadata.PROTO_VERSION
        assert manifest["kind"] == "explanation"
        assert manifest["shape"] == [logdir_info.size, logdir_info.size]
        items = metadata.manifest_items(manifest)
        assert len(items) == logdir_info.samples
        assert manifest["tiles"] == logdir_info.samples
        assert len(entry["blobs"]) == 1  # one strip per step
        maps = logdir_info.maps("run_a", tag, entry["step"])
        for i, item in enumerate(items):
            assert item["sample"] == i
            assert item["class_name"] == CLASS_NAMES[item["class_id"]]
            assert item["min"] == pytest.approx(float(maps[i].min()), rel=1e-5)
            assert item["max"] == pytest.approx(float(maps[i].max()), rel=1e-5)
            assert item["nonfinite"] == 0
        assert all(b.startswith("blob?key=") for b in entry["blobs"])
        assert len(set(entry["blobs"])) == len(entry["blobs"])


def test_blob_pixels_give_back_the_logged_map(app: App, logdir_info: LogdirInfo):
    tag = "explain/saliency"
    body = app.get_json("steps?" + q(run="run_b", tag=tag, step=3))
    [entry] = body["steps"]
    assert entry["step"] == 3
    maps = logdir_info.maps("run_b", tag, 3)
    images = served_images(app, entry)
    assert len(images) == len(maps)
    for i, image in enumerate(images):
        pixels = image[..., 0].astype(np.float64)
        item = metadata.manifest_items(entry["manifest"])[i]
        raw = item["min"] + pixels / 255.0 * (item["max"] - item["min"])
        step_size = (item["max"] - item["min"]) / 255.0
        np.testing.assert_allclose(raw, maps[i], atol=step_size * 0.51 + 1e-6)


def test_inputs_blobs_are_the_images(app: App, logdir_info: LogdirInfo):
    body = app.get_json("steps?" + q(run="run_a", tag=INPUTS_TAG, step=0))
    [entry] = body["steps"]
    assert entry["manifest"]["shape"] == [logdir_info.size, logdir_info.size, 3]
    images = logdir_info.images("run_a", 0)
    pixels = served_images(app, entry)[2]
    expected = np.clip(np.rint(images[2] * 255), 0, 255)
    np.testing.assert_array_equal(pixels, expected.astype(np.uint8))
    labels = entry["manifest"]["columns"]["label"]
    assert labels == logdir_info.labels("run_a").tolist()


LAYOUT_CASES = {
    # tag: (layout, writer, array); the layout None: the op's default.
    "image/maps": (None, "explanation", (2, 6, 5)),
    "image/inputs": (None, "inputs", (2, 6, 5, 3)),
    "sequence/maps": (None, "explanation", (2, 9)),
    "sequence/inputs": ("sequence", "inputs", (2, 9, 2)),
    "tokens/maps": ("tokens", "explanation", (2, 7)),
    "tokens/inputs": ("tokens", "inputs", (2, 7)),
    "features/maps": ("features", "explanation", (2, 4)),
    "features/inputs": ("features", "inputs", (2, 4)),
    "volume/maps": (None, "explanation", (2, 3, 4, 5)),
    "volume/inputs": (None, "inputs", (2, 3, 4, 5, 3)),
}


def test_steps_serve_each_steps_layout_and_tile(tmp_path: Path):
    from tbexplain import summary

    rng = np.random.default_rng(0)
    with tf.summary.create_file_writer(str(tmp_path / "run")).as_default():
        for tag, (layout, op, shape) in LAYOUT_CASES.items():
            if op == "inputs":
                array = rng.integers(1, 9, shape)
                summary.inputs(tag, array, step=0, layout=layout)
            else:
                array = rng.normal(size=shape).astype(np.float32)
                summary.explanation(tag, array, step=0, method="m", layout=layout)
    # A series of format version 3 (no layout recorded) with [T] maps.
    old = events.plugin_content(version=3)
    write_raw_series(
        tmp_path / "run",
        "old/sequence",
        [
            [
                events.manifest(shape=[6], version=3),
                events.png(np.zeros((1, 6), np.uint8)),
            ]
        ],
        content=old,
    )
    app = make_app(tmp_path)
    for tag, (_, _, shape) in LAYOUT_CASES.items():
        [entry] = app.get_json("steps?" + q(run="run", tag=tag))["steps"]
        assert entry["layout"] == tag.split("/")[0], tag
        tile = metadata.tile_geometry(entry["layout"], entry["manifest"]["shape"])
        assert entry["tile"] == tile._asdict(), tag
        # The strip holds the rows' tiles of that size, stacked.
        [image] = served_images(app, entry)[:1]
        assert image.shape[:2] == (tile.height, tile.width), tag
        frames = shape[1] if tag.startswith("volume") else 1
        assert entry["tile"]["frames"] == frames
    [entry] = app.get_json("steps?" + q(run="run", tag="old/sequence"))["steps"]
    assert entry["layout"] == "sequence"
    assert entry["tile"] == {"width": 6, "height": 1, "frames": 1, "channels": 1}


def test_a_recorded_layout_without_rows_of_the_shape_gives_way_to_the_shapes(
    tmp_path: Path,
):
    # Tokens rows are [T]: a [2, 2] step of a tokens series is read as an image.
    content = plugin_data_pb2.ExplainPluginData(
        version=metadata.PROTO_VERSION,
        kind=plugin_data_pb2.ExplainPluginData.EXPLANATION,
        layout="tokens",
    ).SerializeToString()
    write_raw_series(
        tmp_path / "run", "t", [[manifest_bytes(), TINY_PNG]], content=content
    )
    body = make_app(tmp_path).get_json("steps?" + q(run="run", tag="t"))
    [entry] = body["steps"]
    assert entry["layout"] == "image"
    assert entry["tile"] == {"width": 2, "height": 2, "frames": 1, "channels": 1}


def test_steps_respects_sampling_hints(logdir_info: LogdirInfo):
    app = make_app(logdir_info.path, sampling_hints={"tbexplain": 2})
    steps = app.get_json("steps?" + q(run="run_a", tag="explain/gradcam"))["steps"]
    assert len(steps) == 2
    assert [s["step"] for s in steps] == sorted(s["step"] for s in steps)


def test_manifests_are_read_once_in_one_call(logdir_info: LogdirInfo):
    app = make_app(logdir_info.path)
    blob_reads = app.calls_to("read_blob")
    tensor_reads = app.calls_to("read_tensors")
    route = "steps?" + q(run="run_a", tag="explain/gradcam")
    first = app.get_json(route)
    # Every step's manifest from its manifest tensor (format version 5).
    assert (len(blob_reads), len(tensor_reads)) == (0, 1)
    second = app.get_json(route)
    assert (len(blob_reads), len(tensor_reads)) == (0, 1)  # all from the cache
    assert first == second


def test_steps_answer_is_reused_until_the_data_changes(tmp_path: Path):
    run_dir = tmp_path / "run"
    write_raw_series(run_dir, "a", [[manifest_bytes(), TINY_PNG]] * 2)
    write_raw_series(run_dir, "b", [[manifest_bytes(), TINY_PNG]])
    app = make_app(tmp_path)
    reads = app.calls_to("read_blob_sequences")
    manifest_reads = app.calls_to("read_blob")
    route = "steps?" + q(run="run", tag="a")
    full = app.get_json(route)
    assert len(manifest_reads) == 2
    assert [s["step"] for s in full["steps"]] == [0, 1]
    for _ in range(3):  # polls of an unchanged series read no steps
        assert app.get_json(route) == full
    assert len(reads) == 1
    # Other series and single steps are answered (and cached) separately.
    assert [
        s["step"] for s in app.get_json("steps?" + q(run="run", tag="b"))["steps"]
    ] == [0]
    one = app.get_json(route + "&step=1")
    assert [s["step"] for s in one["steps"]] == [1]
    assert len(reads) == 3  # not the skipped series'

    # A live run adds a step: the next poll reads and answers it, taking the
    # manifests of the steps it already had from its previous answer.
    write_raw_series(run_dir, "a", [[manifest_bytes(), TINY_PNG]] * 3)
    app.reload()
    manifest_reads.clear()
    longer = app.get_json(route)
    assert [s["step"] for s in longer["steps"]] == [0, 1, 2]
    assert longer["steps"][:2] == full["steps"]
    assert len(reads) == 4
    assert len(manifest_reads) == 1
    assert app.get_json(route) == longer
    assert len(reads) == 4
    # A series that disappears is a 404, not a stale answer.
    app.get_json("steps?" + q(run="run", tag="gone"), status=404)


def test_steps_is_gzipped_for_clients_that_accept_it(app: App):
    route = "/data/plugin/tbexplain/steps?" + q(run="run_a", tag="explain/gradcam")
    zipped = app.client.get(route, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    plain = app.client.get(route)
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.data) == plain.data


# Bad requests -----------------------------------------------------------------

BAD_REQUESTS = [
    ("steps", 400),
    ("steps?" + q(run="run_a"), 400),
    ("steps?" + q(tag="explain/gradcam"), 400),
    ("steps?" + q(run="", tag="explain/gradcam"), 400),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step="abc"), 400),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step="1.5"), 400),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step="1e3"), 400),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step=""), 400),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step="9" * 40), 400),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step="--1"), 400),
    ("steps?" + q(run="nope", tag="explain/gradcam"), 404),
    ("steps?" + q(run="run_a", tag="nope"), 404),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step=99), 404),
    ("steps?" + q(run="run_a", tag="explain/gradcam", step=-1), 404),
    ("steps?" + q(run="../../etc", tag="\x00"), 404),
    ("steps?" + q(run="r\u00e9\u6f22", tag="%%%"), 404),
    ("blob", 400),
    ("blob?key=", 400),
    ("blob?" + q(key="not-a-key"), 404),
    ("blob?" + q(key="!!!###"), 404),
    ("blob?" + q(key="\u00e9\u00e9"), 404),
    ("blob?" + q(key="W10"), 404),  # base64 of "[]"
    ("blob?" + q(key="e30"), 404),  # base64 of "{}"
    ("blob?" + q(key="WyIiLCJ0YmV4cGxhaW4iLCJydW5fYSIsIngiLDAsMF0"), 404),  # tag x
    ("blob?" + q(key="A" * 5000), 404),
    ("metrics", 400),
    ("metrics?" + q(run="run_a"), 400),
    ("metrics?" + q(tag="explain/gradcam"), 400),
    ("metrics?" + q(run="run_a", tag="nope"), 404),
    ("metrics?" + q(run="nope", tag="explain/gradcam"), 404),
]


@pytest.mark.parametrize(("route", "status"), BAD_REQUESTS)
def test_bad_requests_give_json_errors(app: App, route: str, status: int):
    body = app.get_json(route, status=status)
    assert isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("route", ["tags", "steps", "blob", "metrics", "index.js"])
def test_methods_other_than_get_and_head_are_405(app: App, method: str, route: str):
    response = app.client.open(PREFIX + route, method=method, data=b"x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert "Received: method=" in json.loads(response.data)["error"]


def test_head_answers_like_get_without_a_body(app: App):
    route = "steps?" + q(run="run_a", tag="explain/gradcam")
    head = app.client.head(PREFIX + route)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == app.get(route).headers["Content-Length"]


def test_blob_of_a_manifest_is_not_served_as_an_image(app: App):
    entry = app.get_json("steps?" + q(run="run_a", tag="explain/gradcam", step=0))
    query = urllib.parse.urlsplit(entry["steps"][0]["blobs"][0]).query
    key = urllib.parse.parse_qs(query)["key"][0]
    # Python-path keys are base64 JSON [eid, plugin, run, tag, step, index];
    # index 0 is the step's manifest.
    fields = json.loads(base64.urlsafe_b64decode(key + "=="))
    assert fields[-1] == 1
    fields[-1] = 0
    manifest_key = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode()
    body = app.get_json("blob?" + q(key=manifest_key), status=404)
    assert "not a PNG image" in body["error"]


# Static files -----------------------------------------------------------------


@pytest.fixture
def static_app(logdir_info: LogdirInfo, tmp_path: Path) -> App:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.js").write_text("export function render() {}\n")
    (static / "assets" / "style.css").write_text("body{}")
    (static / "assets" / "font.woff2").write_bytes(b"wOF2")
    (static / ".hidden").write_text("TOP-SECRET")
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    (static / "link.txt").symlink_to(tmp_path / "secret.txt")
    return make_app(logdir_info.path, static_dir=str(static))


def test_static_files_are_served_with_fixed_types(static_app: App):
    response = static_app.get("index.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"export function render" in response.data
    css = static_app.get("static/assets/style.css")
    assert css.status_code == 200 and css.data == b"body{}"
    assert css.headers["Content-Type"].startswith("text/css")
    font = static_app.get("static/assets/font.woff2")
    assert font.headers["Content-Type"] == "font/woff2"
    assert static_app.get("static/index.js").status_code == 200


def test_missing_bundle_is_a_json_404(logdir_info: LogdirInfo, tmp_path: Path):
    app = make_app(logdir_info.path, static_dir=str(tmp_path / "no_static"))
    body = app.get_json("index.js", status=404)
    assert "not built" in body["error"]


@pytest.mark.parametrize(
    "path",
    [
        "static/../secret.txt",
        "static/..%2fsecret.txt",
        "static/%2e%2e/secret.txt",
        "static/assets/../../secret.txt",
        "static/..\\secret.txt",
        "static//etc/passwd",
        "static/%2Fetc%2Fpasswd",
        "static/.hidden",
        "static/link.txt",
        "static/assets",
        "static/assets/",
        "static/missing.js",
        "static/a%00b.js",
        "static/",
    ],
)
def test_static_route_refuses_paths_outside_the_bundle(static_app: App, path: str):
    response = static_app.get(path)
    assert response.status_code == 404, (path, response.data)
    assert b"TOP-SECRET" not in response.data


# Hostile logdirs --------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    make_logdir(
        root,
        runs=("good", "<script>alert(1)</script>"),
        steps=3,
        methods=("gradcam",),
        activations=False,
        samples=2,
        size=8,
    )
    # A series of a future format version, and one with corrupt metadata.
    write_raw_series(
        root / "good" / "future",
        "explain/future",
        [[manifest_bytes(version=metadata.PROTO_VERSION + 1), TINY_PNG]] * 2,
        version=metadata.PROTO_VERSION + 1,
    )
    write_raw_series(
        root / "good" / "corrupt",
        "explain/corrupt",
        [[manifest_bytes(), TINY_PNG]],
        content=b"\xff\xff\xff garbage",
    )
    # A series whose steps have bad manifests: not JSON, newer, wrong item
    # count, bad tiles, tiles that do not account for the blobs.
    write_raw_series(
        root / "good" / "badsteps",
        "explain/badsteps",
        [
            [b"not json", TINY_PNG],
            [manifest_bytes(version=9), TINY_PNG],
            [manifest_bytes(items=3), TINY_PNG],
            [manifest_bytes(), TINY_PNG],
            [],
            [manifest_bytes().replace(b'"min": 0.0', b'"min": NaN'), TINY_PNG],
            [manifest_bytes(tiles=0), TINY_PNG],
            [manifest_bytes(tiles="2"), TINY_PNG],
            [manifest_bytes(items=3, tiles=2), TINY_PNG],
            [manifest_bytes(items=3, tiles=2), TINY_PNG, TINY_PNG],
        ],
    )
    # A truncated event file next to good data.
    run_dir = root / "truncated"
    make_logdir(
        run_dir,
        runs=("t",),
        steps=2,
        methods=("saliency",),
        activations=False,
        samples=1,
        size=8,
    )
    [event_file] = list((run_dir / "t").iterdir())
    data = event_file.read_bytes()
    event_file.write_bytes(data[: len(data) - 37])
    return root


def test_hostile_logdir_is_served_without_errors(hostile_logdir: Path):
    app = make_app(hostile_logdir)
    body = app.get_json("tags")
    script_run = "<script>alert(1)</script>"
    assert set(body["runs"]["good"]) == {INPUTS_TAG, "explain/gradcam"}
    assert set(body["runs"][script_run]) == {INPUTS_TAG, "explain/gradcam"}
    skipped = {(s["run"], s["tag"]): s["reason"] for s in body["skipped"]}
    assert set(skipped) == {
        ("good/future", "explain/future"),
        ("good/corrupt", "explain/corrupt"),
    }
    assert "newer" in skipped[("good/future", "explain/future")]
    assert "corrupt" in skipped[("good/corrupt", "explain/corrupt")]
    # The run named <script> works like any other.
    steps = app.get_json("steps?" + q(run=script_run, tag="explain/gradcam"))
    assert [s["step"] for s in steps["steps"]] == [0, 1, 2]
    assert steps["run"] == script_run
    assert app.get(steps["steps"][0]["blobs"][0]).status_code == 200
    # The truncated file still gives its complete steps.
    truncated = body["runs"].get("truncated/t", {})
    assert INPUTS_TAG in truncated


def test_bad_manifests_are_reported_per_step(hostile_logdir: Path):
    app = make_app(hostile_logdir)
    response = app.get("steps?" + q(run="good/badsteps", tag="explain/badsteps"))
    assert response.status_code == 200

    def strict(constant: str) -> None:
        raise AssertionError(f"invalid JSON constant {constant}")

    body = json.loads(response.data, parse_constant=strict)
    assert [s["step"] for s in body["steps"]] == [3, 5, 9]
    assert body["steps"][1]["manifest"]["columns"]["min"] == ["NaN"]
    assert body["steps"][0]["manifest"]["tiles"] == 1  # version 2: none on disk
    assert body["steps"][2]["manifest"]["tiles"] == 2
    assert len(body["steps"][2]["blobs"]) == 2
    reasons = {s["step"]: s["reason"] for s in body["skipped_steps"]}
    assert sorted(reasons) == [0, 1, 2, 4, 6, 7, 8]
    assert "corrupt" in reasons[0]
    assert "version" in reasons[1]
    assert "1 blobs but 3 rows of 1 per blob" in reasons[2]
    assert "tiles must be a positive int" in reasons[6]
    assert "tiles must be a positive int" in reasons[7]
    assert "1 blobs but 3 rows of 2 per blob" in reasons[8]
    future = app.get_json("steps?" + q(run="good/future", tag="explain/future"))
    assert future["steps"] == []
    assert len(future["skipped_steps"]) == 2


def test_json_bodies_escape_nothing_dangerous_as_html(hostile_logdir: Path):
    app = make_app(hostile_logdir)
    response = app.get("tags")
    # JSON served as application/json with nosniff: never rendered as HTML.
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>alert(1)</script>" in json.loads(response.data)["runs"]


def test_empty_logdir(tmp_path: Path):
    os.makedirs(tmp_path / "empty")
    app = make_app(tmp_path / "empty")
    assert app.get_json("tags") == {"runs": {}, "skipped": []}
    app.get_json("steps?" + q(run="a", tag="b"), status=404)


def test_description_is_sanitised_html(tmp_path: Path):
    from tbexplain import summary

    writer = tf.summary.create_file_writer(str(tmp_path / "run"))
    with writer.as_default():
        summary.explanation(
            "x",
            np.ones((1, 4, 4), np.float32),
            step=0,
            method="m",
            description="**bold** <script>alert(1)</script>",
        )
    writer.close()
    body = make_app(tmp_path).get_json("tags")
    description = body["runs"]["run"]["x"]["description"]
    assert "<strong>bold</strong>" in description
    assert "<script>" not in description


def test_tags_answer_is_reused_until_the_listing_changes(tmp_path: Path):
    run_dir = tmp_path / "run"
    write_raw_series(run_dir, "a", [[manifest_bytes(), TINY_PNG]])
    app = make_app(tmp_path)
    listings = app.calls_to("list_blob_sequences")
    reads = app.calls_to("read_blob_sequences")
    blobs = app.calls_to("read_blob")
    first = app.get_json("tags")
    assert (len(listings), len(reads), len(blobs)) == (1, 1, 1)
    assert app.get_json("tags") == first
    # The second answer came from the cache: one listing, nothing read.
    assert (len(listings), len(reads), len(blobs)) == (2, 1, 1)
    assert first["runs"]["run"]["a"]["max_step"] == 0

    # New steps of a series and a new series (a live run) change the listing.
    write_raw_series(run_dir, "a", [[manifest_bytes(), TINY_PNG]] * 3)
    write_raw_series(run_dir, "b", [[manifest_bytes(), TINY_PNG]])
    app.reload()
    second = app.get_json("tags")
    assert second["runs"]["run"]["a"]["max_step"] == 2
    assert set(second["runs"]["run"]) == {"a", "b"}
    assert len(reads) == 2


def test_tags_counts_the_latest_steps_rows_reading_only_changed_series(
    tmp_path: Path,
):
    run_dir = tmp_path / "run"
    three_in_two_strips = [manifest_bytes(items=3, tiles=2), TINY_PNG, TINY_PNG]
    write_raw_series(run_dir, "a", [[manifest_bytes(items=2), TINY_PNG, TINY_PNG]])
    write_raw_series(run_dir, "b", [three_in_two_strips])
    write_raw_series(run_dir, "bad", [[b"not json", TINY_PNG]])
    write_raw_series(
        run_dir,
        "future",
        [[manifest_bytes(), TINY_PNG]],
        version=metadata.PROTO_VERSION + 1,
    )
    app = make_app(tmp_path)
    reads = app.calls_to("read_blob")
    listed = app.calls_to("read_blob_sequences")
    body = app.get_json("tags")
    assert [s["tag"] for s in body["skipped"]] == ["future"]
    first = body["runs"]["run"]
    assert {tag: facts["samples"] for tag, facts in first.items()} == {
        "a": 2,  # no tiles: one image per blob
        "b": 3,  # rows, not strips
        "bad": None,
    }
    assert len(reads) == 3  # not the skipped series'
    assert [call["downsample"] for call in listed] == [1]

    # Series a gets two steps, the last with 5 rows in one strip; b and bad
    # are unchanged: only a's latest step is listed and its manifest read.
    write_raw_series(
        run_dir,
        "a",
        [
            [manifest_bytes(items=2), TINY_PNG, TINY_PNG],
            [manifest_bytes(items=5, tiles=5), TINY_PNG],
        ],
    )
    app.reload()
    reads.clear()
    listed.clear()
    second = app.get_json("tags")["runs"]["run"]
    [call] = listed
    assert call["run_tag_filter"].runs == {"run"}
    assert call["run_tag_filter"].tags == {"a"}
    assert len(reads) == 1  # a's new latest step (bad's bytes are kept)
    assert second["a"]["samples"] == 5 and second["a"]["max_step"] == 1
    assert second["b"]["samples"] == 3 and second["bad"]["samples"] is None


def test_a_zlib_bomb_is_skipped_without_inflating_it(tmp_path: Path):
    """100 MB of JSON compressed into ~100 KB: decompression stops at the
    format's limit, so a request allocates a few times the limit at most."""
    import tracemalloc
    import zlib

    bomb = json.loads(zlib.decompress(events.manifest(1)))
    bomb["pad"] = "a" * (100 * 1024 * 1024)
    raw = zlib.compress(json.dumps(bomb).encode(), 9)
    del bomb
    events.write_series(
        tmp_path / "run", "x", [[events.manifest(1), TINY_PNG], [raw, TINY_PNG]]
    )
    app = make_app(tmp_path)
    tracemalloc.start()
    try:
        body = app.get_json("steps?" + q(run="run", tag="x"))
        tags = app.get_json("tags")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [s["step"] for s in body["steps"]] == [0]
    [skipped] = body["skipped_steps"]
    assert skipped["step"] == 1 and "once decompressed" in skipped["reason"]
    assert tags["runs"]["run"]["x"]["samples"] is None
    assert peak < 3 * metadata.MAX_MANIFEST_BYTES, peak


def test_a_blob_the_data_server_fails_to_read_is_a_404(tmp_path, monkeypatch):
    """gRPC statuses TensorBoard does not translate (the Rust data server's)."""
    import grpc

    from tbexplain_plugin import reading

    class Unreadable(grpc.RpcError):
        def code(self):
            return grpc.StatusCode.RESOURCE_EXHAUSTED

    class Provider:
        def read_blob(self, ctx, blob_key):
            raise Unreadable()

    with pytest.raises(errors.NotFoundError, match="RESOURCE_EXHAUSTED"):
        reading.read_blob(Provider(), None, "some-key")
