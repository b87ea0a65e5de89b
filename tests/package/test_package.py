"""The package's public surface and its import cost."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import tbexplain
import tbexplain.methods

_MODULES = ("metrics", "pipeline", "summary")


def test_public_names_resolve_to_their_modules():
    import tbexplain.callback
    import tbexplain.logger

    assert set(tbexplain.methods.__all__) <= set(tbexplain.__all__)
    for name in tbexplain.methods.__all__:
        assert getattr(tbexplain, name) is getattr(tbexplain.methods, name), name
    assert tbexplain.ExplainCallback is tbexplain.callback.ExplainCallback
    assert tbexplain.ExplanationLogger is tbexplain.logger.ExplanationLogger
    assert tbexplain.every is tbexplain.logger.every
    assert tbexplain.read is importlib.import_module("tbexplain.reading").read
    for name in _MODULES:
        assert getattr(tbexplain, name).__name__ == f"tbexplain.{name}"
    # Every other public name is one of those: nothing is exported by accident.
    others = set(tbexplain.__all__) - set(tbexplain.methods.__all__)
    assert others == {
        "ExplainCallback",
        "ExplanationLogger",
        "every",
        "read",
        *_MODULES,
    }
    assert "GradCAM" in dir(tbexplain)
    assert tbexplain.GradCAM().name == "gradcam"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchMethod"):
        tbexplain.NoSuchMethod  # noqa: B018


def test_import_and_cli_help_do_not_import_tensorflow():
    code = (
        "import sys, tbexplain, tbexplain.cli\n"
        "try:\n"
        "    tbexplain.cli.main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
        "print('OK')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("OK")
    assert "usage: tbexplain" in out.stdout
