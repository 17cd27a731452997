"""TEST-ONLY stand-in: faults a test injects into the provider (a slow or failing type).

What AWS cannot be asked to do on demand (take a while, fail once) lives in a small JSON file the
tests write (`FAULTS_FILE_ENV` names it) and the provider reads before each change. A hold lasts
until the test releases it (`clear`), so a test waits for an event, never a fixed time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FAULTS_FILE_ENV = "STANDIN_AWS_FAULTS_FILE"


def _load(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def fault(kind: str, type_: str, environ: dict[str, str] | None = None) -> Any:
    """The injected `kind` ("hold": true, or "fail": a message) for `type_`, or None."""
    path = (environ or os.environ).get(FAULTS_FILE_ENV)
    if not path:
        return None
    return _load(Path(path)).get(kind, {}).get(type_)


class Faults:
    """The tests' side: write the faults the provider will meet."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _set(self, kind: str, type_: str, value: Any) -> None:
        data = _load(self.path)
        data.setdefault(kind, {})[type_] = value
        self.path.write_text(json.dumps(data), encoding="utf-8")

    def hold(self, type_: str) -> None:
        """Hold every change of `type_` until `clear` (or the engine cancels it)."""
        self._set("hold", type_, True)

    def set_failure(self, type_: str, message: str) -> None:
        self._set("fail", type_, message)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
