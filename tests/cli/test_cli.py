"""Tests of the `tbexplain` command line (tbexplain.cli)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tbexplain import cli
from tests.helpers.reader import LogdirReader

SIZE = 16
CLASS_NAMES = ["red", "green", "blue"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A tiny saved .keras model: 16x16 RGB -> 3 classes (softmax)."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(
        inputs
    )
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


def _png(path: Path, height: int, width: int, channels: int = 3, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
    path.write_bytes(tf.io.encode_png(pixels).numpy())
    return path


def _run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _error(argv, capsys) -> str:
    """Runs `argv`; asserts status 2 and one ``error:`` line; returns its message."""
    code, out, err = _run(argv, capsys)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"not one line: {err!r}"
    prefix = f"tbexplain {argv[0]}: error: "
    assert lines[0].startswith(prefix), lines[0]
    return lines[0][len(prefix) :]


def _usage_error(argv, capsys) -> str:
    """Runs `argv`, which argparse must reject with status 2; returns stderr."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(a) for a in argv])
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def _save(model, folder: Path, name: str) -> Path:
    path = folder / f"{name}.keras"
    model.save(path)
    return path


# ------------------------------------------------------------------- help


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], ["usage: tbexplain", "demo", "explain"]),
        (
            ["demo", "--help"],
            [
                "usage: tbexplain demo",
                "--logdir D",
                "--port P",
                "--epochs N",
                "--host",
                "--no-serve",
                "Ctrl-C",
            ],
        ),
        (
            ["explain", "--help"],
            [
                "usage: tbexplain explain",
                "MODEL.keras",
                "IMAGES",
                "--method",
                "--logdir D",
                "--layer L",
                "--class-names",
                "--step N",
            ],
        ),
    ],
)
def test_help_everywhere(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for text in expected:
        assert text in out


def test_no_command_prints_help_and_fails(capsys):
    code, _out, err = _run([], capsys)
    assert code == 2
    assert "usage: tbexplain" in err and "explain" in err


def test_explain_requires_logdir(capsys, model_path, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["explain", str(model_path), str(image)])
    assert exit_info.value.code == 2
    assert "--logdir" in capsys.readouterr().err


def test_module_entry_point_runs():
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "-m", "tbexplain.cli", "explain", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: tbexplain explain" in result.stdout


# ----------------------------------------------------------------- errors


def test_missing_model_file(capsys, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    err = _error(
        ["explain", tmp_path / "nope.keras", image, "--logdir", tmp_path / "logs"],
        capsys,
    )
    assert "model file not found" in err and "nope.keras" in err
    assert not (tmp_path / "logs").exists()


def test_unloadable_model_file(capsys, tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"this is not a zip archive")
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    err = _error(["explain", bad, image, "--logdir", tmp_path / "logs"], capsys)
    assert "cannot load the model" in err


def test_missing_image_file(capsys, model_path, tmp_path):
    good = _png(tmp_path / "a.png", SIZE, SIZE)
    err = _error(
        [
            "explain",
            model_path,
            good,
            tmp_path / "missing.png",
            "--logdir",
            tmp_path / "logs",
        ],
        capsys,
    )
    assert "image file not found" in err and "missing.png" in err
    assert not (tmp_path / "logs").exists()


def test_unreadable_image(capsys, model_path, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG but not really an image")
    err = _error(["explain", model_path, bad, "--logdir", tmp_path / "logs"], capsys)
    assert "cannot read" in err and "broken.png" in err and "as an image" in err
    assert not (tmp_path / "logs").exists()


def test_wrong_image_size(capsys, model_path, tmp_path):
    small = _png(tmp_path / "small.png", 8, 12)
    err = _error(["explain", model_path, small, "--logdir", tmp_path / "logs"], capsys)
    assert "small.png is 12x8 (width x height)" in err
    assert f"takes {SIZE}x{SIZE} images" in err
    assert not (tmp_path / "logs").exists()


def test_unknown_method_lists_the_available_ones(capsys, model_path, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    err = _error(
        [
            "explain",
            model_path,
            image,
            "--method",
            "telepathy",
            "--logdir",
            tmp_path / "logs",
        ],
        capsys,
    )
    assert "unknown method 'telepathy'" in err
    assert "gradcam" in err and "occlusion" in err


def test_unknown_layer(capsys, model_path, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    err = _error(
        [
            "explain",
            model_path,
            image,
            "--layer",
            "no_such_layer",
            "--logdir",
            tmp_path / "logs",
        ],
        capsys,
    )
    assert "cannot explain with gradcam" in err and "no_such_layer" in err


def test_layer_for_an_input_space_method(capsys, model_path, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    err = _error(
        [
            "explain",
            model_path,
            image,
            "--method",
            "saliency",
            "--layer",
            "conv",
            "--logdir",
            tmp_path / "logs",
        ],
        capsys,
    )
    assert "'saliency' explains the input, not a layer" in err


def test_a_directory_as_model_path(capsys, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    folder = tmp_path / "saved_model"
    folder.mkdir()
    message = _error(["explain", folder, image, "--logdir", tmp_path / "logs"], capsys)
    assert message == (
        f"{folder} is a directory; pass a .keras (or .h5) model file "
        "(SavedModel directories are not Keras models)"
    )


def test_a_directory_as_image_path(capsys, model_path, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    message = _error(
        ["explain", model_path, folder, "--logdir", tmp_path / "logs"], capsys
    )
    assert message == f"{folder} is a directory, not an image file"
    assert not (tmp_path / "logs").exists()


def test_a_multi_input_model(capsys, tmp_path):
    import keras

    a, b = keras.Input((SIZE, SIZE, 3)), keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(2, 3, name="conv")(keras.layers.Concatenate()([a, b]))
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model([a, b], keras.layers.Dense(3)(x))
    path = _save(model, tmp_path, "two_inputs")
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    message = _error(["explain", path, image, "--logdir", tmp_path / "logs"], capsys)
    assert message == (
        "the model must take one input (a batch of images). "
        "Received: a model with 2 inputs"
    )


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        ((8,), "the model must take images [batch, height, width, channels]."),
        ((SIZE, SIZE, 2), "the model's images must have 1, 3 or 4 channels."),
    ],
)
def test_a_model_that_does_not_take_images(shape, reason, capsys, tmp_path):
    import keras

    inputs = keras.Input(shape)
    x = inputs if len(shape) == 1 else keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    path = _save(model, tmp_path, "not_images")
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    message = _error(["explain", path, image, "--logdir", tmp_path / "logs"], capsys)
    assert message == f"{reason} Received: input shape {(None, *shape)}"


def test_a_layer_the_model_calls_twice(capsys, tmp_path):
    # The logger raises RuntimeError on the first log; the command must print
    # it as one error line, not a traceback.
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((SIZE, SIZE, 3))
    shared = keras.layers.Conv2D(3, 3, padding="same", name="shared")
    x = keras.layers.GlobalAveragePooling2D()(shared(shared(inputs)))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    path = _save(model, tmp_path, "shared")
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    message = _error(
        ["explain", path, image, "--layer", "shared", "--logdir", tmp_path / "logs"],
        capsys,
    )
    assert message.startswith("cannot explain with gradcam: ")
    assert "Layer 'shared' is called 2 times in one forward pass" in message


@pytest.mark.parametrize("names", [[","], [" , ,"]])
def test_empty_class_names(names, capsys, model_path, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    message = _error(
        [
            "explain",
            model_path,
            image,
            "--logdir",
            tmp_path / "logs",
            "--class-names",
            *names,
        ],
        capsys,
    )
    assert message == f"--class-names needs at least one name. Received: {names!r}"


def test_class_names_without_a_value(capsys, model_path, tmp_path):
    err = _usage_error(
        ["explain", model_path, "a.png", "--logdir", tmp_path, "--class-names"],
        capsys,
    )
    assert "argument --class-names: expected at least one argument" in err


@pytest.mark.parametrize("value", ["0", "0/255", "-1", "inf", "nan", "1/0", "x"])
def test_rescale_must_be_a_positive_number(value, capsys, model_path, tmp_path):
    err = _usage_error(
        ["explain", model_path, "a.png", "--logdir", tmp_path, "--rescale", value],
        capsys,
    )
    assert (
        "argument --rescale: must be a positive number or a fraction like 1/255: "
        f"{value!r}"
    ) in err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--epochs", "0"], "--epochs: must be a positive integer"),
        (["demo", "--port", "70000"], "--port: must be a port number"),
        (
            ["explain", "m.keras", "a.png", "--logdir", "d", "--step", "-1"],
            "--step: must be an integer >= 0",
        ),
    ],
)
def test_invalid_numbers(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


# ------------------------------------------------------------------ happy


def test_explain_writes_the_plugin_format(capsys, model_path, tmp_path):
    images = [
        _png(tmp_path / "a.png", SIZE, SIZE, seed=1),
        _png(tmp_path / "b.png", SIZE, SIZE, channels=1, seed=2),  # gray -> RGB
    ]
    logdir = tmp_path / "logs"
    code, out, err = _run(
        [
            "explain",
            model_path,
            *images,
            "--method",
            "gradcam",
            "--logdir",
            logdir,
            "--class-names",
            "red,green",
            "blue",
            "--step",
            "3",
        ],
        capsys,
    )
    assert code == 0, err
    assert "Wrote gradcam explanations of 2 image(s) at step 3" in out
    assert str(logdir / "tiny") in out

    reader = LogdirReader(logdir)
    series = reader.series()
    assert set(series) == {"tiny"}
    assert set(series["tiny"]) == {"explain/inputs", "explain/gradcam"}
    gradcam = series["tiny"]["explain/gradcam"]
    assert gradcam.method == "gradcam" and gradcam.layer == "conv"
    assert gradcam.inputs_tag == "explain/inputs"

    [logged] = reader.steps("tiny", "explain/gradcam")
    manifest = logged.manifest
    assert logged.step == 3
    assert manifest["kind"] == "explanation" and manifest["shape"] == [SIZE, SIZE]
    assert [item["sample"] for item in manifest["items"]] == [0, 1]
    for item in manifest["items"]:
        assert item["class_name"] == CLASS_NAMES[item["class_id"]]
    assert [m.shape for m in logged.images()] == [(SIZE, SIZE, 1)] * 2

    [logged] = reader.steps("tiny", "explain/inputs")
    assert logged.step == 3 and logged.manifest["shape"] == [SIZE, SIZE, 3]
    # The first input round-trips exactly (uint8 -> [0, 1] -> uint8).
    original = tf.io.decode_png(images[0].read_bytes()).numpy()
    np.testing.assert_array_equal(logged.images()[0], original)


def test_explain_top_k_run_name_and_rescale(capsys, model_path, tmp_path):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    logdir = tmp_path / "logs"
    code, _, err = _run(
        [
            "explain",
            model_path,
            image,
            "--method",
            "occlusion",
            "--logdir",
            logdir,
            "--run",
            "offline",
            "--top-k",
            "2",
            "--rescale",
            "1",
        ],
        capsys,
    )
    assert code == 0, err
    reader = LogdirReader(logdir)
    assert set(reader.series()["offline"]) == {"explain/inputs", "explain/occlusion"}
    [(_, manifest, _blobs)] = reader.steps("offline", "explain/occlusion")
    assert [item["sample"] for item in manifest["items"]] == [0, 0]
    assert len({item["class_id"] for item in manifest["items"]}) == 2
    [(_, inputs, _)] = reader.steps("offline", "explain/inputs")
    assert inputs["items"][0]["max"] > 1.0  # pixels were passed as 0..255


@pytest.mark.parametrize("method", ["hirescam", "XGradCAM", "EigenCAM", "ablationcam"])
def test_explain_with_each_cam_variant(capsys, model_path, tmp_path, method):
    image = _png(tmp_path / "a.png", SIZE, SIZE)
    logdir = tmp_path / "logs"
    argv = ["explain", model_path, image, "--method", method, "--layer", "conv"]
    code, out, err = _run([*argv, "--logdir", logdir], capsys)
    assert code == 0, err
    key = method.lower()
    assert f"Wrote {key} explanations of 1 image(s)" in out
    series = LogdirReader(logdir).series()["tiny"][f"explain/{key}"]
    assert series.method == key and series.layer == "conv"
