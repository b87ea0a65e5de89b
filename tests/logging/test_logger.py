"""ExplanationLogger in a custom training loop, metrics, traces, faults."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tests.logging.conftest import CLASS_NAMES, SIZE, LogdirReader, make_model

PROBE = 6


def test_gradient_tape_loop(tmp_path, data):
    x, y = data
    model = make_model(softmax=False)
    optimizer = keras.optimizers.Adam(0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    logger = tbx.ExplanationLogger(
        x[:PROBE],
        y[:PROBE],
        methods=[tbx.GradCAM(), tbx.GradCAM("conv1")],
        log_dir=str(tmp_path),
        class_names=CLASS_NAMES,
    )
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))

    written = {}
    for epoch in range(3):
        for xb, yb in train:
            train_step(xb, yb)
        written = logger.log(model, step=epoch)
    logger.close()

    # Two Grad-CAMs: the layer goes into the tag.
    assert set(written) == {"explain/gradcam/conv2", "explain/gradcam/conv1"}
    reader = LogdirReader(tmp_path)
    tags = reader.series()["."]
    assert tags["explain/gradcam/conv1"].layer == "conv1"
    assert tags["explain/gradcam/conv2"].layer == "conv2"
    logits = model(x[:PROBE]).numpy()
    for tag, maps in written.items():
        steps = reader.steps(".", tag)
        assert [s.step for s in steps] == [0, 1, 2]
        items = steps[-1].manifest["items"]
        assert [it["class_id"] for it in items] == list(logits.argmax(1))
        assert [it["label_name"] for it in items] == [CLASS_NAMES[c] for c in y[:PROBE]]
        # The manifest's ranges are the raw maps' (the PNG is rescaled).
        np.testing.assert_allclose(
            [it["max"] for it in items], maps.reshape(PROBE, -1).max(1), rtol=1e-6
        )
    # The inputs are written once, at the first logged step.
    assert [s.step for s in reader.steps(".", "explain/inputs")] == [0]


def test_traced_once_and_drift_of_an_unchanged_model_is_one(tmp_path, data):
    x, _ = data
    model = make_model()
    cam = tbx.GradCAM()
    writer = tf.summary.create_file_writer(str(tmp_path))
    logger = tbx.ExplanationLogger(
        x[:PROBE], methods=cam, writer=writer, top_k=2, metrics=["drift"]
    )
    for step in range(5):
        logger.log(model, step)
    assert cam.trace_count == 1
    assert logger._binding.forward.experimental_get_tracing_count() == 1
    logger.close()  # a given writer is flushed, not closed
    with writer.as_default():
        tf.summary.scalar("still_open", 1.0, step=0)
    writer.close()
    scalars = LogdirReader(tmp_path).scalars(".")
    drift = scalars["explain/metrics/gradcam/drift"]
    assert [s for s, _ in drift] == [1, 2, 3, 4]
    np.testing.assert_allclose([v for _, v in drift], 1.0)
    assert "still_open" in scalars


def test_metrics_as_scalars_with_masks(tmp_path, data):
    x, y = data
    model = make_model()
    masks = np.zeros((PROBE, SIZE, SIZE), bool)
    masks[:, :8] = True
    logger = tbx.ExplanationLogger(
        x[:PROBE],
        y[:PROBE],
        methods=tbx.Saliency(),
        log_dir=tmp_path,
        masks=masks,
        targets="label",
        metrics={"pointing_game": {}, "deletion": {"steps": 4}, "insertion": {}},
    )
    maps = logger.log(model, 7)["explain/saliency"]
    logger.close()
    scalars = LogdirReader(tmp_path).scalars(".")
    prefix = "explain/metrics/saliency/"
    assert set(scalars) == {
        prefix + m for m in ("pointing_game", "deletion", "insertion")
    }
    expected = tbx.metrics.pointing_game(maps, masks).mean()
    assert scalars[prefix + "pointing_game"] == [(7, pytest.approx(expected))]
    deletion = tbx.metrics.deletion(model, x[:PROBE], maps, y[:PROBE], steps=4).mean()
    assert scalars[prefix + "deletion"][0][1] == pytest.approx(deletion, rel=1e-5)


def test_cam_maps_are_stored_at_the_layer_resolution(tmp_path, data):
    x, y = data
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same")(inputs)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(3)(h))
    masks = np.zeros((PROBE, SIZE, SIZE), bool)
    masks[:, :, : SIZE // 2] = True
    cam = tbx.GradCAM()
    logger = tbx.ExplanationLogger(
        x[:PROBE], y[:PROBE], methods=cam, log_dir=tmp_path, masks=masks
    )
    maps = logger.log(model, 0)["explain/gradcam"]
    logger.close()

    half = SIZE // 2
    assert maps.shape == (PROBE, half, half)
    np.testing.assert_allclose(
        maps, cam.explain(model, x[:PROBE], upsample=False), rtol=1e-5, atol=1e-7
    )
    [step] = LogdirReader(tmp_path).steps(".", "explain/gradcam")
    assert step.manifest["shape"] == [half, half]
    assert [image.shape[:2] for image in step.images()] == [(half, half)] * PROBE
    # Metrics against the masks use the maps upsampled as `explain` returns them.
    expected = tbx.metrics.pointing_game(cam.explain(model, x[:PROBE]), masks).mean()
    [(_, value)] = LogdirReader(tmp_path).scalars(".")[
        "explain/metrics/gradcam/pointing_game"
    ]
    assert value == pytest.approx(expected)


def test_first_log_raises_later_failures_warn(tmp_path, data):
    x, _ = data
    model = make_model()
    with pytest.raises(ValueError, match="No layer 'missing'"):
        tbx.ExplanationLogger(
            x[:2], methods=tbx.GradCAM("missing"), log_dir=tmp_path
        ).log(model, 0)
    assert not list(tmp_path.rglob("events.*"))

    class Flaky(tbx.Saliency):
        name = "flaky"
        fail = False

        def explain_with_targets(self, model, inputs, targets=None, **kwargs):
            if self.fail:
                raise MemoryError("out of memory")
            return super().explain_with_targets(model, inputs, targets, **kwargs)

    flaky = Flaky()
    logger = tbx.ExplanationLogger(
        x[:2], methods=[flaky, tbx.GradCAM()], log_dir=tmp_path
    )
    assert set(logger.log(model, 0)) == {"explain/flaky", "explain/gradcam"}
    flaky.fail = True
    with pytest.warns(
        RuntimeWarning, match="explain/flaky failed at step 1.*out of memory"
    ):
        assert set(logger.log(model, 1)) == {"explain/gradcam"}
    flaky.fail = False
    assert set(logger.log(model, 2)) == {"explain/flaky", "explain/gradcam"}
    assert logger.failures == [(1, "explain/flaky", "MemoryError: out of memory")]


def test_non_finite_maps_are_recorded_in_the_manifest(tmp_path, data):
    x, _ = data
    model = make_model()
    kernel = model.get_layer("conv1").kernel
    kernel.assign(tf.fill(kernel.shape, np.nan))
    logger = tbx.ExplanationLogger(x[:2], methods=tbx.Saliency(), log_dir=tmp_path)
    with pytest.warns(RuntimeWarning, match="non-finite"):
        logger.log(model, 0)
    logger.close()
    (step,) = LogdirReader(tmp_path).steps(".", "explain/saliency")
    assert [it["nonfinite"] for it in step.manifest["items"]] == [SIZE * SIZE] * 2


def test_probe_from_a_dataset_and_writer_reopened_after_close(tmp_path, data):
    x, y = data
    model = make_model()
    ds = tf.data.Dataset.from_tensor_slices((x[:4], y[:4])).batch(2)
    logger = tbx.ExplanationLogger(ds, methods=tbx.GradCAM(), log_dir=tmp_path)
    logger.log(model, 0)
    logger.close()
    logger.log(model, 1)  # a new writer, inputs written again for it
    logger.close()
    reader = LogdirReader(tmp_path)
    inputs = reader.steps(".", "explain/inputs")
    assert [s.step for s in inputs] == [0, 1]
    assert [it["label"] for it in inputs[0].manifest["items"]] == list(y[:4])
    assert [s.step for s in reader.steps(".", "explain/gradcam")] == [0, 1]


def test_a_failing_metric_warns_at_its_step_and_the_maps_are_still_written(
    tmp_path, data
):
    x, _ = data
    model = make_model()
    logger = tbx.ExplanationLogger(
        x[:2],
        methods=tbx.GradCAM(),
        log_dir=tmp_path,
        metrics={"drift": {"measure": "kendall"}},  # fails from the 2nd step on
    )
    logger.log(model, 0)  # drift has no previous step yet
    # Metrics run on the caller's thread, with the methods.
    with pytest.warns(RuntimeWarning, match="drift failed at step 1.*kendall"):
        logger.log(model, 1)
    logger.close()
    assert [f[:2] for f in logger.failures] == [(1, "explain/metrics/gradcam/drift")]
    steps = LogdirReader(tmp_path).steps(".", "explain/gradcam")
    assert [s.step for s in steps] == [0, 1]


def test_a_failing_background_write_warns_and_later_steps_are_written(
    tmp_path, data, monkeypatch
):
    x, _ = data
    model = make_model()
    explanation = tbx.summary.explanation
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(kwargs["step"])
        if kwargs["step"] == 1:
            raise OSError("disk full")
        return explanation(*args, **kwargs)

    monkeypatch.setattr(tbx.summary, "explanation", failing_once)
    logger = tbx.ExplanationLogger(x[:2], methods=tbx.GradCAM(), log_dir=tmp_path)
    logger.log(model, 0)  # synchronous
    logger.log(model, 1)  # on the writer thread: fails there
    with pytest.warns(RuntimeWarning, match=r"writing explanations failed.*disk full"):
        logger.flush()
    logger.log(model, 2)
    logger.close()
    assert calls == [0, 1, 2]
    assert [f[:2] for f in logger.failures] == [(-1, "explain")]
    assert "OSError: disk full" in logger.failures[0][2]
    steps = LogdirReader(tmp_path).steps(".", "explain/gradcam")
    assert [s.step for s in steps] == [0, 2]


def test_synchronous_writes_when_asked(tmp_path, data):
    x, _ = data
    model = make_model()
    logger = tbx.ExplanationLogger(
        x[:2], methods=tbx.GradCAM(), log_dir=tmp_path, write_in_background=False
    )
    for step in range(3):
        logger.log(model, step)
    # Everything is on disk without flush/close.
    steps = LogdirReader(tmp_path).steps(".", "explain/gradcam")
    assert [s.step for s in steps] == [0, 1, 2]
    logger.close()


def test_first_write_after_validate_is_synchronous(tmp_path, data, monkeypatch):
    import threading

    x, _ = data
    model = make_model()
    threads: list[str] = []
    explanation = tbx.summary.explanation

    def recording(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return explanation(*args, **kwargs)

    monkeypatch.setattr(tbx.summary, "explanation", recording)
    logger = tbx.ExplanationLogger(x[:2], methods=tbx.GradCAM(), log_dir=tmp_path)
    logger.validate(model)
    logger.log(model, 0)  # the first write of this writer: on the caller's thread
    logger.log(model, 1)  # later writes: on the background thread
    logger.close()
    main = threading.current_thread().name
    assert threads[0] == main
    assert threads[1] != main


def test_a_later_failure_outside_the_parts_is_one_warning_and_no_raise(
    tmp_path, data, monkeypatch
):
    """After the first log, nothing `log` does can raise into training."""
    x, _ = data
    model = make_model()
    logger = tbx.ExplanationLogger(
        x[:2], methods=tbx.GradCAM(), log_dir=tmp_path, write_in_background=False
    )
    logger.log(model, 0)

    def broken(*args, **kwargs):
        raise OSError("writer gone")

    monkeypatch.setattr(tbx.summary, "explanation", broken)
    with pytest.warns(RuntimeWarning, match="step 1 failed.*writer gone"):
        assert logger.log(model, 1) == {}
    assert logger.log(model, 2) == {}  # warned once only
    assert [f[:2] for f in logger.failures] == [(1, "explain"), (2, "explain")]
