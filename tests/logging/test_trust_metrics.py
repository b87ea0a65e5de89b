"""The trust metrics (sparseness, complexity, faithfulness correlation,
max-sensitivity, randomisation) as the logger and the callback write them: the
scalars, their schedules, the plugin's /metrics route, and every bad input."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import tbexplain as tbx
from tbexplain.logger.faults import PartFailed
from tbexplain.metrics import model_copy
from tests.helpers import model_kinds
from tests.logging.conftest import LogdirReader, make_model
from tests.plugin.conftest import make_app

PROBE = 4
TRUST = {
    "sparseness": {},
    "complexity": {},
    "faithfulness_correlation": {"samples": 8, "subset_size": 0.2},
    "max_sensitivity": {"samples": 2, "radius": 0.05},
    "randomisation": {"layers": 2},
}


def _prefix(series: str) -> str:
    return f"explain/metrics/{series}/"


def test_each_metric_is_the_mean_of_its_function_on_the_logged_maps(tmp_path, data):
    x, _ = data
    model = make_model()
    methods = [tbx.GradCAM(), tbx.Saliency()]
    logger = tbx.ExplanationLogger(
        x[:PROBE], methods=methods, log_dir=tmp_path, metrics=TRUST
    )
    arrays = logger.log(model, 3)
    logger.close()
    scalars = LogdirReader(tmp_path).scalars(".")
    probe = x[:PROBE]
    for method in methods:
        maps = arrays[f"explain/{method.name}"]  # as stored: a CAM at its layer's
        ids = method.explain_with_targets(model, probe).class_ids
        at_input = method.explain(model, probe)
        m = tbx.metrics
        expected = {
            "sparseness": m.sparseness(maps),
            "complexity": m.complexity(maps),
            "faithfulness_correlation": m.faithfulness_correlation(
                model, probe, at_input, ids, **TRUST["faithfulness_correlation"]
            ),
            "max_sensitivity": m.max_sensitivity(
                method, model, probe, ids, **TRUST["max_sensitivity"]
            ),
            "randomisation": m.randomisation(method, model, probe, ids, layers=2),
        }
        for name, values in expected.items():
            tag = _prefix(method.name) + name
            assert scalars[tag] == [(3, pytest.approx(np.nanmean(values), abs=1e-5))]


def test_one_input_of_two_every_input_kind_and_the_plugin_route(tmp_path):
    case = model_kinds.image_and_metadata()
    model, x = case.model, case.probe
    logger = tbx.ExplanationLogger(
        x,
        methods=tbx.IntegratedGradients(steps=4),
        log_dir=tmp_path / "run",
        metrics=["deletion", "insertion", *TRUST],
    )
    arrays = logger.log(model, 0)
    logger.close()
    scalars = LogdirReader(tmp_path / "run").scalars(".")
    for name in ("image", "meta"):
        series = f"integrated_gradients/{name}"
        assert {t for t in scalars if t.startswith(_prefix(series))} == {
            _prefix(series) + m for m in ["deletion", "insertion", *TRUST]
        }
        deletion = tbx.metrics.deletion(
            model, x, arrays[f"explain/{series}"], input=name
        )
        assert scalars[_prefix(series) + "deletion"][0][1] == pytest.approx(
            deletion.mean(), rel=1e-5
        )
    # The tab's Over epochs charts read them through the /metrics route.
    app = make_app(tmp_path)
    body = app.get_json("metrics?run=run&tag=explain/integrated_gradients/meta")
    assert sorted(body["metrics"]) == sorted(["deletion", "insertion", *TRUST])


def test_a_metric_on_its_own_schedule(tmp_path, data):
    x, y = data
    model = make_model()
    callback = tbx.ExplainCallback(
        x[:PROBE],
        methods=tbx.GradCAM(),
        log_dir=tmp_path,
        metrics=["sparseness", tbx.every(2, "randomisation")],
    )
    model.fit(x, y, epochs=5, verbose=0, callbacks=[callback])
    scalars = LogdirReader(tmp_path).scalars("train")
    assert [s for s, _ in scalars[_prefix("gradcam") + "sparseness"]] == [0, 1, 2, 3, 4]
    assert [s for s, _ in scalars[_prefix("gradcam") + "randomisation"]] == [0, 2, 4]
    # As a dict key too, with its arguments.
    logger = tbx.ExplanationLogger(
        x[:2],
        methods=tbx.GradCAM(),
        log_dir=tmp_path / "dict",
        metrics={tbx.every(3, "max_sensitivity"): {"samples": 1}},
    )
    for step in range(4):
        logger.log(model, step)
    logger.close()
    scalars = LogdirReader(tmp_path / "dict").scalars(".")
    assert [s for s, _ in scalars[_prefix("gradcam") + "max_sensitivity"]] == [0, 3]


def test_training_is_the_same_with_or_without_the_metrics(tmp_path, data):
    x, y = data
    final = []
    for metrics in (None, ["randomisation", "max_sensitivity"]):
        model = make_model(seed=4)
        callbacks = []
        if metrics:
            callbacks = [
                tbx.ExplainCallback(
                    x[:PROBE], methods=tbx.GradCAM(), log_dir=tmp_path, metrics=metrics
                )
            ]
        model.fit(
            x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, callbacks=callbacks
        )
        final.append(
            [w.copy() for w in model.get_weights()]
            + [v.numpy() for v in model.optimizer.variables]
        )
    for a, b in zip(*final, strict=True):
        np.testing.assert_array_equal(a, b)


class Subclassed(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.conv = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.head = keras.layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.head(self.pool(self.conv(inputs)))


@pytest.mark.parametrize(
    "model_fn, methods, metrics, message",
    [
        (
            lambda: _compiled(Subclassed()),
            lambda model: [tbx.Saliency()],
            ["sparseness", "randomisation"],
            r"saliency/randomisation.*cannot copy model",
        ),
        (
            make_model,
            lambda model: [tbx.GradCAM()],
            {"randomisation": {"layers": 99}},
            r"gradcam/randomisation.*between 1 and 3.*Received: layers=99",
        ),
        (
            make_model,
            lambda model: [tbx.GradCAM()],
            {"randomisation": {"layers": 0}},
            r"Received: layers=0",
        ),
        (
            make_model,
            lambda model: [tbx.GradCAM()],
            {"faithfulness_correlation": {"subset_size": 256}},
            r"Received: subset_size=256",
        ),
    ],
)
def test_a_metric_that_cannot_apply_stops_training_at_train_begin(
    tmp_path, data, model_fn, methods, metrics, message
):
    x, y = data
    model = model_fn()
    model(x[:1])
    before = [w.copy() for w in model.get_weights()]
    callback = tbx.ExplainCallback(
        x[:PROBE], methods=methods(model), log_dir=tmp_path, metrics=metrics
    )
    with pytest.raises(PartFailed, match=message):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)  # refused before any weight changed


def _compiled(model: keras.Model) -> keras.Model:
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_metrics_without_an_attribution_method_are_refused(tmp_path, data):
    x, _ = data
    with pytest.raises(ValueError, match=r"add an attribution method.*Received"):
        tbx.ExplainCallback(
            x[:2],
            methods=[tbx.Activations(layers=["conv1"])],
            metrics=["sparseness"],
            log_dir=tmp_path,
        )


def test_nan_maps_give_nan_scalars_counted_never_a_crash(tmp_path, data):
    x, _ = data
    model = make_model()
    logger = tbx.ExplanationLogger(
        x[:PROBE], methods=tbx.Saliency(), log_dir=tmp_path, metrics=TRUST
    )
    logger.log(model, 0)
    conv = model.get_layer("conv1")
    kernel, bias = conv.get_weights()
    conv.set_weights([np.full_like(kernel, np.nan), bias])  # a diverged model
    with pytest.warns(RuntimeWarning, match="non-finite values at step 1"):
        logger.log(model, 1)
    logger.log(model, 2)
    logger.close()
    assert logger.failures == []
    scalars = LogdirReader(tmp_path).scalars(".")
    for name in TRUST:
        values = dict(scalars[_prefix("saliency") + name])
        assert np.isfinite(values[0]) or name == "randomisation", name
        assert np.isnan(values[1]) and np.isnan(values[2]), name
        assert logger.undefined_metrics[_prefix("saliency") + name] >= 2 * PROBE


def test_a_metric_failing_at_a_later_epoch_warns_once_and_training_goes_on(
    tmp_path, data, monkeypatch
):
    x, y = data
    model = make_model()
    update = model_copy.RandomisedCopy.update
    calls = []

    def failing_later(self, seed):
        calls.append(seed)
        if len(calls) > 2:  # the dry run and epoch 0 pass
            raise tf.errors.ResourceExhaustedError(None, None, "out of memory")
        return update(self, seed)

    monkeypatch.setattr(model_copy.RandomisedCopy, "update", failing_later)
    callback = tbx.ExplainCallback(
        x[:PROBE],
        methods=tbx.GradCAM(),
        log_dir=tmp_path,
        metrics=["sparseness", "randomisation"],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, epochs=4, verbose=0, callbacks=[callback])
    failed = [w for w in caught if "randomisation failed" in str(w.message)]
    assert len(failed) == 1 and "step 1" in str(failed[0].message)
    assert len(history.history["loss"]) == 4
    assert [f[:2] for f in callback.logger.failures] == [
        (step, _prefix("gradcam") + "randomisation") for step in (1, 2, 3)
    ]
    scalars = LogdirReader(tmp_path).scalars("train")
    assert [s for s, _ in scalars[_prefix("gradcam") + "randomisation"]] == [0]
    assert [s for s, _ in scalars[_prefix("gradcam") + "sparseness"]] == [0, 1, 2, 3]
