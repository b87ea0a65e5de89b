"""Tests of the TensorBoard launcher (tbexplain.board) on real tensorboard runs."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tbexplain.board import PortInUseError, TensorBoardError, TensorBoardProcess

ROOT = Path(__file__).resolve().parents[2]
# TEST-NET-1 (RFC 5737): never an address of this machine, so binding fails.
UNAVAILABLE_HOST = "192.0.2.1"


def _status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status


@contextlib.contextmanager
def _listening(port: int) -> Iterator[socket.socket]:
    """A socket listening on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield sock


def test_serves_on_the_port_tensorboard_picked_and_stops(tmp_path):
    board = TensorBoardProcess(tmp_path / "logs", port=0, reload_interval=1)
    assert "--port=0" in board.command()
    with board:
        url = board.wait_ready()
        assert url == board.url == f"http://127.0.0.1:{board.port}/"
        assert board.port > 0
        assert board.plugin_url == url + "#tbexplain"
        assert _status(url + "data/logdir") == 200
        process = board.process
        assert process is not None and process.poll() is None
        assert any("TensorBoard" in line and url in line for line in board.output())
    assert process.poll() is not None
    assert board.process is None
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        _status(url + "data/logdir")


@pytest.mark.parametrize(
    ("listen", "failure"),
    [
        # Another server: TensorBoard's own check connects to it.
        (True, "TensorBoard could not bind to port {port}, it was already in use"),
        # A socket that is bound only: the bind itself fails (in werkzeug).
        (False, "Port {port} is in use by another program"),
    ],
)
def test_a_taken_port_is_reported_from_tensorboards_own_failure(
    listen, failure, tmp_path
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        if listen:
            sock.listen()
        port = sock.getsockname()[1]
        board = TensorBoardProcess(tmp_path, port=port)
        with board, pytest.raises(PortInUseError) as info:
            board.wait_ready()
    err = info.value
    assert (err.host, err.port) == ("127.0.0.1", port)
    expected = f"Port {port} on 127.0.0.1 is already in use (another TensorBoard?)."
    assert str(err) == expected
    # TensorBoard itself tried the port and said so.
    assert failure.format(port=port) in err.output


def test_no_port_is_tensorboards_default_or_the_next_free_one(tmp_path):
    # Hold 6006 when it is free; when another process holds it, it is taken
    # all the same.
    with contextlib.ExitStack() as stack:
        with contextlib.suppress(OSError):
            stack.enter_context(_listening(6006))
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", 6006)) == 0, "6006 is not taken"
        board = TensorBoardProcess(tmp_path, port=None, reload_interval=1)
        assert not any(arg.startswith("--port") for arg in board.command())
        with board:
            board.wait_ready()
            assert 6006 < board.port <= 6105
            assert _status(board.url + "data/logdir") == 200


def test_an_early_exit_is_one_line_with_tensorboards_reason(tmp_path):
    board = TensorBoardProcess(tmp_path, host=UNAVAILABLE_HOST, port=0)
    with board, pytest.raises(TensorBoardError) as info:
        board.wait_ready()
    message = str(info.value)
    assert not isinstance(info.value, PortInUseError)
    assert "\n" not in message
    assert re.fullmatch(
        rf"TensorBoard exited with code 1 before serving on {UNAVAILABLE_HOST}: "
        "Cannot assign requested address",
        message,
    ), message


def test_stopped_error_names_the_exit_code(tmp_path):
    with TensorBoardProcess(tmp_path, port=0) as board:
        board.wait_ready()
        assert board.process is not None
        board.process.kill()
        assert board.wait(poll_interval=0.05) == -9
        message = str(board.stopped_error())
    assert message.startswith("TensorBoard stopped serving (exit code -9): ")


def _naming(logdir: Path) -> set[int]:
    """The live processes whose command line names `logdir` (TensorBoard, and
    its Rust data server when it runs one)."""
    flag = f"--logdir={logdir}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # A zombie's command line is empty: it has ended.
                if flag in (entry / "cmdline").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_tensorboard_ends_when_the_process_that_started_it_is_killed(tmp_path):
    # SIGKILL cannot be handled, so no `stop` runs: TensorBoard must notice
    # by itself, with the Rust data server it started (the default loader).
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from tbexplain.board import TensorBoardProcess\n"
            "board = TensorBoardProcess(sys.argv[1], port=0, reload_interval=1)\n"
            "board.start()\n"
            "board.wait_ready()\n"
            "print(board.process.pid, flush=True)\n"
            "time.sleep(600)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert parent.stdout is not None
        tensorboard = int(parent.stdout.readline())
        assert tensorboard in _naming(tmp_path)
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 60
        while (left := _naming(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"still running after their parent was killed: {left}"
    finally:
        parent.kill()
        for pid in _naming(tmp_path):
            with contextlib.suppress(OSError):
                os.kill(pid, 9)


@pytest.mark.parametrize("port", [-1, 65536, 6006.0, True])
def test_invalid_port(port, tmp_path):
    with pytest.raises(ValueError, match=r"port must be None or in 0\.\.65535"):
        TensorBoardProcess(tmp_path, port=port)


def test_url_before_serving_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="not serving yet"):
        _ = TensorBoardProcess(tmp_path).url


def test_launcher_and_helpers_import_without_tensorflow():
    code = (
        "import sys, tbexplain.board, tbexplain.demo, tbexplain.cli, "
        "tests.helpers.tb_server; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'tensorboard') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=120,
        check=True,
    )
    assert result.stdout.strip() == "[]"
