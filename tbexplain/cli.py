"""The ``tbexplain`` command line: ``tbexplain demo`` and ``tbexplain explain``.

``tbexplain demo`` starts TensorBoard on 127.0.0.1 (`tbexplain.board`), then
trains the bundled demo (`tbexplain.demo`) so the explanations appear epoch by
epoch, and keeps serving until Ctrl-C. ``tbexplain explain`` writes
explanations of a saved Keras model on image files into a log directory,
offline, in the plugin's format. ``--help`` works on every command.

Errors print one ``error:`` line and exit with status 2: errors in the user's
input (a missing file, an unreadable image, an image of the wrong size, an
unknown method or layer, a model that is not a one-input image model), an
explanation that fails at run time (a shared layer, a method that cannot apply
to the model), and a TensorBoard that cannot start (a taken port) or stops.
TensorFlow is imported only when a command runs.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["CliError", "main"]

PROG = "tbexplain"
DEFAULT_DEMO_LOGDIR = "demo_logs"
DEFAULT_PORT = 6006  # TensorBoard's own default, used when --port is not given

_DESCRIPTION = """\
Explanations of TensorFlow/Keras models, logged while they train and browsed
in TensorBoard's tbexplain dashboard."""

_DEMO_DESCRIPTION = """\
Train the bundled demo and watch its explanations in TensorBoard.

Starts TensorBoard on HOST:PORT first (the URL is printed), generates the
bundled shapes dataset (no downloads) and trains two small CNNs with Grad-CAM
explanations of a fixed probe set logged after every epoch: 'clean', where a
corner mark of random colour carries no information, and 'spurious', where
the mark's colour gives the class away. The spurious run's Grad-CAM moves to
the mark; the pointing-game scalar (explain/metrics/gradcam/pointing_game)
shows it. After training, TensorBoard keeps serving until Ctrl-C."""

_EXPLAIN_DESCRIPTION = """\
Write explanations of a saved Keras model on image files into a TensorBoard
log directory (offline), in the tbexplain plugin's format.

The images (PNG, JPEG, GIF or BMP) must have the model's input height and
width; they are converted to the model's channel count and multiplied by
--rescale. Each map explains the predicted class (or the --top-k classes).
The run D/RUN gets the tags explain/inputs and explain/METHOD; view them
with: tensorboard --logdir D"""

_EXPLAIN_EPILOG = """\
example:
  tbexplain explain model.keras cat.png dog.png --method gradcam \\
      --logdir logs --class-names cat dog"""


class CliError(Exception):
    """An error in the user's input; printed as ``error: ...``, exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer: {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer: {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0: {text!r}")
    return value


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0..65535: {text!r}")
    return value


def _rescale(text: str) -> float:
    message = f"must be a positive number or a fraction like 1/255: {text!r}"
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            value = float(num) / float(den)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(message) from None
    # 0 would turn every image black; inf/nan are not pixel scales.
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(message)
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``tbexplain`` command."""
    from tbexplain import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(commands)
    _add_explain(commands)
    return parser


def _add_demo(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the ``demo`` command's parser; its defaults are `DemoConfig`'s."""
    from tbexplain.demo import DemoConfig

    defaults = DemoConfig()
    demo = subparsers.add_parser(
        "demo",
        help="train the bundled demo and watch its explanations in TensorBoard",
        description=_DEMO_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--logdir",
        default=DEFAULT_DEMO_LOGDIR,
        metavar="D",
        help="log directory; runs D/clean and D/spurious are replaced "
        f"(default: {DEFAULT_DEMO_LOGDIR})",
    )
    demo.add_argument(
        "--port",
        type=_port,
        default=None,
        metavar="P",
        help="TensorBoard's port; 0 picks a free one; a port that is taken is "
        f"an error (default: {DEFAULT_PORT}, or the next free one above it)",
    )
    demo.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface TensorBoard listens on (default: 127.0.0.1, this machine only)",
    )
    demo.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"training epochs of each run (default: {defaults.epochs})",
    )
    demo.add_argument(
        "--train-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"training images per run (default: {defaults.train_size})",
    )
    demo.add_argument(
        "--seed", type=int, default=0, help="seed of the data and weights (default: 0)"
    )
    demo.add_argument(
        "--no-serve",
        action="store_true",
        help="do not start TensorBoard; train, print the results and exit",
    )
    demo.set_defaults(func=_cmd_demo)


def _add_explain(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Adds the ``explain`` command's parser."""
    explain = subparsers.add_parser(
        "explain",
        help="write explanations of a saved model on image files (offline)",
        description=_EXPLAIN_DESCRIPTION,
        epilog=_EXPLAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("model", metavar="MODEL.keras", help="a saved Keras model")
    explain.add_argument("images", nargs="+", metavar="IMAGES", help="image files")
    explain.add_argument(
        "--method",
        default="gradcam",
        help="explanation method, e.g. gradcam, gradcam_plus_plus, occlusion, "
        "integrated_gradients (default: gradcam; an unknown name lists them all)",
    )
    explain.add_argument(
        "--logdir", required=True, metavar="D", help="log directory to write into"
    )
    explain.add_argument(
        "--run",
        default=None,
        help="run name, a subdirectory of D (default: the model file's name "
        "without extension)",
    )
    explain.add_argument(
        "--layer",
        default=None,
        metavar="L",
        help="layer of layer-based methods such as gradcam: a name or a nested "
        "path like backbone/out_relu (default: the last spatial layer)",
    )
    explain.add_argument(
        "--class-names",
        nargs="+",
        default=None,
        metavar="NAME",
        help="class names in class-id order (space- or comma-separated)",
    )
    explain.add_argument(
        "--top-k",
        type=_positive_int,
        default=None,
        metavar="K",
        help="explain the K highest-scoring classes of each image "
        "(default: the predicted class)",
    )
    explain.add_argument(
        "--step",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="step of the summaries (default: 0)",
    )
    explain.add_argument(
        "--rescale",
        type=_rescale,
        default=1.0 / 255.0,
        metavar="F",
        help="pixel values 0..255 are multiplied by F before the model "
        "(default: 1/255, inputs in [0, 1]; use 1 for models that take 0..255)",
    )
    explain.set_defaults(func=_cmd_explain)


# ---------------------------------------------------------------------- demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from tbexplain import board as tensorboard
    from tbexplain import demo

    overrides: dict[str, Any] = {"seed": args.seed}
    if args.epochs is not None:
        overrides["epochs"] = args.epochs
    if args.train_size is not None:
        overrides["train_size"] = args.train_size
    config = demo.DemoConfig(**overrides)

    if args.no_serve:
        result = demo.run_demo(args.logdir, config)
        print("\n" + demo.summarize(result))
        return 0

    board = tensorboard.TensorBoardProcess(
        args.logdir, host=args.host, port=args.port, reload_interval=2
    )
    try:
        return demo.train_while_serving(
            board, lambda: demo.run_demo(args.logdir, config)
        )
    except tensorboard.PortInUseError as err:
        raise CliError(
            f"{err} Stop it or pass another port (--port 0 picks a free one). "
            f"Received: --port {err.port}"
        ) from None
    except tensorboard.TensorBoardError as err:
        raise CliError(str(err)) from None


# ------------------------------------------------------------------- explain


def _class_names(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    if not names:
        raise CliError(f"--class-names needs at least one name. Received: {values!r}")
    return names


def _make_method(name: str, layer: str | None) -> Any:
    from tbexplain.methods import REGISTRY

    key = name.strip().lower().replace("-", "_")
    if key not in REGISTRY:
        raise CliError(
            f"unknown method {name!r}; available: {', '.join(sorted(REGISTRY))}. "
            f"Received: --method {name}"
        )
    cls: Any = REGISTRY[key]
    if layer is None:
        return cls()
    if "layer" not in inspect.signature(cls).parameters:
        raise CliError(
            f"method {key!r} explains the input, not a layer; drop --layer. "
            f"Received: --layer {layer}"
        )
    return cls(layer=layer)


def _load_model(path: str) -> Any:
    if not os.path.exists(path):
        raise CliError(f"model file not found: {path}")
    if os.path.isdir(path):
        raise CliError(
            f"{path} is a directory; pass a .keras (or .h5) model file "
            "(SavedModel directories are not Keras models)"
        )
    import keras

    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as err:
        raise CliError(
            f"cannot load the model {path}: {type(err).__name__}: {err}"
        ) from None


def _model_input(model: Any) -> tuple[int | None, int | None, int]:
    """(height, width, channels) of an image model's single input."""
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1:
        raise CliError(
            "the model must take one input (a batch of images). "
            f"Received: a model with {len(inputs)} inputs"
        )
    shape = tuple(inputs[0].shape)
    if len(shape) != 4 or shape[-1] is None:
        raise CliError(
            "the model must take images [batch, height, width, channels]. "
            f"Received: input shape {shape}"
        )
    channels = int(shape[-1])
    if channels not in (1, 3, 4):
        raise CliError(
            "the model's images must have 1, 3 or 4 channels. "
            f"Received: input shape {shape}"
        )
    return shape[1], shape[2], channels


def _load_image(path: str, channels: int) -> Any:
    import numpy as np
    import tensorflow as tf

    if not os.path.exists(path):
        raise CliError(f"image file not found: {path}")
    if os.path.isdir(path):
        raise CliError(f"{path} is a directory, not an image file")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror}") from None
    try:
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
    except (tf.errors.InvalidArgumentError, ValueError) as err:
        reason = getattr(err, "message", str(err)).splitlines()[0]
        raise CliError(
            f"cannot read {path} as an image (PNG, JPEG, GIF or BMP): {reason}"
        ) from None
    return np.asarray(image)


def _load_images(
    paths: Sequence[str], height: int | None, width: int | None, channels: int
) -> Any:
    import numpy as np

    images: list[np.ndarray] = []
    for path in paths:
        image = _load_image(path, channels)
        if height is None or width is None:  # a fully convolutional model
            first = images[0] if images else image
            height, width = height or first.shape[0], width or first.shape[1]
        if image.shape[:2] != (height, width):
            raise CliError(
                f"{path} is {image.shape[1]}x{image.shape[0]} (width x height) but "
                f"the model takes {width}x{height} images; resize it first. "
                f"Received: shape={tuple(image.shape)}"
            )
        images.append(image)
    return np.stack(images)


def _reason(err: Exception) -> str:
    """The message of `err` (TensorFlow's errors: without the graph trace)."""
    message = getattr(err, "message", None)
    return message if isinstance(message, str) else str(err)


def _cmd_explain(args: argparse.Namespace) -> int:
    method = _make_method(args.method, args.layer)
    class_names = _class_names(args.class_names)
    model = _load_model(args.model)
    height, width, channels = _model_input(model)
    pixels = _load_images(args.images, height, width, channels)
    images = pixels.astype("float32") * args.rescale

    import tensorflow as tf

    from tbexplain import ExplanationLogger

    run = args.run or Path(args.model).stem
    run_dir = os.path.join(args.logdir, run)
    # What the logger raises for a model it cannot explain: ValueError and
    # TypeError when it checks its arguments, RuntimeError when a method fails
    # on the first log (e.g. a --layer the model calls twice), and
    # TensorFlow's errors from running the model.
    failures = (ValueError, TypeError, RuntimeError, tf.errors.OpError)
    try:
        logger = ExplanationLogger(
            images,
            methods=[method],
            log_dir=run_dir,
            top_k=args.top_k,
            class_names=class_names,
            metrics=None,
        )
    except failures as err:
        raise CliError(f"cannot explain with {method.name}: {_reason(err)}") from None
    try:
        written = logger.log(model, args.step)
    except failures as err:
        raise CliError(f"cannot explain with {method.name}: {_reason(err)}") from None
    finally:
        logger.close()
    tags = ", ".join(sorted(written))
    print(
        f"Wrote {method.name} explanations of {len(pixels)} image(s) at step "
        f"{args.step} to {run_dir} (tags {logger.inputs_tag}, {tags}).\n"
        f"View them with: tensorboard --logdir {args.logdir}"
    )
    return 0


# ---------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``tbexplain`` command line; returns the exit status.

    Args:
      argv: The arguments (default: ``sys.argv[1:]``).
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except CliError as err:
        print(f"{PROG} {args.command}: error: {_one_line(str(err))}", file=sys.stderr)
        return 2


def _one_line(message: str) -> str:
    """`message` on one line: its lines joined with spaces."""
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
