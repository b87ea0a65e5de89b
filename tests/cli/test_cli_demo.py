"""Tests of `tbexplain demo`: the wiring, TensorBoard's failures, and Ctrl-C."""

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
from collections.abc import Iterator
from pathlib import Path

import pytest

from tbexplain import board, cli, demo

ROOT = Path(__file__).resolve().parents[2]
# TEST-NET-1 (RFC 5737): never an address of this machine, so TensorBoard
# cannot bind it and exits before serving.
UNAVAILABLE_HOST = "192.0.2.1"


def _error_line(err: str) -> str:
    """The one line of `err`, which must be a ``tbexplain demo: error:`` line."""
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"not one line: {err!r}"
    assert lines[0].startswith("tbexplain demo: error: "), lines[0]
    assert "Traceback" not in err
    return lines[0]


def _ctrl_c_as_in_a_terminal() -> None:
    """SIGINT at its default action, as a terminal's foreground job has it.

    A shell starts its background jobs (`make test &`, a CI runner's) with
    SIGINT ignored, and Python then installs no KeyboardInterrupt for it.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture()
def ctrl_c_delivered() -> Iterator[None]:
    """This process turns SIGINT into KeyboardInterrupt, even when it was
    started with SIGINT ignored (see `_ctrl_c_as_in_a_terminal`)."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        yield
        signal.signal(signal.SIGINT, previous)
    else:
        yield


def _fake_result(log_dir, config) -> demo.DemoResult:
    return demo.DemoResult(log_dir=str(log_dir), config=config, runs={}, seconds=0)


@pytest.fixture()
def boards(monkeypatch) -> list[board.TensorBoardProcess]:
    """Every TensorBoard the command starts, in order."""
    started: list[board.TensorBoardProcess] = []

    class Recorded(board.TensorBoardProcess):
        def start(self) -> None:
            super().start()
            started.append(self)

    monkeypatch.setattr(board, "TensorBoardProcess", Recorded)
    return started


def test_no_serve_passes_the_options_to_the_demo(monkeypatch, capsys, tmp_path):
    calls = []

    def fake_run_demo(log_dir, config, **kwargs):
        calls.append((log_dir, config))
        return _fake_result(log_dir, config)

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


def test_defaults(monkeypatch):
    calls = []
    monkeypatch.setattr(
        demo, "run_demo", lambda log_dir, config, **kw: calls.append((log_dir, config))
    )
    monkeypatch.setattr(demo, "summarize", lambda result: "")
    assert cli.main(["demo", "--no-serve"]) == 0
    [(log_dir, config)] = calls
    assert log_dir == "demo_logs" and config == demo.DemoConfig()
    args = cli.build_parser().parse_args(["demo"])
    # No --port: TensorBoard's own default (6006, or the next free port).
    assert (args.port, args.host) == (None, "127.0.0.1")


def test_a_taken_port_is_one_error_line_and_nothing_trains(
    monkeypatch, capsys, tmp_path, boards
):
    trained = []
    monkeypatch.setattr(demo, "run_demo", lambda *a, **kw: trained.append(a))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        code = cli.main(["demo", "--logdir", str(tmp_path), "--port", str(port)])
    assert code == 2
    line = _error_line(capsys.readouterr().err)
    assert line == (
        f"tbexplain demo: error: Port {port} on 127.0.0.1 is already in use "
        "(another TensorBoard?). Stop it or pass another port (--port 0 picks a "
        f"free one). Received: --port {port}"
    )
    assert trained == []
    # TensorBoard was started with the user's port and failed on it itself.
    [tb] = boards
    assert f"--port={port}" in tb.command()
    assert any("could not bind to port" in line for line in tb.output())


def test_tensorboard_exiting_before_serving_is_one_error_line(
    monkeypatch, capsys, tmp_path
):
    trained = []
    monkeypatch.setattr(demo, "run_demo", lambda *a, **kw: trained.append(a))
    code = cli.main(
        ["demo", "--logdir", str(tmp_path), "--host", UNAVAILABLE_HOST, "--port", "0"]
    )
    assert code == 2
    line = _error_line(capsys.readouterr().err)
    assert line == (
        "tbexplain demo: error: TensorBoard exited with code 1 before serving on "
        f"{UNAVAILABLE_HOST}: Cannot assign requested address"
    )
    assert trained == []


def test_tensorboard_exiting_while_serving_is_one_error_line(
    monkeypatch, capsys, tmp_path, boards
):
    def run_demo_then_tensorboard_dies(log_dir, config, **kwargs):
        [tb] = boards
        assert tb.process is not None
        tb.process.kill()
        tb.process.wait(timeout=30)
        return _fake_result(log_dir, config)

    monkeypatch.setattr(demo, "run_demo", run_demo_then_tensorboard_dies)
    code = cli.main(["demo", "--logdir", str(tmp_path), "--port", "0"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "TensorBoard: http://127.0.0.1:" in out
    assert _error_line(err).startswith(
        "tbexplain demo: error: TensorBoard stopped serving (exit code -9): "
    )


@pytest.mark.parametrize(
    ("signum", "status"),
    [
        (signal.SIGINT, demo.INTERRUPTED),  # Ctrl-C, as a terminal sends it
        (signal.SIGTERM, demo.TERMINATED),  # `kill PID`, a service manager
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stop_signal_while_training_stops_tensorboard(
    monkeypatch, capsys, tmp_path, boards, signum, status, ctrl_c_delivered
):
    processes = []
    before = signal.getsignal(signum)

    def run_demo_stopped(log_dir, config, **kwargs):
        [tb] = boards
        processes.append(tb.process)
        os.kill(os.getpid(), signum)
        time.sleep(60)  # the signal interrupts this
        raise AssertionError("the signal did not interrupt the demo")

    monkeypatch.setattr(demo, "run_demo", run_demo_stopped)
    code = cli.main(["demo", "--logdir", str(tmp_path), "--port", "0"])
    out, err = capsys.readouterr()
    assert code == status == 128 + signum
    assert out.rstrip().endswith("Stopping TensorBoard.")
    assert err == ""
    [process] = processes
    assert process.poll() is not None  # TensorBoard was stopped, not orphaned
    assert boards[0].process is None
    assert signal.getsignal(signum) is before


def test_sigterm_while_serving_after_training_stops_tensorboard_with_status_0(
    monkeypatch, capsys, tmp_path, boards
):
    def run_demo_then_sigterm_soon(log_dir, config, **kwargs):
        # Sent while the demo serves on, waiting for TensorBoard to end.
        threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)).start()
        return _fake_result(log_dir, config)

    monkeypatch.setattr(demo, "run_demo", run_demo_then_sigterm_soon)
    code = cli.main(["demo", "--logdir", str(tmp_path), "--port", "0"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "Press Ctrl-C to stop." in out
    assert out.rstrip().endswith("Stopping TensorBoard.")
    assert err == ""
    [tb] = boards
    assert tb.process is None  # stopped


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
        preexec_fn=_ctrl_c_as_in_a_terminal,
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
        assert "Traceback" not in "".join(seen)
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            _get(url + "data/logdir")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
