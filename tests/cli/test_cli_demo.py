"""Tests of `tbexplain demo`: the wiring, a busy port, and the served run + Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tbexplain import cli, demo

ROOT = Path(__file__).resolve().parents[2]


def test_no_serve_passes_the_options_to_the_demo(monkeypatch, capsys, tmp_path):
    calls = []

    def fake_run_demo(log_dir, config, **kwargs):
        calls.append((log_dir, config))
        return demo.DemoResult(log_dir=str(log_dir), config=config, runs={}, seconds=0)

    monkeypatch.setattr(demo, "run_demo", fake_run_demo)
    monkeypatch.setattr(demo, "summarize", lambda result: "SUMMARY")
    code = cli.main(
        [
            "demo",
            "--no-serve",
            "--logdir",
            str(tmp_path),
            "--epochs",
            "3",
            "--train-size",
            "40",
            "--seed",
            "5",
        ]
    )
    assert code == 0
    [(log_dir, config)] = calls
    assert log_dir == str(tmp_path)
    assert (config.epochs, config.train_size, config.seed) == (3, 40, 5)
    assert "SUMMARY" in capsys.readouterr().out


def test_defaults(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(
        demo, "run_demo", lambda log_dir, config, **kw: calls.append((log_dir, config))
    )
    monkeypatch.setattr(demo, "summarize", lambda result: "")
    assert cli.main(["demo", "--no-serve"]) == 0
    [(log_dir, config)] = calls
    assert log_dir == "demo_logs" and config == demo.DemoConfig()


def test_busy_port_is_a_clear_error(capsys, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        code = cli.main(["demo", "--logdir", str(tmp_path), "--port", str(port)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"error: Port {port} on 127.0.0.1 is already in use" in err
    assert "--port" in err


def _reader(stream, lines: queue.Queue) -> None:
    for raw in stream:
        lines.put(raw.decode("utf-8", "replace"))
    lines.put(None)


def _wait_for(lines: queue.Queue, pattern: str, seen: list[str], timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"{pattern!r} not printed; output:\n{''.join(seen)}")


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status


@pytest.mark.slow
def test_demo_serves_first_then_trains_then_stops_on_ctrl_c(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    logdir = tmp_path / "logs"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tbexplain.cli",
            "demo",
            "--logdir",
            str(logdir),
            "--port",
            "0",
            "--epochs",
            "1",
            "--train-size",
            "16",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    lines: queue.Queue = queue.Queue()
    seen: list[str] = []
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    try:
        match = _wait_for(
            lines, r"TensorBoard: (http://127\.0\.0\.1:(\d+)/)#tbexplain", seen, 180
        )
        url = match.group(1)
        # TensorBoard answers before training starts.
        assert not any("Run 'clean'" in line for line in seen)
        assert _get(url + "data/logdir") == 200
        _wait_for(lines, r"Press Ctrl-C to stop", seen, 240)
        text = "".join(seen)
        assert "Run 'clean'" in text and "Run 'spurious'" in text
        assert "pointing game" in text
        # TensorBoard serves the runs written while it was up (reload: 2 s).
        deadline = time.monotonic() + 60
        runs = b""
        while b"spurious/train" not in runs and time.monotonic() < deadline:
            with urllib.request.urlopen(url + "data/runs", timeout=10) as response:
                runs = response.read()
            time.sleep(0.5)
        assert b"clean/train" in runs and b"spurious/train" in runs
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        while (line := lines.get(timeout=10)) is not None:
            seen.append(line)
        assert "Stopping TensorBoard" in "".join(seen)
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            _get(url + "data/logdir")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
