"""Fuzz: thousands of malformed requests to the plugin's routes per loader, no 5xx.

Seeded requests (`requests`) to a real tensorboard serving the hostile logdir
(`tests.plugin.hostile`), one process per loader shared with the hostile
tests: unicode and NUL, bad percent-encoding, path traversal, huge values,
bad and deeply nested blob keys (and well-formed keys with wrong fields),
repeated parameters, long URLs, other methods. Every answer must come (no
hang: each request is bounded) and be below 500.
"""

from __future__ import annotations

import base64
import json
import random
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.plugin import hostile, raw_http
from tests.plugin.conftest import PREFIX, Served

pytestmark = pytest.mark.slow

REQUESTS = 2000

_ROUTES = [
    "tags",
    "steps",
    "blob",
    "metrics",
    "index.js",
    "static/index.js",
    "static/",
    "static/../plugin.py",
    "static/..%2f..%2fplugin.py",
    "static/%2e%2e/%2e%2e/plugin.py",
    "static/a%00b",
    "steps/",
    "tags/x",
    "",
    "nope",
]
_RUNS = [
    "good",
    "nested",
    "tensors",
    "bomb",
    "versions",
    "future",
    "corrupt",
    "tagnames",
]
_TAGS = [
    hostile.GOOD_TAG,
    "explain/inputs",
    "explain/deep_latest",
    "explain/deep_column",
    "explain/scalar",
    "explain/rank2",
    "explain/bomb",
    "explain/versions",
    "explain/future",
    hostile.QUOTED_TAG,
]
_WEIRD = [
    "",
    " ",
    "\x00",
    "../../../../etc/passwd",
    "..\\..\\windows",
    "é漢😀\u202e\ufeff",
    "\udcff",
    "%",
    "%zz",
    "%%",
    "&&&",
    "===",
    "+",
    "#frag",
    "?",
    "-1",
    "1e3",
    "0x10",
    "9" * 30,
    "-" + "9" * 19,
    "NaN",
    "null",
    "[]",
    "{}",
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _keys(rng: random.Random) -> str:
    """A blob key: well-formed with wrong fields, nested, or garbage."""
    choice = rng.randrange(8)
    if choice == 0:
        depth = rng.choice([10, 500, 1000, 5000, 50_000])
        return _b64(rng.choice([b"[", b'{"a":', b'[{"a":']) * depth)
    if choice == 1:
        fields: list[object] = ["", "tbexplain", rng.choice(_RUNS), rng.choice(_TAGS)]
        fields += [
            rng.choice([0, 1, 2, -1, 10**30, 1.5, "0", None, True, [0], {"a": 0}]),
            rng.choice([0, 1, 2, -1, 10**30, 1.5, "1", None, True, [0, 1], {}]),
        ]
        if rng.random() < 0.3:
            fields = fields[: rng.randrange(len(fields))]
        elif rng.random() < 0.2:
            fields.append(rng.choice([0, "x", None]))
        return _b64(json.dumps(fields).encode())
    if choice == 2:
        return _b64(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
    if choice == 3:
        return rng.choice(_WEIRD)
    if choice == 4:
        return "A" * rng.choice([1, 3, 5000, 60_000])
    if choice == 5:
        return _b64(b'"' + b"\\" * rng.randrange(1, 3000))
    if choice == 6:
        fields = ["", "tbexplain", "good", hostile.GOOD_TAG, 0, 1]
        return _b64(json.dumps(fields).encode()) + rng.choice(["=", "==", "!", "%00"])
    return _b64(json.dumps(["x" * rng.randrange(1, 10_000)] * 5 + [0]).encode())


def _value(rng: random.Random, name: str) -> str:
    if name == "key":
        return _keys(rng)
    if name == "run" and rng.random() < 0.5:
        return rng.choice(_RUNS + list(hostile.QUOTED_RUNS))
    if name == "tag" and rng.random() < 0.5:
        return rng.choice(_TAGS)
    if name == "step" and rng.random() < 0.5:
        return str(rng.choice([0, 1, 2, 5, -1, 10**18, 10**19, 10**40]))
    if rng.random() < 0.1:
        return "x" * rng.choice([100, 5000, 30_000])
    return rng.choice(_WEIRD)


def _encode(rng: random.Random, text: str) -> bytes:
    """Percent-encoded, or sent raw (UTF-8 bytes, bad escapes and all)."""
    if rng.random() < 0.8:
        return urllib.parse.quote(text, safe="", errors="surrogatepass").encode()
    raw = text.encode("utf-8", "surrogatepass")
    # Whitespace would split the request line itself.
    return raw.replace(b" ", b"%20").replace(b"\r", b"").replace(b"\n", b"")


def requests(seed: int) -> Iterator[tuple[bytes, bytes, bytes]]:
    """`REQUESTS` seeded (method, target, body) triples."""
    rng = random.Random(seed)
    methods = [b"GET"] * 14 + [b"HEAD", b"POST", b"PUT", b"DELETE", b"OPTIONS", b"FOO"]
    for _ in range(REQUESTS):
        route = rng.choice(_ROUTES)
        params = []
        for _ in range(rng.randrange(5)):
            name = rng.choice(["run", "tag", "step", "key", "key", "x", ""])
            params.append(_encode(rng, name) + b"=" + _encode(rng, _value(rng, name)))
        if rng.random() < 0.1:
            params.append(rng.choice([b"run", b"=", b"&", b"run=a=b", b";step=1"]))
        query = b"&".join(params)
        target = (PREFIX + route).encode() + (b"?" + query if query else b"")
        if rng.random() < 0.05:
            target = target.replace(b"/tbexplain/", b"/tbexplain//", 1)
        method = rng.choice(methods)
        body = b"x" * rng.randrange(1, 3000) if method in (b"POST", b"PUT") else b""
        yield method, target, body


def test_malformed_requests_never_answer_5xx_or_hang(hostile_server: Served):
    parts = urllib.parse.urlsplit(hostile_server.server.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    statuses: dict[int, int] = {}
    failures = []
    seed = 18 if hostile_server.mode == "false" else 19
    for method, target, body in requests(seed):
        status, response = raw_http.request(
            host,
            port,
            method,
            target,
            body=body,
            headers={b"Accept-Encoding": b"gzip"} if len(target) % 2 else None,
        )
        statuses[status] = statuses.get(status, 0) + 1
        if status >= 500:
            failures.append((method, target[:300], response[:300]))
    assert not failures, failures[:5]
    assert sum(statuses.values()) == REQUESTS
    # The fuzz reached the plugin: answers of every kind, not only errors.
    assert {200, 400, 404, 405} <= set(statuses), statuses
