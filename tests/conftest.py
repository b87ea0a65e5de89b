"""Fixtures shared across test packages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def trained_kinds(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Any]]:
    """Every kind of model trained once with the callback (`model_kinds`): the
    log directory and kind -> its `Case`. Shared by the read-back and the
    Chromium tests, so the 14 models train once per session."""
    from tests.helpers import model_kinds

    path = tmp_path_factory.mktemp("kinds") / "logs"
    return path, model_kinds.train_all(path)
