"""Runs model.fit with ExplainCallback under a tf.distribute strategy.

Run as a subprocess by test_distributed.py (strategies need a fresh process):

    python -m tests.logging._dist_worker mirrored LOGDIR
    python -m tests.logging._dist_worker multiworker LOGDIR INDEX PORT0 PORT1

Prints one JSON line with what the worker saw.
"""

from __future__ import annotations

import json
import os
import sys


def _custom_loop(strategy, model, train, callback, epochs):
    import keras
    import tensorflow as tf

    with strategy.scope():
        model.optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    batches = strategy.experimental_distribute_dataset(train)

    @tf.function
    def train_step(xb, yb):
        def step(xb, yb):
            with tf.GradientTape() as tape:
                per_sample = loss_fn(yb, model(xb, training=True))
                loss = tf.nn.compute_average_loss(per_sample, global_batch_size=16)
            grads = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply_gradients(
                zip(grads, model.trainable_variables, strict=True)
            )

        strategy.run(step, args=(xb, yb))

    callbacks = keras.callbacks.CallbackList([callback], model=model)
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for batch, (xb, yb) in enumerate(batches):
            callbacks.on_train_batch_begin(batch)
            train_step(xb, yb)
            callbacks.on_train_batch_end(batch)
        callbacks.on_epoch_end(epoch)
    callbacks.on_train_end()


def main(argv: list[str]) -> None:
    kind, logdir = argv[0], argv[1]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if kind == "multiworker":
        index, ports = int(argv[2]), argv[3:5]
        os.environ["TF_CONFIG"] = json.dumps(
            {
                "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                "task": {"type": "worker", "index": index},
            }
        )
    import tensorflow as tf

    if kind == "mirrored":
        (cpu,) = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    else:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()

    import keras

    import tbexplain as tbx

    keras.config.disable_traceback_filtering()
    from tests.logging.conftest import make_data, make_model

    x, y = make_data(64)
    with strategy.scope():
        model = make_model()
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF
    )
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16).with_options(options)
    cam = tbx.GradCAM()
    callback = tbx.ExplainCallback(
        x[:4], y[:4], methods=[cam], log_dir=logdir, every_n_steps=2
    )
    # How often the method runs: once for the dry run on every worker, and
    # once per logged step on the chief only.
    explain_calls = 0
    original = cam.explain_with_targets

    def counted(*args, **kwargs):
        nonlocal explain_calls
        explain_calls += 1
        return original(*args, **kwargs)

    cam.explain_with_targets = counted
    if kind == "mirrored":
        model.fit(train, epochs=2, verbose=0, callbacks=[callback])
    else:
        # Keras 3's fit() does not run under MultiWorkerMirroredStrategy
        # (keras-team/keras#20585, open): train with a custom loop and drive
        # the callback through a CallbackList, as Keras documents for loops.
        _custom_loop(strategy, model, train, callback, epochs=2)
    predicted = model(x[:4]).numpy().argmax(1).tolist()
    print(
        json.dumps(
            {
                "kind": kind,
                "replicas": strategy.num_replicas_in_sync,
                "chief": callback._chief,
                "pid": os.getpid(),
                "predicted": predicted,
                "explain_calls": explain_calls,
                "traces": cam.trace_count,
                "batches": callback._global_step,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
