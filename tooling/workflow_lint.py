"""Lint the GitHub Actions workflows: actionlint (installed on demand) and zizmor (offline).

actionlint is a Go program; its PyPI wrapper downloads a prebuilt binary at install time, which
a machine limited to package registries cannot do, so it is built from its Go module with
`go install` into `.tools/actionlint/<version>/` (idempotent: a binary that reports the pinned
version is reused; a cold build takes about half a minute). zizmor is a dev dependency and runs
with `--offline`: its audits that ask GitHub's API (e.g. whether a pinned commit belongs to the
action's repository) need a token and the network, which `invoke test` must not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

ACTIONLINT_VERSION: Final = "1.7.12"
ACTIONLINT_MODULE: Final = "github.com/rhysd/actionlint/cmd/actionlint"
_TIMEOUT: Final = 900.0

Progress = Callable[[str], None]


class WorkflowLintUnavailable(RuntimeError):
    """A linter cannot be installed or started; the message says what to do."""


def actionlint_path(tools_dir: Path, version: str = ACTIONLINT_VERSION) -> Path:
    return tools_dir / "actionlint" / version / "actionlint"


def installed_version(binary: Path) -> str | None:
    """The version `actionlint -version` reports on its first line, or None."""
    try:
        result = subprocess.run(
            [str(binary), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return None
    lines = result.stdout.splitlines()
    return lines[0].strip().removeprefix("v") if result.returncode == 0 and lines else None


def ensure_actionlint(
    tools_dir: Path, progress: Progress, version: str = ACTIONLINT_VERSION, go: str | None = None
) -> Path:
    """The pinned actionlint, built with `go install` unless it is there already."""
    binary = actionlint_path(tools_dir, version)
    if installed_version(binary) == version:
        return binary
    go = go or shutil.which("go")
    if go is None:
        raise WorkflowLintUnavailable(
            f"actionlint v{version} is not installed and `go` is not on PATH: install Go 1.25+ "
            f"(it builds actionlint from its module), or put actionlint v{version} at {binary}"
        )
    progress(f"Building actionlint v{version} with {go} (about half a minute cold)")
    binary.parent.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "GOBIN": str(binary.parent)}
    try:
        result = subprocess.run(
            [go, "install", f"{ACTIONLINT_MODULE}@v{version}"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise WorkflowLintUnavailable(f"go install of actionlint failed: {error}") from error
    if result.returncode != 0 or installed_version(binary) != version:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise WorkflowLintUnavailable(
            f"go install of actionlint v{version} failed: {' / '.join(tail) or 'no output'}"
        )
    return binary


def lint_commands(repo_root: Path, actionlint: Path) -> list[list[str]]:
    """The two linters over the repository's workflows."""
    workflows = repo_root / ".github" / "workflows"
    files = sorted(str(path) for path in workflows.glob("*.y*ml"))
    zizmor = Path(sys.executable).with_name("zizmor")
    return [
        [str(actionlint), "-no-color", *files],
        [str(zizmor), "--offline", "--no-progress", "--color=never", str(workflows)],
    ]
