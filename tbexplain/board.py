"""The TensorBoard launcher: a ``tensorboard`` child process and the URL it serves.

One launcher for everything that starts TensorBoard: ``tbexplain demo``, the
tests and the benchmarks (through ``tests/helpers/tb_server.py``).

::

    with TensorBoardProcess("logs", port=0) as board:
        board.wait_ready()
        print(board.url)  # e.g. http://127.0.0.1:41937/
        ...
        board.wait()  # until the process ends (Ctrl-C raises KeyboardInterrupt)

TensorBoard binds the port itself and the launcher reads the address from
TensorBoard's own ``TensorBoard ... at http://...`` line, so nothing probes for
a free port first (which races with other processes):

* ``port=0``: the system picks a free port;
* ``port=None``: TensorBoard's default, 6006, or the next free port above it
  (TensorBoard tries up to 100);
* any other port is used as given; when it is taken, TensorBoard fails and
  `wait_ready` raises `PortInUseError`.

TensorBoard ends with the process that started it, even when that process
is killed outright (SIGKILL, the OOM killer) and cannot stop it: the child
watches a pipe from its parent and stops itself when the pipe closes, as
TensorBoard does with its own Rust data server.

Importing this module does not import TensorFlow or TensorBoard.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PortInUseError", "TensorBoardError", "TensorBoardProcess"]

# TensorBoard's own lines: where it serves, and why it could not bind (its
# check, then the one of werkzeug, which binds the socket).
_SERVING = re.compile(r"TensorBoard \S+ at (http://\S+) \(Press CTRL\+C to quit\)")
_PORT_IN_USE = re.compile(
    r"could not bind to port (\d+), it was already in use"
    r"|^Port (\d+) is in use by another program"
)
_ERROR = re.compile(r"^(?:ERROR|Error): (.+)$")
# TensorFlow's C++ log lines (absl format), which TensorBoard's import of
# TensorFlow prints: never the reason TensorBoard stopped.
_NATIVE_LOG = re.compile(r"^(?:[IWEF]\d{4} \d\d:\d\d:\d\d|WARNING: All log messages)")

# The child: TensorBoard's own entry point, plus a thread that waits for the
# end of stdin, a pipe whose other end only the parent holds. The kernel
# closes that end when the parent exits however it exits, and the child then
# stops as on `stop` (SIGTERM, which TensorBoard handles by exiting). The
# thread reads the file descriptor, not `sys.stdin`: a daemon thread blocked
# in a buffered read aborts the interpreter's shutdown.
_CHILD = """\
import os, runpy, signal, sys, threading
def _orphaned():
    while os.read(0, 64):
        pass
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=_orphaned, name="parent-watch", daemon=True).start()
sys.argv[0] = "tensorboard"
runpy.run_module("tensorboard.main", run_name="__main__")
"""


class TensorBoardError(RuntimeError):
    """TensorBoard did not start, or stopped serving.

    The message is one line; `output` holds the end of TensorBoard's output.

    Args:
      message: What went wrong (one line).
      output: TensorBoard's last output lines.
    """

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class PortInUseError(TensorBoardError):
    """TensorBoard could not bind the port it was given: something else holds it.

    Attributes:
      host: The interface.
      port: The port that is taken.
    """

    def __init__(self, host: str, port: int, output: str = "") -> None:
        super().__init__(
            f"Port {port} on {host} is already in use (another TensorBoard?).",
            output,
        )
        self.host = host
        self.port = port


class TensorBoardProcess:
    """A ``tensorboard`` child process of the same Python environment.

    The process is stopped (terminated, then killed if it does not exit) by
    `stop` and when the ``with`` block exits, also on errors and Ctrl-C. Its
    output (stdout and stderr) is read by a background thread; the last
    `keep_lines` lines are kept for `output` and for error messages.

    Args:
      logdir: TensorBoard's ``--logdir``.
      host: The interface to listen on (default: loopback only).
      port: The port: 0 lets the system pick one, None is TensorBoard's
        default (6006 or the next free one above it), anything else is used
        as given.
      reload_interval: Seconds between scans of the logdir (None:
        TensorBoard's default; 0 loads once).
      load_fast: TensorBoard's ``--load_fast`` (``"false"``: the Python
        loader, ``"true"``: the Rust data server; None: TensorBoard's default).
      extra_args: More command-line flags for ``tensorboard``.
      env: Environment variables set for the process, over `os.environ`.
      cwd: The process's working directory (None: this process's).
      keep_lines: How many lines of output to keep.
    """

    def __init__(
        self,
        logdir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int | None = 0,
        reload_interval: float | None = None,
        load_fast: str | None = None,
        extra_args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        keep_lines: int = 1000,
    ) -> None:
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 0 <= port < 65536
        ):
            raise ValueError(
                f"port must be None or in 0..65535. Received: port={port!r}"
            )
        if not host:
            raise ValueError(f"host must not be empty. Received: host={host!r}")
        self.logdir = os.fspath(logdir)
        self.host = host
        self.requested_port = port
        self.reload_interval = reload_interval
        self.load_fast = load_fast
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.cwd = None if cwd is None else os.fspath(cwd)
        self.process: subprocess.Popen[bytes] | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=keep_lines)
        self._changed = threading.Condition()
        self._url: str | None = None
        self._eof = False
        self._reader: threading.Thread | None = None

    # ------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """The base URL TensorBoard printed, e.g. ``http://127.0.0.1:6006/``.

        Raises:
          RuntimeError: TensorBoard has not started serving (see `wait_ready`).
        """
        if self._url is None:
            raise RuntimeError("TensorBoard is not serving yet; call wait_ready().")
        return self._url

    @property
    def port(self) -> int:
        """The port TensorBoard listens on (known once it serves)."""
        port = urllib.parse.urlsplit(self.url).port
        assert port is not None  # TensorBoard's URL always names the port
        return port

    @property
    def plugin_url(self) -> str:
        """The URL of the tbexplain dashboard."""
        return self.url + "#tbexplain"

    # ------------------------------------------------------------- process

    def command(self) -> list[str]:
        """The command line of the process: ``tensorboard`` with its flags, run
        so that it ends with this process (see the module's docstring)."""
        args = [
            sys.executable,
            "-c",
            _CHILD,
            f"--logdir={self.logdir}",
            f"--host={self.host}",
        ]
        if self.requested_port is not None:
            args.append(f"--port={self.requested_port}")
        if self.reload_interval is not None:
            args.append(f"--reload_interval={self.reload_interval:g}")
        if self.load_fast is not None:
            args.append(f"--load_fast={self.load_fast}")
        return [*args, *self.extra_args]

    def start(self) -> None:
        """Starts the process; returns at once (see `wait_ready`)."""
        if self.process is not None:
            raise RuntimeError("TensorBoard was already started.")
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.update(self.env)
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,  # never written; its end tells the child we live
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.cwd,
        )
        self._reader = threading.Thread(
            target=self._read, args=(self.process,), name="tensorboard-output"
        )
        self._reader.daemon = True
        self._reader.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._changed:
                self._lines.append(line)
                if self._url is None and (match := _SERVING.search(line)):
                    self._url = match.group(1)
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def output(self) -> list[str]:
        """TensorBoard's output lines so far (the last `keep_lines`)."""
        with self._changed:
            return list(self._lines)

    def log_tail(self, lines: int = 20) -> str:
        """The last `lines` lines of TensorBoard's output."""
        return "\n".join(self.output()[-lines:])

    def poll(self) -> int | None:
        """The exit code, or None while the process runs (or was not started)."""
        return None if self.process is None else self.process.poll()

    def wait_ready(self, timeout: float = 120.0) -> str:
        """Blocks until TensorBoard serves; returns its base URL.

        Raises:
          PortInUseError: the port given is taken (TensorBoard's own error).
          TensorBoardError: TensorBoard exited before serving (the message
            ends with its error or its last line of output), or did not
            serve within `timeout` seconds.
        """
        if self.process is None:
            raise RuntimeError("Call start() first.")
        with self._changed:
            self._changed.wait_for(lambda: self._url is not None or self._eof, timeout)
            if self._url is not None:
                return self._url
            ended = self._eof
        if not ended:
            raise TensorBoardError(
                f"TensorBoard did not start serving within {timeout:g}s "
                f"(last output: {self._last_words()})",
                self.log_tail(),
            )
        code = self._exit_code()
        taken = next(
            (m for line in self.output() if (m := _PORT_IN_USE.search(line))), None
        )
        if taken is not None:
            port = int(taken.group(1) or taken.group(2))
            raise PortInUseError(self.host, port, self.log_tail())
        raise TensorBoardError(
            f"TensorBoard exited with code {code} before serving on {self.host}: "
            f"{self._last_words()}",
            self.log_tail(),
        )

    def _exit_code(self) -> int | None:
        """The exit code once the output has ended (None if it lingers)."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return None

    def _last_words(self) -> str:
        """TensorBoard's error line, else its last line of output."""
        lines = [
            line.strip()
            for line in self.output()
            if line.strip() and not _NATIVE_LOG.match(line)
        ]
        errors = [m.group(1) for line in lines if (m := _ERROR.match(line))]
        if errors:
            return errors[-1]
        return lines[-1] if lines else "no output"

    def wait(self, poll_interval: float = 0.5) -> int:
        """Blocks until the process ends; returns its exit code.

        Ctrl-C raises KeyboardInterrupt here as usual; `stop` (or leaving the
        ``with`` block) then ends TensorBoard.
        """
        if self.process is None:
            raise RuntimeError("Call start() first.")
        # Short waits keep the main thread responsive to Ctrl-C.
        while (code := self.process.poll()) is None:
            time.sleep(poll_interval)
        return code

    def stopped_error(self) -> TensorBoardError:
        """The error for a TensorBoard that ended while it was serving."""
        return TensorBoardError(
            f"TensorBoard stopped serving (exit code {self.poll()}): "
            f"{self._last_words()}",
            self.log_tail(),
        )

    def stop(self, timeout: float = 15.0) -> None:
        """Ends the process: SIGTERM, then SIGKILL after `timeout` seconds."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if process.stdin is not None:
            process.stdin.close()
        # A Rust data server the process started may hold the pipe a moment
        # longer; the daemon reader thread then ends when it exits.
        if self._reader is not None:
            self._reader.join(timeout=5)
            if not self._reader.is_alive() and process.stdout is not None:
                process.stdout.close()

    def __enter__(self) -> TensorBoardProcess:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
