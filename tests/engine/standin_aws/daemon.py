"""TEST-ONLY stand-in: one process serving every provider the engine starts in a test session.

A provider started as a fresh interpreter spends about 1.7 s of CPU importing grpc, the pulumi
SDK and boto3, and the engine starts one or two per stack operation: on two cores that was a
third of the engine tier. The installed plugin (install.py) therefore asks this daemon, over a
Unix socket, for a provider instead (`launch.py`): the daemon starts a gRPC server with a new
`StandinAwsProvider` on a free loopback port, configured from the plugin process's environment,
and stops it when the plugin process ends, so each provider the engine starts is still its own,
living exactly as long as the process the engine started.

    python -m tests.engine.standin_aws.daemon SOCKET_PATH
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from concurrent import futures
from pathlib import Path

from tests.engine.standin_aws.server import StandinAwsProvider, start_server

# Shared by every provider server: a held fault keeps one thread busy until it is released.
_EXECUTOR = futures.ThreadPoolExecutor(max_workers=64)


def _serve_one(connection: socket.socket) -> None:
    """One plugin process: its environment in, the port out, then wait for it to end."""
    with connection, connection.makefile("rb") as requests:
        provider = StandinAwsProvider(json.loads(requests.readline()))
        server, port = start_server(provider, _EXECUTOR)
        try:
            connection.sendall(f"{port}\n".encode())
            # EOF (or a reset) when the plugin process exits or is killed.
            while connection.recv(64):
                pass
        except OSError:
            pass
        finally:
            # As when the plugin process dies: a held change never reaches AWS.
            provider.cancel()
            server.stop(grace=None)


def _accept(listener: socket.socket) -> None:
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(connection,), daemon=True).start()


def serve_providers(path: Path) -> None:
    """Serve on `path` until standard input closes (the test session ended or died)."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)
    threading.Thread(target=_accept, args=(listener,), daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    serve_providers(Path(sys.argv[1]))
