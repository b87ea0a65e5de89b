"""A log directory of hostile tbexplain data next to good data (issue 18's cases).

`write_hostile_logdir(root)` writes, one run per case (``CASES`` names them):

* ``good``: inputs and Grad-CAM maps at steps 0-2 (the public summary ops),
  and a metrics scalar of the Grad-CAM series; must always stay served;
* ``nested``: manifests of deeply nested JSON: 5,000 ``[`` after ``{"a":``
  (the latest step of ``explain/deep_latest``) and 500 levels inside a
  column (step 0 of ``explain/deep_column``);
* ``tensors``: series whose latest step is not a rank-1 string tensor (a
  scalar string, rank 2, float32, int64), after a good step 0;
* runs named with ``"``, ``\\``, a newline and a tab (`QUOTED_RUNS`), and a
  run ``tagnames`` with such a tag, all valid data (the Rust data server
  cannot read blobs of such names);
* ``bomb``: a latest step whose manifest is 100 MB of JSON zlib-compressed
  into ~100 KB;
* ``versions``: manifests with ``version`` true, -1, 0, "3" and 3.0, then a
  valid step 5;
* ``future`` and ``corrupt``: series whose metadata is of a newer version or
  not a protobuf, with valid manifests.

Importing this module imports TensorFlow (PNGs and the good run).
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
from tensorboard.util import tensor_util

from tbexplain_plugin import metadata
from tests.helpers.logdir import make_logdir
from tests.plugin import events

GOOD_RUN = "good"
GOOD_TAG = "explain/gradcam"
GOOD_STEPS = [0, 1, 2]
METRIC_TAG = "explain/metrics/gradcam/pointing_game"
METRIC_POINTS = [(0, 0.25), (1, float("nan")), (2, 0.75)]
QUOTED_RUNS = ('quote"run', "back\\slash", "new\nline", "tab\trun")
QUOTED_TAG = 'explain/say "hi"\\\t'
BAD_TENSORS = ("scalar", "rank2", "float", "int64")
BAD_VERSIONS = (True, -1, 0, "3", 3.0)
BOMB_BYTES = 100 * 1024 * 1024

TINY = np.array([[0, 64], [128, 255]], dtype=np.uint8)


def good_step() -> list[bytes]:
    return [events.manifest(1), events.png(TINY)]


def write_hostile_logdir(root: Path) -> Path:
    """Writes every case under `root`; returns `root`."""
    make_logdir(
        root,
        runs=(GOOD_RUN,),
        steps=len(GOOD_STEPS),
        samples=2,
        size=8,
        methods=("gradcam",),
        activations=False,
    )
    events.write_scalars(root / GOOD_RUN, METRIC_TAG, METRIC_POINTS)

    nested = root / "nested"
    events.write_series(
        nested, "explain/deep_latest", [good_step(), [b'{"a":' + b"[" * 5000]]
    )
    deep = "[" * 500 + "0" + "]" * 500
    deep_column = (
        '{"version":3,"kind":"explanation","shape":[2,2],"tiles":1,'
        f'"columns":{{"sample":[{deep}],"min":[0.0],"max":[1.0]}}}}'
    )
    events.write_series(
        nested,
        "explain/deep_column",
        [[zlib.compress(deep_column.encode()), events.png(TINY)], good_step()],
    )

    strings = [events.manifest(1), events.png(TINY)]
    bad = {
        "scalar": tensor_util.make_tensor_proto(strings[0]),
        "rank2": tensor_util.make_tensor_proto([strings]),
        "float": tensor_util.make_tensor_proto(np.array([1.0, 2.0], np.float32)),
        "int64": tensor_util.make_tensor_proto(np.array([1, 2], np.int64)),
    }
    for name in BAD_TENSORS:
        events.write_series(
            root / "tensors", f"explain/{name}", [good_step(), bad[name]]
        )

    for run in QUOTED_RUNS:
        events.write_series(root / run, GOOD_TAG, [good_step(), good_step()])
    events.write_series(root / "tagnames", QUOTED_TAG, [good_step(), good_step()])

    padded = json.loads(zlib.decompress(events.manifest(1)))
    padded["pad"] = "a" * BOMB_BYTES
    bomb = zlib.compress(json.dumps(padded).encode(), 9)
    events.write_series(
        root / "bomb", "explain/bomb", [good_step(), [bomb, events.png(TINY)]]
    )

    events.write_series(
        root / "versions",
        "explain/versions",
        [[events.manifest(1, version=v), events.png(TINY)] for v in BAD_VERSIONS]
        + [good_step()],
    )

    events.write_series(
        root / "future",
        "explain/future",
        [good_step(), good_step()],
        content=events.plugin_content(version=metadata.PROTO_VERSION + 1),
    )
    events.write_series(
        root / "corrupt",
        "explain/corrupt",
        [good_step(), good_step()],
        content=b"\xff\xff\xff garbage",
    )
    return root
