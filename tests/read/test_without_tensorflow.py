"""`tbexplain.reading` works in a process where TensorFlow cannot be imported,
and reads there exactly what it reads beside TensorFlow."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from tbexplain.reading import Logs
from tests.read.conftest import Logged

SCRIPT = textwrap.dedent(
    """
    import json
    import sys

    sys.modules["tensorflow"] = None  # `import tensorflow` raises ImportError

    import numpy as np

    import tbexplain as tbx
    from tbexplain.reading import read

    logs = read(sys.argv[1])
    arrays, keys, manifests = {}, {}, {}
    for series in logs.series():
        if series.tag.startswith("broken/") or series.tag == "probe/stray":
            continue
        for s in series.steps:
            step = series[s]
            key = f"{series.run}|{series.tag}|{s}"
            maps = series.kind in ("explanation", "activations")
            for what, array in (
                ("data", step.maps if maps else step.images),
                ("inputs", step.inputs),
            ):
                if array is not None:
                    keys[f"a{len(keys)}"] = [key, what]
                    arrays[f"a{len(arrays)}"] = array
            manifests[key] = {"manifest": step.manifest, "attrs": step.attrs}
    np.savez(sys.argv[2], **arrays)
    modules = sorted(
        name
        for name, module in sys.modules.items()
        if module is not None and name.split(".")[0] in ("tensorflow", "keras")
    )
    print(json.dumps({
        "keys": keys,
        "manifests": manifests,
        "skipped": [list(s) for s in logs.skipped],
        "modules": modules,
        "lazy": "ExplanationLogger" not in vars(tbx),
    }))
    """
)


def test_reads_the_same_without_tensorflow(logs: Logs, logged: Logged, tmp_path: Path):
    out = tmp_path / "arrays.npz"
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(logged.logdir), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["modules"] == []
    assert report["lazy"]
    assert report["skipped"] == [list(s) for s in logs.skipped]
    arrays = np.load(out)
    seen = set()
    for name, (key, what) in report["keys"].items():
        run, tag, step = key.split("|")
        read_here = logs[run][tag][int(step)]
        expected = (
            read_here.inputs
            if what == "inputs"
            else read_here.maps
            if logs[run][tag].kind in ("explanation", "activations")
            else read_here.images
        )
        np.testing.assert_array_equal(arrays[name], expected)
        assert arrays[name].dtype == expected.dtype
        seen.add(key)
    expected_keys = {
        f"{s.run}|{s.tag}|{step}"
        for s in logs.series()
        if not s.tag.startswith("broken/") and s.tag != "probe/stray"
        for step in s.steps
    }
    assert seen == expected_keys == set(report["manifests"])
    for key, facts in report["manifests"].items():
        run, tag, step = key.split("|")
        read_here = logs[run][tag][int(step)]
        assert facts == {"manifest": read_here.manifest, "attrs": read_here.attrs}
