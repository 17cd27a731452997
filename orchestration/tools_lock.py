"""One install at a time into a tools dir (`.tools/`): parallel test workers, or two tasks
started together, would otherwise build the same tool into the same folder at once and each
find the other's half-made files."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".install.lock"


@contextmanager
def installing(tools_dir: Path) -> Iterator[None]:
    """Hold the tools dir's install lock (an advisory `flock`, released if the process dies)."""
    tools_dir.mkdir(parents=True, exist_ok=True)
    with (tools_dir / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
