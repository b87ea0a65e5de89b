"""The served demo: TensorBoard first, then training, then serving until Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable

from tbexplain.board import TensorBoardProcess
from tbexplain.demo.report import DemoResult, summarize

__all__ = ["INTERRUPTED", "train_while_serving"]

#: The exit status when Ctrl-C stops the demo before training ended (128 + SIGINT).
INTERRUPTED = 130


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
    returns or raises.

    Args:
      board: A TensorBoard that is not started yet.
      train: Trains the demo (e.g. ``lambda: run_demo(logdir, config)``).
      echo: Where the URL, the summary and the progress messages go.
      ready_timeout: Seconds TensorBoard may take to start serving.

    Returns:
      0 when Ctrl-C stops TensorBoard after training; `INTERRUPTED` (130)
      when Ctrl-C comes earlier.

    Raises:
      PortInUseError: TensorBoard's port is taken.
      TensorBoardError: TensorBoard did not start, or stopped serving by
        itself.
    """
    trained = False
    with board:
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
