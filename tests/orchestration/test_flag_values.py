"""Every flag value is checked before any work: a bad one is one line on stderr, exit 1.

Run as a user runs them (`python -m invoke ...` in the repository), so invoke's own parsing of
the command line is covered too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shared.paths import REPO_ROOT


def invoke(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ("preview", "--env", "development", "--parallel", "abc"),
            "--parallel 'abc' is not a whole number (e.g. 4)",
        ),
        (
            ("plan", "--env", "development", "--timing", "--runs", "x"),
            "--runs 'x' is not a whole number (e.g. 4)",
        ),
        (
            ("plan", "--env", "development", "--timing", "--runs", "0"),
            "--runs 0: give at least 1 (runs of each measurement)",
        ),
        (
            ("plan", "--env", "development", "--output", "/tmp"),
            "cannot write the text plan to /tmp: it is a directory",
        ),
        (
            ("plan", "--env", "development", "--json", "/tmp"),
            "cannot write the JSON plan to /tmp: it is a directory",
        ),
        pytest.param(
            ("plan", "--env", "development", "--json", "/proc/version"),
            "cannot write the JSON plan to /proc/version: the file is not writable",
            marks=pytest.mark.skipif(not Path("/proc/version").is_file(), reason="no procfs"),
        ),
    ],
    ids=["parallel-abc", "runs-x", "runs-0", "output-dir", "json-dir", "json-proc-version"],
)
def test_a_bad_flag_value_is_one_line(argv: tuple[str, ...], line: str) -> None:
    result = invoke(*argv)

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(line)
    assert result.stdout == ""
