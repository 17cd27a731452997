"""TEST-ONLY stand-in: the plugin process the engine starts when the provider daemon runs.

Run by file path with `python -S` (standard library only, so it starts in milliseconds): asks
the daemon (daemon.py, socket in STANDIN_AWS_DAEMON) for a provider configured from this
process's environment, prints its port as a plugin does, and lives until the engine ends it,
or until the engine itself is gone (a killed `pulumi` must not leave providers behind).
"""

import json
import os
import socket
import sys

DAEMON_ENV = "STANDIN_AWS_DAEMON"


def main() -> None:
    parent = os.getppid()
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.connect(os.environ[DAEMON_ENV])
    connection.sendall(json.dumps(dict(os.environ)).encode() + b"\n")
    port = b""
    while not port.endswith(b"\n"):
        chunk = connection.recv(64)
        if not chunk:
            sys.exit("the test-only AWS stand-in daemon closed before serving a provider")
        port += chunk
    sys.stdout.write(port.decode())
    sys.stdout.flush()
    connection.settimeout(0.5)
    while os.getppid() == parent:
        try:
            if not connection.recv(64):
                return
        except TimeoutError:
            continue


if __name__ == "__main__":
    main()
