"""The demo's text run: a small text classifier whose cue words light up as it learns.

The model reads generated film reviews (`tbexplain.data.reviews`) as token
ids: an ``Embedding``, a ``Conv1D`` and max pooling. Its callback explains a
fixed probe of reviews every epoch with integrated gradients (from the pad
token's embedding), Grad-CAM of the convolution and token occlusion, and
scores them with the pointing game against the known cue words: the fraction
of probe reviews whose largest attribution falls on a cue word. It rises as
the model learns that the cue words, not the filler, carry the sentiment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tbexplain.data.reviews import CLASS_NAMES, VOCABULARY, make_reviews
from tbexplain.demo.config import TAG_PREFIX, TRAIN_SUBDIR, DemoConfig
from tbexplain.demo.report import RunResult
from tbexplain.demo.scalars import read_scalars

__all__ = ["TEXT_POINTING_GAME_TAG", "TEXT_RUN", "build_text_model", "train_text_run"]

#: The text run's name in the demo's log directory.
TEXT_RUN = "text"

#: The scalar of the integrated gradients' pointing game on the cue words.
TEXT_POINTING_GAME_TAG = f"{TAG_PREFIX}/metrics/integrated_gradients/pointing_game"

LENGTH = 12
TRAIN_SIZE = 1000
PROBE_SIZE = 16
LEARNING_RATE = 3e-4


def build_text_model(length: int = LENGTH) -> Any:
    """The text classifier, compiled: token ids -> Embedding -> Conv1D -> max."""
    import keras

    layers = keras.layers
    tokens = keras.Input((length,), dtype="int32", name="tokens")
    x = layers.Embedding(len(VOCABULARY), 16, name="embedding")(tokens)
    x = layers.Conv1D(16, 3, padding="same", activation="relu", name="conv")(x)
    x = layers.GlobalMaxPooling1D(name="pool")(x)
    outputs = layers.Dense(len(CLASS_NAMES), activation="softmax", name="sentiment")(x)
    model = keras.Model(tokens, outputs, name="reviews_cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def text_methods() -> list[Any]:
    """What the text run logs every epoch."""
    import tbexplain as tbx

    return [
        tbx.IntegratedGradients(steps=16),
        tbx.GradCAM(),
        tbx.Occlusion(patch=1),
    ]


def train_text_run(
    log_dir: str | os.PathLike[str],
    config: DemoConfig,
    *,
    verbose: int | str = 1,
    echo: Callable[[str], None] | None = None,
) -> RunResult:
    """Trains the text run into ``log_dir/text`` (its explanations in ``train``).

    Returns:
      Its `RunResult`, with the integrated gradients' pointing game per epoch.
    """
    import keras

    import tbexplain as tbx

    run_dir = Path(log_dir) / TEXT_RUN
    keras.utils.set_random_seed(config.seed)
    train = make_reviews(TRAIN_SIZE, length=LENGTH, seed=config.seed)
    val = make_reviews(TRAIN_SIZE // 4, length=LENGTH, seed=config.seed + 1)
    probe = make_reviews(PROBE_SIZE, length=LENGTH, seed=config.seed + 2)
    model = build_text_model()
    explain = tbx.ExplainCallback(
        probe.tokens,
        probe.labels,
        methods=text_methods(),
        log_dir=str(run_dir),
        run=TRAIN_SUBDIR,
        class_names=list(CLASS_NAMES),
        vocabulary=list(VOCABULARY),
        masks=probe.cue_masks,
        metrics={"pointing_game": {}, "energy_in_mask": {}},
        name=TAG_PREFIX,
    )
    board = keras.callbacks.TensorBoard(log_dir=str(run_dir), write_graph=False)
    start = time.perf_counter()
    history = model.fit(
        train.tokens,
        train.labels,
        batch_size=config.batch_size,
        epochs=config.epochs,
        validation_data=(val.tokens, val.labels),
        callbacks=[board, explain],
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    pointing = read_scalars(run_dir / TRAIN_SUBDIR, TEXT_POINTING_GAME_TAG)
    if echo is not None and pointing:
        echo(
            "Text run: integrated gradients on a cue word, per epoch: "
            + " ".join(f"{v:.2f}" for _, v in pointing)
        )
    return RunResult(
        name=TEXT_RUN,
        log_dir=str(run_dir),
        pointing_game=pointing,
        history={k: [float(v) for v in vs] for k, vs in history.history.items()},
        seconds=seconds,
    )
