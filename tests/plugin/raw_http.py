"""Sends raw HTTP/1.1 requests (any bytes in the request line) and reads the status.

`http.client` refuses control characters and non-ASCII in a URL; a fuzz test
needs to send them anyway. Each request is its own connection with
``Connection: close``; the answer is read as a browser reads it, by its
``Content-Length`` (until the server closes when it has none), and then the
client closes. (Waiting for the server to close first can wait forever: after
answering a request whose body it did not read, werkzeug's server reads
what is left of the body until the client closes.)
"""

from __future__ import annotations

import contextlib
import socket


def request(
    host: str,
    port: int,
    method: bytes,
    target: bytes,
    *,
    headers: dict[bytes, bytes] | None = None,
    body: bytes = b"",
    timeout: float = 60.0,
) -> tuple[int, bytes]:
    """Sends one request; returns (status, whole response).

    Raises:
      TimeoutError: no complete answer within `timeout` seconds of silence.
      ValueError: the answer has no HTTP status line.
    """
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: " + host.encode()]
    lines += [k + b": " + v for k, v in (headers or {}).items()]
    lines.append(b"Connection: close")
    if body:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        # The server may answer (414, 400) and close before reading it all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        response = b""
        expected = None
        with contextlib.suppress(ConnectionResetError):
            while expected is None or len(response) < expected:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                response += chunk
                head, sep, _ = response.partition(b"\r\n\r\n")
                if sep and expected is None:
                    expected = _length(head, method)
    status_line = response.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or not status_line[1].isdigit():
        raise ValueError(f"no HTTP status line: {response[:200]!r}")
    return int(status_line[1]), response


def _length(head: bytes, method: bytes) -> int | None:
    """The whole response's length from its head, None if only EOF tells."""
    if method == b"HEAD":
        return len(head) + 4
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(head) + 4 + int(value.strip())
    return None
