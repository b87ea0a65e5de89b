"""The served demo: TensorBoard first, then training, then serving until Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

from tbexplain.board import TensorBoardProcess
from tbexplain.demo.report import DemoResult, summarize

__all__ = ["INTERRUPTED", "TERMINATED", "train_while_serving"]

#: The exit status when Ctrl-C stops the demo before training ended (128 + SIGINT).
INTERRUPTED = 130
#: The exit status when SIGTERM stops the demo before training ended (128 + SIGTERM).
TERMINATED = 143


class _Terminated(Exception):
    """SIGTERM arrived (`kill`, a service manager stopping the demo)."""


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM raises `_Terminated` in the main thread.

    SIGTERM's default action ends Python without unwinding, which would leave
    TensorBoard, a process of its own, serving on its port; raised, it stops
    TensorBoard on the way out as Ctrl-C does.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say(message: str) -> None:
    print(message, flush=True)


def train_while_serving(
    board: TensorBoardProcess,
    train: Callable[[], DemoResult],
    *,
    echo: Callable[[str], None] = _say,
    ready_timeout: float = 120.0,
) -> int:
    """Starts `board`, trains while it serves, and serves on until Ctrl-C.

    TensorBoard is started and serving before `train` runs, so the
    explanations appear epoch by epoch. TensorBoard is stopped when this
    returns or raises, and on SIGTERM as on Ctrl-C.

    Args:
      board: A TensorBoard that is not started yet.
      train: Trains the demo (e.g. ``lambda: run_demo(logdir, config)``).
      echo: Where the URL, the summary and the progress messages go.
      ready_timeout: Seconds TensorBoard may take to start serving.

    Returns:
      0 when Ctrl-C or SIGTERM stops TensorBoard after training; earlier,
      `INTERRUPTED` (130) for Ctrl-C and `TERMINATED` (143) for SIGTERM.

    Raises:
      PortInUseError: TensorBoard's port is taken.
      TensorBoardError: TensorBoard did not start, or stopped serving by
        itself.
    """
    trained = False
    with board, _sigterm_raises():
        try:
            echo(f"Starting TensorBoard (logdir {board.logdir})...")
            board.wait_ready(ready_timeout)
            echo(f"\nTensorBoard: {board.plugin_url}\n")
            result = train()
            trained = True
            echo("\n" + summarize(result))
            if board.poll() is None:
                echo(
                    f"\nTensorBoard keeps serving at {board.plugin_url}. "
                    "Press Ctrl-C to stop."
                )
                board.wait()
            raise board.stopped_error()
        except KeyboardInterrupt:
            echo("\nStopping TensorBoard.")
            return 0 if trained else INTERRUPTED
        except _Terminated:
            echo("\nStopping TensorBoard.")
            return 0 if trained else TERMINATED
