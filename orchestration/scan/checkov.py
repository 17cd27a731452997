"""Run Checkov on Terraform plan JSON files and read its verdicts.

One run takes several plan files (`-f` each): Checkov spends seconds importing its checks, so
a scan of two environments, or a test of many fixtures, pays that once. The run is offline and
hermetic: no download of guidelines or custom policies (`--skip-download`, BC_SKIP_MAPPING),
no check for a newer version, a working directory of its own (so no `.checkov.yaml` lying
around changes it), every check of the terraform_plan framework, and `--soft-fail` so its exit
code says whether it ran, not what it found.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

_TIMEOUT: Final = 600.0
_ENVIRONMENT: Final = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE",
    # Checkov reads LOG_LEVEL too; the web app's DEBUG must not turn its logging on.
    "LOG_LEVEL": "WARNING",
}


class CheckovError(RuntimeError):
    """Checkov did not run, or could not read a plan; the message says why."""


@dataclass(frozen=True)
class CheckResult:
    """One check on one resource of one plan file."""

    check_id: str
    name: str
    # The Terraform address (`module.storage.aws_s3_bucket.webapp-production-data`).
    address: str
    passed: bool
    file: Path


def run_checkov(binary: Path, plan_files: Sequence[Path]) -> list[CheckResult]:
    """Every check result of one Checkov run over `plan_files`."""
    command = [
        str(binary.resolve()),
        "--framework",
        "terraform_plan",
        "--output",
        "json",
        "--skip-download",
        "--soft-fail",
        "--compact",
    ]
    for plan_file in plan_files:
        command += ["--file", str(plan_file.resolve())]
    with tempfile.TemporaryDirectory(prefix="checkov-cwd-") as cwd:
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                cwd=cwd,
                env={**os.environ, **_ENVIRONMENT},
                timeout=_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise CheckovError(f"Checkov did not run: {error}") from error
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise CheckovError(
            f"Checkov failed (exit {result.returncode}): {' / '.join(tail) or 'no output'}"
        )
    return parse_report(result.stdout)


def parse_report(text: str) -> list[CheckResult]:
    """The check results of Checkov's JSON report (one framework: an object; several: a list)."""
    try:
        report = json.loads(text)
    except ValueError as error:
        raise CheckovError(f"Checkov's report is not JSON ({error}): {text[:200]!r}") from None
    reports = report if isinstance(report, list) else [report]
    found: list[CheckResult] = []
    for one in reports:
        summary = one.get("summary", one)
        if summary.get("parsing_errors"):
            raise CheckovError(
                f"Checkov could not read {summary['parsing_errors']} plan file(s): "
                "run `checkov --framework terraform_plan -f FILE` on them to see why"
            )
        results: Mapping[str, Any] = one.get("results", {})
        for key, passed in (("passed_checks", True), ("failed_checks", False)):
            found.extend(_result(entry, passed) for entry in results.get(key, []))
    return found


def _result(entry: Mapping[str, Any], passed: bool) -> CheckResult:
    return CheckResult(
        check_id=entry["check_id"],
        name=entry.get("check_name", ""),
        address=entry["resource"],
        passed=passed,
        file=Path(entry.get("file_abs_path") or entry.get("file_path", "")),
    )
