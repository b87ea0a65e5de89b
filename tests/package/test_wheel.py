"""The wheel `pip install .` builds: both packages, the bundle, the entry points."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_both_packages_the_bundle_and_the_entry_points(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("tbexplain-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        dist_info = next(n.split("/")[0] for n in names if ".dist-info/" in n)
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        meta = zf.read(f"{dist_info}/METADATA").decode()
    for path in (
        "tbexplain/__init__.py",
        "tbexplain/methods/gradcam.py",
        "tbexplain/data/__init__.py",
        "tbexplain_plugin/loader.py",
        "tbexplain_plugin/plugin_data_pb2.py",
        "tbexplain_plugin/static/index.js",
    ):
        assert path in names, path
    assert not any(n.startswith("tests/") for n in names)
    assert "tbexplain = tbexplain_plugin.loader:ExplainLoader" in entry_points
    assert "tbexplain = tbexplain.cli:main" in entry_points
    assert "Requires-Python: >=3.10" in meta
    for requirement in ("tensorflow>=2.16", "tensorboard>=2.16", "numpy", "protobuf"):
        assert f"Requires-Dist: {requirement}" in meta
