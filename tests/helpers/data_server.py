"""The Rust data server in a subprocess, read in-process through its gRPC provider.

::

    from tests.helpers.data_server import rust_data_provider

    with rust_data_provider(logdir) as provider:
        provider.list_blob_sequences(ctx, experiment_id="", plugin_name="tbexplain")

The data server binary is the one ``tensorboard --load_fast=true`` starts
(the ``tensorboard-data-server`` package, found by TensorBoard's own
`server_ingester.get_server_binary`), started with the flags TensorBoard
gives it, and the provider is TensorBoard's own `GrpcDataProvider`. So tests
can wrap the provider the plugin reads (to count its calls, say) while the
data comes from the real Rust server. Importing this module does not import
TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator

import grpc
from tensorboard.data import grpc_provider, server_ingester
from tensorboard.data.proto import data_provider_pb2_grpc

from tbexplain_plugin.constants import DEFAULT_SAMPLES_PER_SERIES, PLUGIN_NAME

# The largest gRPC message TensorBoard's own channel accepts.
_MAX_MESSAGE = 256 * 1024 * 1024


@contextlib.contextmanager
def rust_data_provider(
    logdir: str | os.PathLike[str],
    *,
    reload_interval: int = 1,
    samples: int = DEFAULT_SAMPLES_PER_SERIES,
    startup_timeout: float = 30.0,
) -> Iterator[grpc_provider.GrpcDataProvider]:
    """Runs the Rust data server on `logdir`; yields a provider reading it.

    Args:
      logdir: The log directory.
      reload_interval: Seconds between the server's reloads (0: load once).
      samples: Steps kept per tbexplain series (``--samples_per_plugin``).
      startup_timeout: Seconds to wait for the server's port.

    Raises:
      RuntimeError: the data server is not installed or did not start.
    """
    binary = server_ingester.get_server_binary()
    if binary is None:
        raise RuntimeError("the Rust data server (tensorboard-data-server) is missing")
    with tempfile.TemporaryDirectory(prefix="tbexplain_data_server_") as scratch:
        port_file = os.path.join(scratch, "port")
        process = subprocess.Popen(
            [
                binary.path,
                f"--logdir={os.fspath(logdir)}",
                f"--reload={reload_interval if reload_interval > 0 else 'once'}",
                f"--samples-per-plugin={PLUGIN_NAME}={samples}",
                "--port=0",
                f"--port-file={port_file}",
                "--die-after-stdin",
            ],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        channel = None
        try:
            deadline = time.monotonic() + startup_timeout
            port = ""
            while not port.endswith("\n"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Rust data server did not start")
                time.sleep(0.05)
                if os.path.exists(port_file):
                    with open(port_file) as f:
                        port = f.read()
            address = f"localhost:{int(port)}"
            channel = grpc.insecure_channel(
                address,
                options=[
                    ("grpc.max_receive_message_length", _MAX_MESSAGE),
                    ("grpc.max_send_message_length", _MAX_MESSAGE),
                ],
            )
            stub = data_provider_pb2_grpc.TensorBoardDataProviderStub(channel)
            yield grpc_provider.GrpcDataProvider(address, stub)
        finally:
            if channel is not None:
                channel.close()
            assert process.stdin is not None
            process.stdin.close()  # --die-after-stdin
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
