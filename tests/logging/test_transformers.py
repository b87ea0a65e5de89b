"""The logger and callback on transformers: a text classifier's token series only,
a ViT's maps at its patch grid with the layer and grid described, the
rollouts logged like any method, and one clear error on another Keras backend."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import tbexplain as tbx
from tests.helpers import transformers as T

pytest.importorskip("keras_hub")

WORDS = ["[PAD]", "[CLS]", "[SEP]", *[f"w{i}" for i in range(3, T.VOCABULARY)]]


@pytest.fixture(scope="module")
def bert():
    model = T.bert()
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def explanation_tags(run):
    return sorted(tag for tag, s in run.items() if s.kind == "explanation")


def test_a_text_classifier_logs_its_token_ids_only(tmp_path, bert):
    inputs = T.bert_inputs(4)
    labels = np.array([0, 1, 0, 1])
    callback = tbx.ExplainCallback(
        inputs,
        labels,
        methods=[
            tbx.IntegratedGradients(steps=8),
            tbx.GradCAM(),
            tbx.AttentionRollout(),
        ],
        vocabulary={"token_ids": WORDS},
        log_dir=str(tmp_path),
    )
    bert.fit(inputs, labels, epochs=1, callbacks=[callback], verbose=0)
    assert callback.logger.failures == []
    run = tbx.read(tmp_path)["train"]
    assert explanation_tags(run) == [
        "explain/attention_rollout/token_ids",
        "explain/gradcam",
        "explain/integrated_gradients/token_ids",
    ]
    for tag in explanation_tags(run):
        series = run[tag]
        assert series.layout == "tokens", tag
        assert series[0].maps.shape == (4, T.LENGTH), tag
    assert run["explain/gradcam"].layer == "bert_backbone/transformer_layer_0"
    # The Text view's tokens: their text, padding ([PAD]) drawn as absent.
    tokens = run["explain/inputs/token_ids"][0]
    assert tokens.manifest[0]["tokens"][0] == "[CLS]"


def test_explain_inputs_names_the_inputs_explained(tmp_path, bert):
    inputs = T.bert_inputs(2)
    logger = tbx.ExplanationLogger(
        inputs,
        methods=[tbx.Saliency(), tbx.GradCAM()],
        explain_inputs=["token_ids", "segment_ids"],
        log_dir=str(tmp_path),
    )
    logger.log(bert, step=0)
    logger.close()
    assert explanation_tags(tbx.read(tmp_path)["."]) == [
        "explain/gradcam",  # a layer method explains its layer
        "explain/saliency/segment_ids",
        "explain/saliency/token_ids",
    ]
    with pytest.raises(
        ValueError, match=r"explain_inputs must name inputs.*\['mask'\]"
    ):
        tbx.ExplanationLogger(
            inputs,
            methods=[tbx.Saliency()],
            explain_inputs=["mask"],
            log_dir=str(tmp_path),
        ).validate(bert)


def test_a_vit_logs_maps_at_its_patch_grid_with_layer_and_grid(tmp_path):
    model = T.vit()
    x = T.images(3)
    logger = tbx.ExplanationLogger(
        x,
        methods=[tbx.GradCAM(), tbx.GradientRollout()],
        log_dir=str(tmp_path),
    )
    logger.log(model, step=0)
    logger.close()
    run = tbx.read(tmp_path)["."]
    cam = run["explain/gradcam"]
    assert cam.layer == f"vit_backbone/vit_encoder/{T.vit_block(2)}/ln_1"
    assert "17 tokens on a 4x4 grid, 1 leading token left out" in cam.description
    assert cam.layout == "image"
    assert cam[0].maps.shape == (3, 4, 4)
    rollout = run["explain/gradient_rollout"]
    assert rollout[0].maps.shape == (3, 4, 4)
    np.testing.assert_allclose(
        rollout[0].maps,
        tbx.GradientRollout().explain(
            model, x, [row["class_id"] for row in rollout[0].manifest], upsample=False
        ),
        rtol=1e-2,
        atol=2e-2 * rollout[0].maps.max(),  # 8-bit maps
    )


@pytest.fixture
def on_jax(monkeypatch):
    """Keras as it reports itself on JAX (the check reads the backend's name)."""
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")


def test_another_backend_raises_at_once_and_writes_nothing(tmp_path, on_jax):
    model = T.functional_vit()
    message = r"Keras runs on the 'jax' backend.*KERAS_BACKEND=tensorflow"
    with pytest.raises(RuntimeError, match=message):
        tbx.GradCAM().explain(model, T.images(1))
    with pytest.raises(RuntimeError, match=message):
        tbx.ExplanationLogger(
            T.images(2), methods=[tbx.GradCAM()], log_dir=str(tmp_path)
        )
    with pytest.raises(RuntimeError, match=message):
        tbx.ExplainCallback(T.images(2), methods=[tbx.GradCAM()], log_dir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("backend", ["jax", "numpy"])
def test_keras_on_another_backend_gets_the_same_error_in_a_real_process(
    tmp_path, backend
):
    # Keras really runs on the backend: jax is in the dev extra and brings SciPy,
    # which Keras' NumPy backend needs. PyTorch is left out (a multi-GB wheel);
    # the check names no backend, so these two stand for every other one.
    code = textwrap.dedent(
        f"""
        import numpy as np, keras, tbexplain as tbx
        assert keras.backend.backend() == {backend!r}, keras.backend.backend()
        model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3),
                                  keras.layers.Flatten(), keras.layers.Dense(2)])
        x = np.zeros((2, 8, 8, 3), "float32")
        calls = {{
            "explain": lambda: tbx.GradCAM().explain(model, x),
            "rollout": lambda: tbx.AttentionRollout().explain(model, x),
            "logger": lambda: tbx.ExplanationLogger(
                x, methods=[tbx.GradCAM()], log_dir={str(tmp_path / "logger")!r}),
            "callback": lambda: tbx.ExplainCallback(
                x, methods=[tbx.GradCAM()], log_dir={str(tmp_path / "callback")!r}),
        }}
        for name, call in calls.items():
            try:
                call()
                print(name, "RAISED NOTHING")
            except Exception as err:
                print(name, type(err).__name__ + ":", err)
        """
    )
    env = {**os.environ, "KERAS_BACKEND": backend}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == [
        "explain",
        "rollout",
        "logger",
        "callback",
    ], out.stdout
    for line in lines:
        assert (
            "RuntimeError: tbexplain computes explanations with TensorFlow, but "
            f"Keras runs on the '{backend}' backend. Set KERAS_BACKEND=tensorflow"
        ) in line, line
    assert list(tmp_path.iterdir()) == []
