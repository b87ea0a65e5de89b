"""Starts a real `tensorboard` on a free loopback port, for tests and benchmarks.

::

    from tests.helpers.tb_server import tensorboard_server, get_json

    with tensorboard_server(logdir, load_fast="false") as server:
        listing = get_json(server.url + "/data/plugins_listing")
        steps = server.wait_for(
            "/data/plugin/tbexplain/steps?run=run_a&tag=explain/gradcam",
            lambda body: len(body["steps"]) == 5,
        )

The process is started by the project's one launcher, `tbexplain.board`, on
127.0.0.1 with ``--port=0``: TensorBoard binds a port the system picks and the
launcher reads it back from TensorBoard's own log. It is stopped when the
block exits, also on errors. The tbexplain plugin is found through its
``tensorboard_plugins`` entry point; when the package is not installed, a
throwaway ``*.dist-info`` declaring it is put on the child's PYTHONPATH.
Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tbexplain.board import TensorBoardProcess

REPO_ROOT = Path(__file__).resolve().parents[2]


class TensorBoardServer:
    """A running TensorBoard.

    Args:
      board: The launcher's process, serving.

    Attributes:
      url: Base URL, e.g. ``http://127.0.0.1:6006`` (no trailing slash).
      board: The launcher's `TensorBoardProcess`.
    """

    def __init__(self, board: TensorBoardProcess) -> None:
        self.board = board
        self.url = board.url.rstrip("/")

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The `tensorboard` process."""
        assert self.board.process is not None, "TensorBoard was stopped"
        return self.board.process

    @property
    def log(self) -> list[str]:
        """Its stdout/stderr lines so far, each ending in a newline."""
        return [line + "\n" for line in self.board.output()]

    def uses_data_server(self) -> bool:
        """Whether TensorBoard runs its Rust data server (a child process)."""
        pending = [self.process.pid]
        while pending:
            pid = pending.pop()
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"tensorboard_data_server" in f.read():
                        return True
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        pending.extend(int(c) for c in f.read().split())
            except FileNotFoundError:  # exited meanwhile
                continue
        return False

    def get_json(self, path: str) -> Any:
        """GETs ``url + path`` and parses the JSON body (raises on HTTP errors)."""
        return get_json(self.url + path)

    def wait_for(
        self,
        path: str,
        condition: Callable[[Any], bool],
        timeout: float = 60.0,
        interval: float = 0.25,
    ) -> Any:
        """Polls a JSON route until `condition(body)` holds; returns the body.

        HTTP errors (e.g. 404 while the data is still loading) are retried.

        Raises:
          TimeoutError: the condition did not hold in time (the last body and
            the server log are in the message).
        """
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            try:
                last = self.get_json(path)
                if condition(last):
                    return last
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}"
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{path} did not satisfy the condition within {timeout}s. "
                    f"Last: {str(last)[:500]}\nLog:\n" + "".join(self.log[-30:])
                )
            if self.process.poll() is not None:
                raise RuntimeError("tensorboard exited:\n" + "".join(self.log))
            time.sleep(interval)


def get(
    url: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GETs `url`; returns (status, headers, body) also for 4xx/5xx answers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def plugin_installed() -> bool:
    """Whether the ``tbexplain`` tensorboard_plugins entry point is installed."""
    entry_points = importlib.metadata.entry_points(group="tensorboard_plugins")
    return any(ep.name == "tbexplain" for ep in entry_points)


def _fake_dist_info(folder: Path) -> None:
    dist = folder / "tbexplain_test_entry-0.0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: tbexplain-test-entry\nVersion: 0.0.0\n"
    )
    (dist / "entry_points.txt").write_text(
        "[tensorboard_plugins]\ntbexplain = tbexplain_plugin.loader:ExplainLoader\n"
    )


@contextlib.contextmanager
def tensorboard_server(
    logdir: str | os.PathLike[str],
    *,
    load_fast: str | None = "false",
    reload_interval: float = 1.0,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    startup_timeout: float = 90.0,
) -> Iterator[TensorBoardServer]:
    """Runs ``tensorboard --logdir=<logdir>`` on 127.0.0.1 and a free port.

    Args:
      logdir: The log directory.
      load_fast: ``"false"`` (Python loader), ``"true"`` (Rust data server),
        or None for no flag (TensorBoard's default: the Rust data server
        when it is installed).
      reload_interval: Seconds between reloads of the logdir.
      extra_args: More command-line flags.
      env: Extra environment variables for the process.
      startup_timeout: Seconds to wait for the server to listen.

    Yields:
      A `TensorBoardServer` whose `url` is the base URL.
    """
    with tempfile.TemporaryDirectory(prefix="tbexplain_tb_") as scratch:
        child_env = dict(env or {})
        paths = [str(REPO_ROOT)]
        if not plugin_installed():
            _fake_dist_info(Path(scratch))
            paths.append(scratch)
        inherited = child_env.get("PYTHONPATH", os.environ.get("PYTHONPATH"))
        if inherited:
            paths.append(inherited)
        child_env["PYTHONPATH"] = os.pathsep.join(paths)
        board = TensorBoardProcess(
            logdir,
            port=0,
            reload_interval=reload_interval,
            load_fast=load_fast,
            extra_args=extra_args,
            env=child_env,
            cwd=scratch,
        )
        with board:
            board.wait_ready(startup_timeout)
            yield TensorBoardServer(board)


def quote(value: str) -> str:
    """URL-quotes a query value (run and tag names may contain ``/``, ``<``)."""
    return urllib.parse.quote(value, safe="")
