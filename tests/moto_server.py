"""moto's standalone server on a free loopback port: a real S3/KMS/STS HTTP API for tests.

Used by the state tests (bootstrap, history) and the engine tier, where the real Pulumi CLI
keeps its state in the server's S3 and encrypts secrets with its KMS. Started and stopped by the
fixtures, on 127.0.0.1 only; moto picks the port (port 0), so parallel runs never collide.
moto keeps its accounts in process-wide memory, shared by every server of the process: each
server starts empty (`reset`), and a test that needs an empty account calls `reset` itself.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

LOOPBACK = "127.0.0.1"
# The account moto reports for its default credentials (STS GetCallerIdentity).
MOTO_ACCOUNT = "123456789012"


@contextmanager
def moto_server() -> Iterator[str]:
    """Yield the endpoint URL (http://127.0.0.1:<port>) of a fresh server; stop it after."""
    # One log line per request would bury a failing test's output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        reset(url)
        yield url
    finally:
        server.stop()


def reset(url: str) -> None:
    """Forget every bucket, key and account the server's process holds (moto's reset API)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
    # The URL is the loopback server this module started (http only).
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()
