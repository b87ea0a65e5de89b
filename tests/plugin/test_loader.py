"""The TBLoader: default samples per series, lazy import, no TensorFlow needed."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from tensorboard import program
from tensorboard.plugins import base_plugin
from tensorboard.plugins.core import core_plugin

from tbexplain_plugin import loader
from tests.helpers.logdir import LogdirInfo
from tests.helpers.tb_server import REPO_ROOT


def configure(*argv: str, **kwargs: object) -> dict[str, int]:
    tb = program.TensorBoard(
        plugins=[core_plugin.CorePluginLoader(), loader.ExplainLoader()]
    )
    tb.configure(("tensorboard", "--logdir=/tmp/unused", *argv), **kwargs)
    assert tb.flags is not None
    return tb.flags.samples_per_plugin


def test_default_samples_are_raised_for_tbexplain_only():
    assert configure() == {"tbexplain": loader.DEFAULT_SAMPLES_PER_SERIES}
    assert loader.DEFAULT_SAMPLES_PER_SERIES >= 1000


def test_explicit_flag_wins_and_other_plugins_are_kept():
    assert configure("--samples_per_plugin=tbexplain=7") == {"tbexplain": 7}
    assert configure("--samples_per_plugin=images=3") == {
        "images": 3,
        "tbexplain": loader.DEFAULT_SAMPLES_PER_SERIES,
    }


def test_programmatic_string_and_dict_values():
    # `configure(**kwargs)` bypasses the flag parser: the value can be a string.
    assert configure(samples_per_plugin="images=3, tbexplain=9") == {
        "images": 3,
        "tbexplain": 9,
    }
    assert configure(samples_per_plugin={"scalars": 5}) == {
        "scalars": 5,
        "tbexplain": loader.DEFAULT_SAMPLES_PER_SERIES,
    }
    assert configure(samples_per_plugin="") == {
        "tbexplain": loader.DEFAULT_SAMPLES_PER_SERIES
    }


def multifile(*argv: str) -> object:
    tb = program.TensorBoard(
        plugins=[core_plugin.CorePluginLoader(), loader.ExplainLoader()]
    )
    tb.configure(("tensorboard", "--logdir=/tmp/unused", *argv))
    assert tb.flags is not None
    return tb.flags.reload_multifile


def test_every_event_file_of_a_run_is_followed_unless_the_user_says_otherwise():
    assert multifile() is True
    assert multifile("--reload_multifile=false") is False
    assert multifile("--reload_multifile=true") is True


@pytest.mark.parametrize("value", ["tbexplain", "tbexplain=x", "a=1,b", 12])
def test_malformed_values_are_flag_errors(value: object):
    with pytest.raises(base_plugin.FlagsError, match="samples_per_plugin"):
        loader.parse_samples_per_plugin(value)


def imports_of(module: Any, *, skip_function: str = "") -> set[str]:
    """Every module a module's source imports (``from a import b``: a and
    a.b), outside the function named `skip_function`."""
    tree = ast.parse(Path(module.__file__).read_text())
    skipped = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef) and fn.name == skip_function
        for node in ast.walk(fn)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_plugin_and_loader_do_not_import_each_other():
    from tbexplain_plugin import plugin

    assert "tbexplain_plugin.loader" not in imports_of(plugin)
    # The loader imports the plugin only when TensorBoard calls load().
    assert "tbexplain_plugin.plugin.ExplainPlugin" in imports_of(loader)
    light = imports_of(loader, skip_function="load")
    assert not any(name.startswith("tbexplain_plugin.plugin") for name in light)
    ours = {name for name in light if name.startswith(("tbexplain", "tensorboard"))}
    assert ours <= {
        "tensorboard.plugins",
        "tensorboard.plugins.base_plugin",
        "tbexplain_plugin.constants",
        "tbexplain_plugin.constants.DEFAULT_SAMPLES_PER_SERIES",
        "tbexplain_plugin.constants.PLUGIN_NAME",
    }, ours


def test_loader_creates_the_plugin(logdir_info: LogdirInfo):
    from tensorboard.backend.event_processing import (
        data_provider,
        plugin_event_multiplexer,
    )

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    provider = data_provider.MultiplexerDataProvider(multiplexer, "/tmp")
    context = base_plugin.TBContext(data_provider=provider, sampling_hints={})
    plugin = loader.ExplainLoader().load(context)
    assert plugin.plugin_name == "tbexplain"
    assert plugin.frontend_metadata().tab_name == "Explanations"


# Run in a fresh interpreter in which `tensorflow` and `tbexplain` cannot be
# imported (as in a TensorBoard-only environment).
_NO_TENSORFLOW = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "tbexplain", "keras"):
                raise ModuleNotFoundError("blocked for the test: " + name)
            return None

    sys.meta_path.insert(0, Block())

    import tbexplain_plugin.loader as loader
    light = {"tbexplain_plugin", "tbexplain_plugin.loader",
             "tbexplain_plugin.constants"}
    ours = {n for n in sys.modules if n.startswith("tbexplain_plugin")}
    assert ours == light, f"the loader imported {sorted(ours - light)}"

    from tensorboard.backend import application
    from tensorboard.backend.event_processing import (
        data_provider, plugin_event_multiplexer)
    from tensorboard.plugins import base_plugin
    from werkzeug import test, wrappers

    logdir = sys.argv[1]
    m = plugin_event_multiplexer.EventMultiplexer(
        tensor_size_guidance={"tbexplain": 1000})
    m.AddRunsFromDirectory(logdir)
    m.Reload()
    context = base_plugin.TBContext(
        logdir=logdir,
        data_provider=data_provider.MultiplexerDataProvider(m, logdir))
    plugin = loader.ExplainLoader().load(context)
    client = test.Client(application.TensorBoardWSGI([plugin]), wrappers.Response)
    route = "/data/plugin/tbexplain/"
    tags = json.loads(client.get(route + "tags").data)
    steps = json.loads(
        client.get(route + "steps?run=run_a&tag=explain%2Fgradcam").data)
    png = client.get(route + steps["steps"][0]["blobs"][0]).data
    print(json.dumps({
        "tags": sorted(tags["runs"]["run_a"]),
        "steps": [s["step"] for s in steps["steps"]],
        "png": png[:4].hex(),
        "modules": sorted(n for n in sys.modules
                          if n.split(".")[0] in ("tensorflow", "tbexplain", "keras")),
    }))
    """
)


def test_plugin_works_where_tensorflow_cannot_be_imported(
    logdir_info: LogdirInfo, tmp_path: Path
):
    script = tmp_path / "no_tf.py"
    script.write_text(_NO_TENSORFLOW)
    result = subprocess.run(
        [sys.executable, str(script), str(logdir_info.path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["modules"] == []
    assert out["tags"] == sorted(logdir_info.tags)
    assert out["steps"] == list(logdir_info.steps)
    assert out["png"] == "89504e47"
