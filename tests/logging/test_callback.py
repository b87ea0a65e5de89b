"""ExplainCallback with model.fit, read back through TensorBoard's data provider."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tests.logging.conftest import (
    CLASS_NAMES,
    SIZE,
    LogdirReader,
    make_model,
)

PROBE = 4


def _logits(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """Pre-softmax scores: the head's kernel applied to the pooled features."""
    features = keras.Model(model.input, model.layers[-2].output)(x).numpy()
    head = model.get_layer("head")
    kernel, bias = (w.numpy() for w in head.weights)
    return features @ kernel + bias


def test_fit_three_epochs_logs_every_epoch_in_the_keras_train_run(tmp_path, data):
    x, y = data
    model = make_model()
    methods = [tbx.GradCAM(), tbx.Saliency()]
    callback = tbx.ExplainCallback(
        x[:PROBE],
        y[:PROBE],
        methods=methods,
        log_dir=str(tmp_path),
        class_names=CLASS_NAMES,
        metrics=["drift"],
    )
    model.fit(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(16),
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(str(tmp_path)), callback],
    )
    # Dry run + 3 logs: each compiled function traced once, one model state.
    assert [m.trace_count for m in methods] == [1, 1]
    assert [len(m._compiled.states) for m in methods] == [1, 1]
    reader = LogdirReader(tmp_path)
    series = reader.series()
    assert set(series) == {"train"}
    tags = series["train"]
    assert set(tags) == {"explain/inputs", "explain/gradcam", "explain/saliency"}
    assert metadata_kind(tags["explain/inputs"]) == "inputs"
    assert tags["explain/gradcam"].method == "gradcam"
    assert tags["explain/gradcam"].layer == "conv2"
    assert tags["explain/gradcam"].inputs_tag == "explain/inputs"
    assert not tags["explain/gradcam"].signed
    assert tags["explain/saliency"].layer == ""

    inputs = reader.steps("train", "explain/inputs")
    assert [s.step for s in inputs] == [0]
    assert [item["label"] for item in inputs[0].manifest["items"]] == list(y[:PROBE])

    final_logits = _logits(model, x[:PROBE])
    for tag in ("explain/gradcam", "explain/saliency"):
        steps = reader.steps("train", tag)
        assert [s.step for s in steps] == [0, 1, 2]
        last = steps[-1].manifest
        assert last["shape"] == [SIZE, SIZE]
        assert len(steps[-1].images()) == PROBE
        items = last["items"]
        assert [it["sample"] for it in items] == list(range(PROBE))
        assert [it["class_id"] for it in items] == list(final_logits.argmax(1))
        assert [it["class_name"] for it in items] == [
            CLASS_NAMES[c] for c in final_logits.argmax(1)
        ]
        np.testing.assert_allclose(
            [it["score"] for it in items], final_logits.max(1), rtol=1e-4, atol=1e-4
        )
        assert [it["label"] for it in items] == list(y[:PROBE])

    scalars = reader.scalars("train")
    assert "epoch_loss" in scalars  # Keras' own scalars: the same run
    drift = dict(scalars["explain/metrics/gradcam/drift"])
    assert sorted(drift) == [1, 2]  # needs a previous step
    # Drift compares a sample's maps of the same class only: recomputed here
    # from the maps read back (8-bit, hence the tolerance).
    logged = reader.steps("train", "explain/gradcam")
    for before, after in itertools.pairwise(logged):
        same = [
            i
            for i, (a, b) in enumerate(
                zip(before.manifest["items"], after.manifest["items"], strict=True)
            )
            if a["class_id"] == b["class_id"]
        ]
        value = drift[after.step]
        if not same:
            assert np.isnan(value)
            continue
        expected = tbx.metrics.drift(before.maps()[same], after.maps()[same]).mean()
        assert abs(value - expected) < 0.05, (after.step, value, expected)


def metadata_kind(data) -> str:
    from tbexplain_plugin import metadata

    return metadata.kind_name(data)


def test_top_k_writes_k_maps_per_sample(tmp_path, data):
    x, y = data
    model = make_model()
    callback = tbx.ExplainCallback(
        x[:PROBE], methods=tbx.GradCAM(), log_dir=tmp_path, top_k=2, run=None
    )
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
    reader = LogdirReader(tmp_path)
    (step,) = reader.steps(".", "explain/gradcam")
    items = step.manifest["items"]
    assert len(step.images()) == 2 * PROBE
    assert [it["sample"] for it in items] == [0, 0, 1, 1, 2, 2, 3, 3]
    order = np.argsort(-_logits(model, x[:PROBE]), axis=1)[:, :2]
    assert [it["class_id"] for it in items] == list(order.reshape(-1))
    scores = np.array([it["score"] for it in items]).reshape(PROBE, 2)
    assert (scores[:, 0] >= scores[:, 1]).all()


def test_label_and_fixed_targets(tmp_path, data):
    x, y = data
    model = make_model()
    label_cb = tbx.ExplainCallback(
        x[:PROBE],
        y[:PROBE],
        methods=tbx.GradCAM(),
        log_dir=tmp_path / "label",
        targets="label",
        run=None,
    )
    fixed_cb = tbx.ExplainCallback(
        x[:PROBE],
        methods=tbx.GradCAM(),
        log_dir=tmp_path / "fixed",
        targets=[2, 0],
        run=None,
    )
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[label_cb, fixed_cb])
    reader = LogdirReader(tmp_path)
    (label_step,) = reader.steps("label", "explain/gradcam")
    assert [it["class_id"] for it in label_step.manifest["items"]] == list(y[:PROBE])
    (fixed_step,) = reader.steps("fixed", "explain/gradcam")
    assert [it["class_id"] for it in fixed_step.manifest["items"]] == [2, 0] * PROBE
    assert [it["sample"] for it in fixed_step.manifest["items"]] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
    ]


def test_every_n_steps_uses_the_global_batch_count(tmp_path, data):
    x, y = data  # 64 samples, batch 16: 4 batches per epoch
    model = make_model()
    callback = tbx.ExplainCallback(
        x[:PROBE],
        methods=tbx.GradCAM(),
        log_dir=tmp_path,
        every_n_steps=3,
        every_n_epochs=None,
    )
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[callback])
    steps = [s.step for s in LogdirReader(tmp_path).steps("train", "explain/gradcam")]
    assert steps == [3, 6, 8]  # every 3 batches, then the end of training

    # A second fit continues the step axis from optimizer.iterations.
    callback2 = tbx.ExplainCallback(
        x[:PROBE],
        methods=tbx.GradCAM(),
        log_dir=tmp_path / "second",
        every_n_steps=3,
        every_n_epochs=1,
    )
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback2])
    reader = LogdirReader(tmp_path / "second")
    assert [s.step for s in reader.steps("train", "explain/gradcam")] == [9, 12]


def test_every_n_epochs_and_final_log(tmp_path, data):
    x, y = data
    model = make_model()
    callback = tbx.ExplainCallback(
        x[:PROBE], methods=tbx.GradCAM(), log_dir=tmp_path, every_n_epochs=2
    )
    model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=[callback])
    steps = [s.step for s in LogdirReader(tmp_path).steps("train", "explain/gradcam")]
    assert steps == [0, 2, 3]


class _FailsLater(tbx.Saliency):
    """A real method that raises from its third call on."""

    name = "fails_later"

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def explain_with_targets(self, model, inputs, targets=None, **kwargs):
        self.calls += 1
        if self.calls >= 3:
            raise FloatingPointError("boom in epoch")
        return super().explain_with_targets(model, inputs, targets, **kwargs)


def test_a_method_failing_mid_training_warns_once_and_training_continues(
    tmp_path, data
):
    x, y = data
    model = make_model()
    failing = _FailsLater()
    callback = tbx.ExplainCallback(
        x[:PROBE], methods=[failing, tbx.GradCAM()], log_dir=tmp_path
    )
    with pytest.warns(RuntimeWarning, match="boom in epoch") as record:
        history = model.fit(
            x, y, batch_size=32, epochs=4, verbose=0, callbacks=[callback]
        )
    assert len(history.history["loss"]) == 4
    assert sum("boom in epoch" in str(w.message) for w in record) == 1
    reader = LogdirReader(tmp_path)
    # Call 1 is the dry run at on_train_begin, call 2 epoch 0; then it fails.
    assert [s.step for s in reader.steps("train", "explain/fails_later")] == [0]
    assert [s.step for s in reader.steps("train", "explain/gradcam")] == [0, 1, 2, 3]
    assert [f[0] for f in callback.logger.failures] == [1, 2, 3]


def test_configuration_errors_raise_before_training(tmp_path, data):
    x, y = data
    model = make_model()
    before = [w.numpy().copy() for w in model.weights]

    def fit(callback):
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[callback])

    with pytest.raises(ValueError, match=r"No layer 'nope'.*Received: layer='nope'"):
        fit(tbx.ExplainCallback(x[:2], methods=tbx.GradCAM("nope"), log_dir=tmp_path))
    with pytest.raises(ValueError, match=r"Received: images with shape \(2, 8, 8, 3\)"):
        fit(
            tbx.ExplainCallback(
                np.zeros((2, 8, 8, 3), "float32"),
                methods=tbx.GradCAM(),
                log_dir=tmp_path,
            )
        )
    with pytest.raises(ValueError, match=r"out of range.*Received: targets=\[7\]"):
        fit(
            tbx.ExplainCallback(
                x[:2], methods=tbx.GradCAM(), targets=7, log_dir=tmp_path
            )
        )
    with pytest.raises(ValueError, match="top_k"):
        fit(
            tbx.ExplainCallback(x[:2], methods=tbx.GradCAM(), top_k=5, log_dir=tmp_path)
        )
    # A model without a spatial layer: Grad-CAM cannot apply.
    dense = keras.Sequential(
        [keras.Input((SIZE, SIZE, 3)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    dense.compile("sgd", "mse")
    with pytest.raises(ValueError, match="GradCAM cannot apply to model"):
        dense.fit(
            x[:8],
            np.zeros((8, 3)),
            verbose=0,
            callbacks=[
                tbx.ExplainCallback(x[:2], methods=tbx.GradCAM(), log_dir=tmp_path)
            ],
        )
    # No training step ran, nothing was written.
    for w, b in zip(model.weights, before, strict=True):
        np.testing.assert_array_equal(w.numpy(), b)
    assert not list(tmp_path.rglob("events.*"))


def test_constructor_validates_arguments(tmp_path, data):
    x, _ = data
    cam = tbx.GradCAM()
    with pytest.raises(
        ValueError, match=r'targets="label" needs.*Received: labels=None'
    ):
        tbx.ExplainCallback(x[:2], methods=cam, targets="label", log_dir=tmp_path)
    with pytest.raises(ValueError, match="Received: every_n_epochs=0"):
        tbx.ExplainCallback(x[:2], methods=cam, every_n_epochs=0, log_dir=tmp_path)
    with pytest.raises(ValueError, match="exactly one of log_dir and writer"):
        tbx.ExplainCallback(x[:2], methods=cam)
    with pytest.raises(ValueError, match="needs ground-truth masks"):
        tbx.ExplainCallback(
            x[:2], methods=cam, metrics=["pointing_game"], log_dir=tmp_path
        )
    with pytest.raises(ValueError, match="Unknown metric"):
        tbx.ExplainCallback(x[:2], methods=cam, metrics=["auc"], log_dir=tmp_path)
    with pytest.raises(TypeError, match="tbexplain methods"):
        tbx.ExplainCallback(x[:2], methods=["gradcam"], log_dir=tmp_path)
    with pytest.raises(ValueError, match=r"Received: images with shape \(2,\)"):
        tbx.ExplainCallback(np.zeros((2,)), methods=cam, log_dir=tmp_path)


def test_the_cam_variants_log_through_the_callback(tmp_path, data):
    x, y = data
    model = make_model()
    methods = [
        tbx.HiResCAM(),
        tbx.XGradCAM(),
        tbx.EigenCAM(),
        tbx.AblationCAM(max_channels=2),
    ]
    callback = tbx.ExplainCallback(x[:4], y[:4], methods=methods, log_dir=tmp_path)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[callback])
    reader = LogdirReader(tmp_path)
    series = reader.series()["train"]
    for method in methods:
        logged = series[f"explain/{method.name}"]
        assert logged.method == method.name and logged.layer == "conv2"
        steps = reader.steps("train", f"explain/{method.name}")
        assert [s.step for s in steps] == [0, 1]
        expected = method.explain(model, x[:4], upsample=False)
        assert steps[-1].manifest["shape"] == list(expected.shape[1:])
        np.testing.assert_allclose(
            [item["max"] for item in steps[-1].manifest["items"]],
            expected.reshape(4, -1).max(axis=1),
            rtol=1e-5,
        )
