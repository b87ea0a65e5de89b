"""ExplainCallback under MirroredStrategy and MultiWorkerMirroredStrategy.

Each strategy runs in subprocesses (a strategy's devices are fixed per
process) with a timeout: an explanation that needed a collective op the other
worker never joins would hang, and fail here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.logging.conftest import LogdirReader

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.pop("TF_CONFIG", None)
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.logging._dist_worker", *args]


def _result(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def _free_ports(n: int) -> list[int]:
    sockets = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _check_logdir(logdir: Path, result: dict) -> None:
    reader = LogdirReader(logdir)
    # Every 2 batches (2 epochs, each with an even number of batches).
    steps = reader.steps("train", "explain/gradcam")
    assert result["batches"] >= 8
    assert [s.step for s in steps] == list(range(2, result["batches"] + 1, 2))
    predicted = result["predicted"]
    items = steps[-1].manifest["items"]
    assert [it["class_id"] for it in items] == predicted


def test_mirrored_strategy_two_logical_cpus(tmp_path):
    proc = subprocess.run(
        _command("mirrored", str(tmp_path)),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = _result(proc.stdout)
    assert result["replicas"] == 2
    assert result["chief"] is True
    assert result["traces"] == 1
    _check_logdir(tmp_path, result)


@pytest.mark.slow
def test_multi_worker_only_the_chief_writes(tmp_path):
    ports = [str(p) for p in _free_ports(2)]
    procs = [
        subprocess.Popen(
            _command("multiworker", str(tmp_path), str(i), *ports),
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for i in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, err[-3000:]
            outputs.append(_result(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    chief, worker = outputs
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["chief"] is True
    assert worker["chief"] is False
    # The other worker runs the dry run only; the chief explains every log.
    assert worker["explain_calls"] == 1
    assert chief["explain_calls"] > 1
    # Every event file comes from the chief's process.
    events = sorted(tmp_path.rglob("events.*"))
    assert events
    assert all(f".{chief['pid']}." in path.name for path in events), events
    _check_logdir(tmp_path, chief)
