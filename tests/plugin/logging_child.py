"""A training process for the kill -9 test: logs Grad-CAM of a tiny model, step by step.

Usage: ``python -m tests.plugin.logging_child LOG_DIR FIRST_STEP [COUNT]``.

Logs steps ``FIRST_STEP, FIRST_STEP + 1, ...`` with the public
`tbx.ExplanationLogger` API, calling `flush()` after each and printing
``flushed <step>`` once it returned. With COUNT it stops after COUNT steps,
calls `close()` and prints ``closed``; without, it runs until killed.
Everything is seeded and built in code.
"""

from __future__ import annotations

import itertools
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

TAG = "explain/gradcam"
SAMPLES = 3


def main() -> None:
    import keras
    import numpy as np

    import tbexplain as tbx

    log_dir, first = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else None
    keras.utils.set_random_seed(first)
    model = keras.Sequential(
        [
            keras.Input((12, 12, 1)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(2),
        ]
    )
    probe = np.random.default_rng(0).uniform(size=(SAMPLES, 12, 12, 1))
    logger = tbx.ExplanationLogger(
        probe.astype("float32"), methods=[tbx.GradCAM()], log_dir=log_dir
    )
    steps = itertools.count(first) if count is None else range(first, first + count)
    for step in steps:
        logger.log(model, step)
        logger.flush()
        print(f"flushed {step}", flush=True)
    logger.close()
    print("closed", flush=True)


if __name__ == "__main__":
    main()
