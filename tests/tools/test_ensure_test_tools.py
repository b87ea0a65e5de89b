"""Tests of tools/ensure_test_tools.sh, the check `make test` runs first.

The script runs with a PATH of a scratch folder that holds only the stand-ins a
case needs (node, npm, chromium, apt-get, sudo as small scripts), so the real
ones are hidden and nothing is installed or removed on this machine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "ensure_test_tools.sh"
BASH = "/bin/bash"
MISSING_CHROMIUM = (
    "make test: Chromium is missing: run 'sudo apt-get install chromium' "
    "(or set CHROMIUM=/path)"
)


def _tool(folder: Path, name: str, body: str = "exit 0") -> Path:
    path = folder / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(0o755)
    return path


def _run(path_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(SCRIPT)],
        capture_output=True,
        text=True,
        env={"PATH": str(path_dir), **env},
        timeout=60,
        check=False,
    )


@pytest.fixture()
def bin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    return folder


def _fake_apt(bin_dir: Path, log: Path, install_exit: int = 0) -> None:
    """apt-get and sudo stand-ins; `apt-get install` puts a chromium on PATH."""
    _tool(
        bin_dir,
        "apt-get",
        f'echo "$*" >> {log}\n'
        'if [ "$1" = install ]; then\n'
        f"  [ {install_exit} -eq 0 ] || exit {install_exit}\n"
        f"  printf '#!{BASH}\\n' > {bin_dir}/chromium\n"
        f"  /bin/chmod +x {bin_dir}/chromium\n"
        "fi",
    )
    # For a run as non-root: passwordless sudo that runs the command.
    _tool(bin_dir, "sudo", '[ "$1" = -n ] && shift; exec "$@"')


def test_all_present_prints_nothing(bin_dir):
    for name in ("node", "npm", "chromium"):
        _tool(bin_dir, name)
    result = _run(bin_dir)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_chromium_missing_without_apt_get_is_one_line(bin_dir):
    _tool(bin_dir, "node")
    _tool(bin_dir, "npm")
    result = _run(bin_dir)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == MISSING_CHROMIUM + "\n"


@pytest.mark.parametrize(
    ("present", "line"),
    [
        (
            ("npm", "chromium"),
            "make test: Node.js is missing: run 'sudo apt-get install nodejs'",
        ),
        (
            ("chromium",),
            "make test: Node.js and npm are missing: "
            "run 'sudo apt-get install nodejs npm'",
        ),
        (
            (),
            "make test: Node.js, npm and Chromium are missing: run 'sudo apt-get "
            "install nodejs npm chromium' (or set CHROMIUM=/path)",
        ),
    ],
)
def test_node_or_npm_missing_is_one_line(present, line, bin_dir, tmp_path):
    for name in present:
        _tool(bin_dir, name)
    log = tmp_path / "apt.log"
    _fake_apt(bin_dir, log)  # usable, but Node.js is not installed for the user
    result = _run(bin_dir)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", line + "\n")
    assert not log.exists()


def test_chromium_missing_with_apt_get_is_installed(bin_dir, tmp_path):
    _tool(bin_dir, "node")
    _tool(bin_dir, "npm")
    log = tmp_path / "apt.log"
    _fake_apt(bin_dir, log)
    result = _run(bin_dir)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["update -q", "install -y chromium"]
    assert result.stderr == (
        "make test: Chromium is missing; installing it with apt-get\n"
    )
    assert os.access(bin_dir / "chromium", os.X_OK)


def test_a_failed_install_is_one_line_after_apt_get(bin_dir, tmp_path):
    _tool(bin_dir, "node")
    _tool(bin_dir, "npm")
    log = tmp_path / "apt.log"
    _fake_apt(bin_dir, log, install_exit=100)
    result = _run(bin_dir)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "make test: apt-get could not install Chromium: run 'sudo apt-get install "
        "chromium' (or set CHROMIUM=/path)"
    )


def test_chromium_setting_is_used_and_checked(bin_dir, tmp_path):
    _tool(bin_dir, "node")
    _tool(bin_dir, "npm")
    elsewhere = _tool(tmp_path, "my-chromium")
    result = _run(bin_dir, CHROMIUM=str(elsewhere))
    assert (result.returncode, result.stderr) == (0, "")

    log = tmp_path / "apt.log"
    _fake_apt(bin_dir, log)
    wrong = tmp_path / "no-such-chromium"
    result = _run(bin_dir, CHROMIUM=str(wrong))
    assert result.returncode == 1
    assert result.stderr == (
        f"make test: CHROMIUM={wrong} is not an executable file: "
        "point it at Chromium or unset it\n"
    )
    assert not log.exists()  # the user's setting is not overridden by apt-get
