"""The system Chromium that the end-to-end tests, the UI benchmark and the
screenshot tool drive with Playwright (never a downloaded browser).

`CHROMIUM` is ``$CHROMIUM``, else ``chromium`` on PATH, else Debian's
``/usr/bin/chromium``, as ``tools/ensure_test_tools.sh`` (run by ``make
test``) finds it. `CHROMIUM_ARGS` keep it headless and off the network.
"""

from __future__ import annotations

import os
import shutil

__all__ = ["CHROMIUM", "CHROMIUM_ARGS"]

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
