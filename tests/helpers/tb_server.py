"""Starts a real `tensorboard` process on a free loopback port, for tests.

::

    from tests.helpers.tb_server import tensorboard_server, get_json

    with tensorboard_server(logdir, load_fast="false") as server:
        listing = get_json(server.url + "/data/plugins_listing")
        steps = server.wait_for(
            "/data/plugin/tbexplain/steps?run=run_a&tag=explain/gradcam",
            lambda body: len(body["steps"]) == 5,
        )

The process listens on 127.0.0.1 only (``--host=127.0.0.1 --port=0``; the
port TensorBoard picked is read from its log). It is stopped when the block
exits, also on errors. The tbexplain plugin is found through its
``tensorboard_plugins`` entry point; when the package is not installed, a
throwaway ``*.dist-info`` declaring it is put on the child's PYTHONPATH.
Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
_URL_PATTERN = re.compile(r"(http://127\.0\.0\.1:\d+)")


@dataclasses.dataclass
class TensorBoardServer:
    """A running TensorBoard.

    Attributes:
      url: Base URL, e.g. ``http://127.0.0.1:6006`` (no trailing slash).
      process: The `tensorboard` process.
      log: Its stderr/stdout lines so far (shared with a reader thread).
    """

    url: str
    process: subprocess.Popen[bytes]
    log: list[str]

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
    load_fast: str = "false",
    reload_interval: float = 1.0,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    startup_timeout: float = 90.0,
) -> Iterator[TensorBoardServer]:
    """Runs ``tensorboard --logdir=<logdir>`` on 127.0.0.1 and a free port.

    Args:
      logdir: The log directory.
      load_fast: ``"false"`` (Python loader) or ``"true"`` (Rust data server).
      reload_interval: Seconds between reloads of the logdir.
      extra_args: More command-line flags.
      env: Extra environment variables for the process.
      startup_timeout: Seconds to wait for the server to listen.

    Yields:
      A `TensorBoardServer` whose `url` is the base URL.
    """
    with tempfile.TemporaryDirectory(prefix="tbexplain_tb_") as scratch:
        child_env = dict(os.environ)
        child_env.update(env or {})
        paths = [str(REPO_ROOT)]
        if not plugin_installed():
            _fake_dist_info(Path(scratch))
            paths.append(scratch)
        if child_env.get("PYTHONPATH"):
            paths.append(child_env["PYTHONPATH"])
        child_env["PYTHONPATH"] = os.pathsep.join(paths)
        child_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        args = [
            sys.executable,
            "-m",
            "tensorboard.main",
            f"--logdir={os.fspath(logdir)}",
            "--host=127.0.0.1",
            "--port=0",
            f"--load_fast={load_fast}",
            f"--reload_interval={reload_interval}",
            *extra_args,
        ]
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            cwd=scratch,
        )
        log: list[str] = []
        found = threading.Event()

        def read() -> None:
            assert process.stdout is not None
            for raw in process.stdout:
                log.append(raw.decode("utf-8", "replace"))
                if _URL_PATTERN.search(log[-1]):
                    found.set()
            found.set()  # EOF: the process ended.

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            found.wait(startup_timeout)
            match = next((m for line in log if (m := _URL_PATTERN.search(line))), None)
            if match is None:
                raise RuntimeError(
                    f"tensorboard did not start (exit code {process.poll()}):\n"
                    + "".join(log)
                )
            yield TensorBoardServer(url=match.group(1), process=process, log=log)
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=15)
            reader.join(timeout=5)


def quote(value: str) -> str:
    """URL-quotes a query value (run and tag names may contain ``/``, ``<``)."""
    return urllib.parse.quote(value, safe="")
