"""Checkov, pinned, in an environment of its own under `.tools/checkov/<version>/`.

Checkov cannot live in the project's environment: checkov 3.3.x pins boto3 1.35.x, the
project needs boto3 >= 1.44 (for `invoke verify` and the state tasks), and uv rightly refuses
to lock both. So it gets its own virtual environment, made by uv from
`checkov-requirements.txt` beside this file: Checkov and every dependency pinned by version
and hash (regenerate with the command in its first lines). It is installed on first use,
like the Pulumi CLI and actionlint; a stamp holding the requirements' digest makes a second
run a no-op, and a changed requirements file (or a broken, half-made environment) a fresh
install. `invoke scan` runs it as a subprocess.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from orchestration.tools_lock import installing

CHECKOV_VERSION: Final = "3.3.30"
REQUIREMENTS: Final = Path(__file__).with_name("checkov-requirements.txt")
_STAMP: Final = ".requirements-sha256"
_TIMEOUT: Final = 900.0

Progress = Callable[[str], None]


class CheckovUnavailable(RuntimeError):
    """Checkov cannot be installed; the message says what to do."""


def checkov_home(tools_dir: Path, version: str = CHECKOV_VERSION) -> Path:
    """The virtual environment Checkov `version` is installed in."""
    return tools_dir / "checkov" / version


def checkov_path(tools_dir: Path, version: str = CHECKOV_VERSION) -> Path:
    """The `checkov` command of that environment."""
    return checkov_home(tools_dir, version) / "bin" / "checkov"


def requirements_digest(requirements: Path = REQUIREMENTS) -> str:
    """The sha256 of the pinned requirements (what the stamp of an install records)."""
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def find_uv() -> str | None:
    """uv: the one running us (`uv run` sets UV), else the first on PATH."""
    running = os.environ.get("UV")
    if running and Path(running).is_file():
        return running
    return shutil.which("uv")


def ensure_checkov(
    tools_dir: Path,
    progress: Progress,
    *,
    version: str = CHECKOV_VERSION,
    requirements: Path = REQUIREMENTS,
    uv: str | None = None,
) -> Path:
    """The `checkov` command of the pinned install, installing it first if needed."""
    with installing(tools_dir):
        return _ensure(tools_dir, progress, version, requirements, uv)


def _ensure(
    tools_dir: Path, progress: Progress, version: str, requirements: Path, uv: str | None
) -> Path:
    home = checkov_home(tools_dir, version)
    binary = checkov_path(tools_dir, version)
    digest = requirements_digest(requirements)
    stamp = home / _STAMP
    if binary.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return binary
    uv = uv or find_uv()
    if uv is None:
        raise CheckovUnavailable(
            "Checkov runs in an environment of its own, which uv creates, and uv was not "
            "found: run the task through `python3 -m uv run invoke ...` (uv then names "
            "itself in UV), or put uv on PATH (`python3 -m pip install uv`)"
        )
    progress(f"Installing Checkov {version} into {home} (its own environment, pinned by hash)")
    started = time.monotonic()
    # A half-made environment has no stamp: it is removed and made again, never used.
    shutil.rmtree(home, ignore_errors=True)
    home.parent.mkdir(parents=True, exist_ok=True)
    _run(uv, "venv", "--quiet", "--python", sys.executable, str(home))
    _run(
        uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(home / "bin" / "python"),
        "--require-hashes",
        "--requirement",
        str(requirements),
    )
    if not binary.is_file():
        raise CheckovUnavailable(f"the install finished but {binary} is missing")
    stamp.write_text(digest + "\n")
    progress(f"Checkov {version} installed in {time.monotonic() - started:.1f} s")
    return binary


def _run(*command: str) -> None:
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise CheckovUnavailable(f"installing Checkov failed: {error}") from error
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise CheckovUnavailable(
            f"installing Checkov failed ({Path(command[0]).name} {command[1]} {command[2]}): "
            f"{' / '.join(tail) or 'no output'}"
        )
