"""The package's public surface and its import cost."""

from __future__ import annotations

import subprocess
import sys

import tbexplain
import tbexplain.methods


def test_public_names_match_the_methods_package():
    assert set(tbexplain.methods.__all__) <= set(tbexplain.__all__)
    for name in tbexplain.__all__:
        assert getattr(tbexplain, name) is not None
    assert tbexplain.GradCAM is tbexplain.methods.GradCAM
    assert "GradCAM" in dir(tbexplain)


def test_unknown_attribute_is_an_attribute_error():
    try:
        tbexplain.NoSuchMethod  # noqa: B018
    except AttributeError as e:
        assert "NoSuchMethod" in str(e)
    else:
        raise AssertionError("expected AttributeError")


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
