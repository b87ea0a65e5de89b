"""Views beside methods, their schedules, pipeline stages and callable targets, read
back through TensorBoard's data provider."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.summary import quantize
from tests.logging.conftest import SIZE, LogdirReader, make_data, make_model

PROBE = 4


def _restored(step) -> np.ndarray:
    return step.maps()


def test_views_and_methods_share_one_logger_and_each_keeps_its_schedule(tmp_path):
    x, _ = make_data(8)
    model = make_model()
    filters = tbx.FilterVisualization("conv2", filters=[0, 3], steps=4, seed=1)
    logger = tbx.ExplanationLogger(
        x[:PROBE],
        methods=[
            tbx.GradCAM(),
            tbx.Activations(layers=["conv1"], channels=2),
            tbx.every(2, filters),
        ],
        log_dir=tmp_path,
    )
    written = {step: logger.log(model, step) for step in range(4)}
    logger.close()
    assert set(written[0]) == {
        "explain/gradcam",
        "explain/activations/conv1",
        "explain/filters/conv2",
    }
    assert "explain/filters/conv2" not in written[1]
    reader = LogdirReader(tmp_path)
    assert [s.step for s in reader.steps(".", "explain/filters/conv2")] == [0, 2]
    assert [s.step for s in reader.steps(".", "explain/activations/conv1")] == [
        0,
        1,
        2,
        3,
    ]
    # Each view reads back as what it computed (8-bit).
    (act,) = [s for s in reader.steps(".", "explain/activations/conv1") if s.step == 3]
    maps = written[3]["explain/activations/conv1"]  # [B, H, W, K]
    items = act.manifest["items"]
    assert [(it["sample"], it["channel"]) for it in items][:2] == [
        (0, items[0]["channel"]),
        (0, items[1]["channel"]),
    ]
    expected = np.stack([maps[it["sample"], :, :, k % 2] for k, it in enumerate(items)])
    np.testing.assert_allclose(
        _restored(act), expected, atol=(expected.max() - expected.min()) / 255 + 1e-6
    )
    (filt,) = [s for s in reader.steps(".", "explain/filters/conv2") if s.step == 2]
    assert [it["filter"] for it in filt.manifest["items"]] == [0, 3]
    images = written[2]["explain/filters/conv2"]
    lo, hi = images.min(), images.max()
    pixels = np.stack(filt.images())
    want = quantize(images, lo, hi) if (lo < 0 or hi > 1) else quantize(images, 0, 1)
    np.testing.assert_array_equal(pixels, want)


def test_the_callback_logs_pipeline_stages_once_at_train_begin(tmp_path):
    x, y = make_data(16)
    model = make_model()
    decoded = tf.data.Dataset.from_tensor_slices((x, y))
    flipped = decoded.map(lambda a, b: (tf.image.flip_left_right(a), b))
    seen_at_train_begin = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 0:
                seen_at_train_begin.extend(
                    LogdirReader(tmp_path).series().get("train", {})
                )

    callback = tbx.ExplainCallback(
        x[:PROBE],
        y[:PROBE],
        methods=tbx.GradCAM(),
        pipeline={"decoded": decoded, "flipped": flipped},
        log_dir=tmp_path,
    )
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[callback, Spy()])
    assert {"explain/pipeline/decoded", "explain/pipeline/flipped"} <= set(
        seen_at_train_begin
    )
    reader = LogdirReader(tmp_path)
    decoded_steps = reader.steps("train", "explain/pipeline/decoded")
    assert [s.step for s in decoded_steps] == [0]
    (flip,) = reader.steps("train", "explain/pipeline/flipped")
    assert flip.manifest["items"][0]["label"] == int(y[0])
    np.testing.assert_array_equal(
        np.stack(flip.images())[:, :, :, :],
        quantize(x[:8, :, ::-1], 0.0, 1.0),
    )
    assert [s.step for s in reader.steps("train", "explain/gradcam")] == [0, 1]


def _regression_model() -> keras.Model:
    keras.utils.set_random_seed(3)
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, activation="relu", padding="same", name="conv")(
        inputs
    )
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(inputs, keras.layers.Dense(1, name="value")(h))
    model.compile("adam", "mse")
    return model


def test_a_callable_target_explains_a_regression_and_records_its_name(tmp_path):
    x, _ = make_data(16)
    brightness = x.mean(axis=(1, 2, 3))
    model = _regression_model()
    callback = tbx.ExplainCallback(
        x[:PROBE],
        methods=[tbx.GradCAM(), tbx.IntegratedGradients(steps=8)],
        targets=lambda outputs: outputs[:, 0],
        target_name="brightness",
        log_dir=tmp_path,
    )
    model.fit(x, brightness, epochs=1, verbose=0, callbacks=[callback])
    predicted = model(x[:PROBE]).numpy()[:, 0]
    reader = LogdirReader(tmp_path)
    for tag in ("explain/gradcam", "explain/integrated_gradients"):
        (step,) = reader.steps("train", tag)
        assert step.manifest["target_name"] == "brightness"
        items = step.manifest["items"]
        assert all("class_id" not in it and "predicted" not in it for it in items)
        np.testing.assert_allclose(
            [it["score"] for it in items], predicted, rtol=1e-4, atol=1e-5
        )


def test_the_manifest_records_the_models_own_prediction_whatever_is_explained(
    tmp_path,
):
    x, y = make_data(8)
    model = make_model()
    logits = keras.Model(model.input, model.get_layer("head").output)
    predicted = logits(x[:PROBE]).numpy().argmax(axis=1)
    for targets, top_k, k in (("label", None, 1), ("predicted", 2, 2), ([2], None, 1)):
        run = tmp_path / f"{targets}-{top_k}"
        logger = tbx.ExplanationLogger(
            x[:PROBE],
            y[:PROBE],
            methods=tbx.GradCAM(),
            targets=targets,
            top_k=top_k,
            log_dir=run,
        )
        logger.log(model, 0)
        logger.close()
        (step,) = LogdirReader(run).steps(".", "explain/gradcam")
        items = step.manifest["items"]
        assert [it["predicted"] for it in items] == np.repeat(predicted, k).tolist()
        if targets == "label":
            assert [it["class_id"] for it in items] == y[:PROBE].tolist()


def test_one_head_of_a_multi_output_model(tmp_path):
    x, _ = make_data(4)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(
        inputs
    )
    h = keras.layers.GlobalAveragePooling2D()(h)
    model = keras.Model(
        inputs, [keras.layers.Dense(3, name="cls")(h), keras.layers.Dense(1)(h)]
    )
    with pytest.raises(ValueError, match="several outputs"):
        tbx.ExplanationLogger(x, methods=tbx.GradCAM(), log_dir=tmp_path).log(model, 0)
    logger = tbx.ExplanationLogger(
        x,
        methods=tbx.GradCAM(),
        targets=lambda outputs: outputs[1][:, 0],
        target_name="box size",
        log_dir=tmp_path / "head",
    )
    maps = logger.log(model, 0)["explain/gradcam"]
    logger.close()
    assert maps.shape == (4, SIZE, SIZE)
    (step,) = LogdirReader(tmp_path / "head").steps(".", "explain/gradcam")
    np.testing.assert_allclose(
        [it["score"] for it in step.manifest["items"]],
        model(x)[1].numpy()[:, 0],
        rtol=1e-4,
        atol=1e-5,
    )


def test_an_unknown_entry_is_refused_with_what_was_received(tmp_path):
    x, _ = make_data(2)
    with pytest.raises(TypeError, match=r"tbexplain methods or views.*'gradcam'"):
        tbx.ExplanationLogger(x, methods=["gradcam"], log_dir=tmp_path)
    with pytest.raises(ValueError, match="Received: n=0"):
        tbx.every(0, tbx.GradCAM())


def test_errors_with_other_constructors_keep_their_cause(tmp_path):
    x, _ = make_data(2)

    class Broken(tbx.GradCAM):
        name = "broken"

        def layer_name(self, model):
            raise tf.errors.InvalidArgumentError(None, None, "layer is reused")

    logger = tbx.ExplanationLogger(x, methods=Broken(), log_dir=tmp_path)
    with pytest.raises(
        RuntimeError, match=r"Broken cannot apply.*layer is reused"
    ) as e:
        logger.validate(make_model())
    assert isinstance(e.value.__cause__, tf.errors.InvalidArgumentError)


def test_a_model_without_class_scores_records_no_prediction(tmp_path):
    """A regression explained with the default target: its one output is
    "explained", but it is no class, so no prediction is recorded."""
    x, _ = make_data(4)
    model = _regression_model()
    logger = tbx.ExplanationLogger(x, methods=tbx.Saliency(), log_dir=tmp_path)
    logger.log(model, 0)
    logger.close()
    (step,) = LogdirReader(tmp_path).steps(".", "explain/saliency")
    assert all("predicted" not in row for row in step.manifest["items"])
