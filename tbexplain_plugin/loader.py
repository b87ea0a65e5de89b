"""The light entry point TensorBoard loads: `tbexplain_plugin.loader:ExplainLoader`.

TensorBoard imports the module named by the ``tensorboard_plugins`` entry point
with no error handling around it, so this module stays small: it imports only
`tensorboard.plugins.base_plugin` and `tbexplain_plugin.constants` (which
imports nothing), never TensorFlow or `tbexplain`, and imports the plugin
itself (`tbexplain_plugin.plugin`) only when TensorBoard calls
`ExplainLoader.load`.

It also raises how many steps TensorBoard keeps per tbexplain series. By
default TensorBoard keeps a random sample of 10 steps per blob-sequence series
(both the Python loader and the Rust data server), which would hide most
logged epochs. Unless the user passes ``--samples_per_plugin=tbexplain=N``
(which always wins), `ExplainLoader.fix_flags` sets it to
`DEFAULT_SAMPLES_PER_SERIES`.

And it follows every event file of a run. The callback writes explanations
into the run directory of Keras' own `TensorBoard` callback (``log_dir/train``)
from a writer of its own, so that run has two event files that grow together.
TensorBoard's Python loader (``--load_fast=false``) reads only the newest file
of a run unless ``--reload_multifile=true``, so Keras' scalars would stop
updating; unless the user sets ``--reload_multifile`` either way,
`ExplainLoader.fix_flags` turns it on. (The Rust data server always reads
every file.) It cannot be turned on for some runs only: the Python loader
builds one `EventMultiplexer` for all runs, whose ``event_file_active_filter``
(made from this flag alone) picks, for every run alike, between following the
newest file and following every file written to in the last
``--reload_multifile_inactive_secs`` (a day by default).
"""

from __future__ import annotations

import argparse
from typing import Any

from tensorboard.plugins import base_plugin

from tbexplain_plugin.constants import DEFAULT_SAMPLES_PER_SERIES, PLUGIN_NAME

__all__ = ["DEFAULT_SAMPLES_PER_SERIES", "ExplainLoader", "parse_samples_per_plugin"]


def parse_samples_per_plugin(value: Any) -> dict[str, int]:
    """Normalises a ``--samples_per_plugin`` value to a dict.

    TensorBoard parses the flag into a dict (``"images=5,tbexplain=20"`` ->
    ``{"images": 5, "tbexplain": 20}``), but a value set programmatically
    (``program.TensorBoard().configure(samples_per_plugin=...)``) may still be
    the raw string, or None.

    Raises:
      base_plugin.FlagsError: the string is not ``name=int`` pairs.
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str):
        result: dict[str, int] = {}
        for token in value.split(","):
            token = token.strip()
            if not token:
                continue
            name, sep, count = token.partition("=")
            try:
                if not sep:
                    raise ValueError(token)
                result[name.strip()] = int(count)
            except ValueError:
                raise base_plugin.FlagsError(
                    "--samples_per_plugin must be comma separated "
                    f"plugin_name=integer pairs. Received: {value!r}"
                ) from None
        return result
    raise base_plugin.FlagsError(
        "--samples_per_plugin must be a string or a dict. "
        f"Received: {type(value).__name__}"
    )


class ExplainLoader(base_plugin.TBLoader):
    """Creates the tbexplain plugin; keeps every logged step by default."""

    def define_flags(self, parser: argparse.ArgumentParser) -> None:
        """Adds no flags: the plugin is configured by `--samples_per_plugin`."""

    def fix_flags(self, flags: argparse.Namespace) -> None:
        """Keeps up to `DEFAULT_SAMPLES_PER_SERIES` steps per series.

        An explicit ``--samples_per_plugin=tbexplain=N`` is left unchanged;
        other plugins' entries are kept. Also turns ``--reload_multifile`` on
        when the user left it unset (see the module docstring).
        """
        if not hasattr(flags, "samples_per_plugin"):
            return  # Not the `serve` command of a TensorBoard we know.
        samples = parse_samples_per_plugin(flags.samples_per_plugin)
        samples.setdefault(PLUGIN_NAME, DEFAULT_SAMPLES_PER_SERIES)
        flags.samples_per_plugin = samples
        if getattr(flags, "reload_multifile", False) is None:
            flags.reload_multifile = True

    def load(self, context: base_plugin.TBContext) -> base_plugin.TBPlugin:
        """Imports the plugin module (lazily) and creates the plugin."""
        from tbexplain_plugin.plugin import ExplainPlugin

        return ExplainPlugin(context)
