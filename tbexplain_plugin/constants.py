"""Names and defaults shared by the loader, the plugin and the format; imports nothing.

The loader must stay light (TensorBoard imports it with no error handling), so
what it shares with the plugin lives here rather than in either of them.
"""

PLUGIN_NAME = "tbexplain"

# Steps kept per (run, tag) series when the user gives no
# --samples_per_plugin=tbexplain=N. Generous: one step per epoch of a long run.
DEFAULT_SAMPLES_PER_SERIES = 1000
