"""`invoke scan --env E`: the offline plan, translated, judged by the pinned Checkov.

Several `--env` share one Checkov run (its start-up is the slow part). Exit 0 when every
failed check is explained in the suppressions file and every entry of that file still explains
a failure; 1 otherwise, or when the plan, the translation, the file or Checkov itself fails
(one message, no traceback).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from orchestration.plan.cli import make_plan
from orchestration.plan.environment import EnvironmentPlan, PlanError
from orchestration.plan.program_config import StackConfigError, stack_config
from orchestration.scan.checkov import CheckovError, CheckResult, run_checkov
from orchestration.scan.checkov_install import CHECKOV_VERSION, CheckovUnavailable, ensure_checkov
from orchestration.scan.report import EnvironmentScan, report
from orchestration.scan.suppressions import (
    SUPPRESSIONS_FILE,
    Finding,
    Suppression,
    SuppressionError,
    explain,
    load_suppressions,
    stale,
    stale_error,
)
from orchestration.scan.terraform_types import UnmappedType
from orchestration.scan.translate import terraform_plan
from shared.paths import PROJECTS_DIR, REPO_ROOT


class ScanError(Exception):
    """The scan could not be made or judged; the message says why and what to do."""


def judge(
    environment: str,
    document: Mapping[str, Any],
    results: Sequence[CheckResult],
    suppressions: Sequence[Suppression],
) -> EnvironmentScan:
    """One environment's Checkov results, failures explained by the suppressions or not."""
    origins: Mapping[str, Mapping[str, str]] = document["pulumi"]["resources"]
    findings = []
    for result in results:
        if result.passed:
            continue
        origin = origins.get(result.address, {})
        findings.append(
            Finding(
                environment=environment,
                check=result.check_id,
                check_name=result.name,
                project=origin.get("project", "?"),
                name=origin.get("name", result.address),
                type=origin.get("type", "?"),
                address=result.address,
            )
        )
    suppressed, unexplained = explain(findings, suppressions)
    return EnvironmentScan(
        environment=environment,
        resources=len(origins),
        passed=sum(1 for result in results if result.passed),
        failed=unexplained,
        suppressed=suppressed,
    )


def knob_in_stack_file(environment: str, knob: str, *, projects_dir: Path = PROJECTS_DIR) -> bool:
    """Whether `<project>:<key>` is set in the project's stack file for `environment`: the
    same files the offline plan evaluated the program with."""
    project = knob.partition(":")[0]
    try:
        return knob in stack_config(
            project, environment, projects_dir=projects_dir, skip_secrets=True
        )
    except StackConfigError as error:
        raise ScanError(str(error)) from error


def run_scan(
    environments: Sequence[str],
    *,
    out: TextIO | None = None,
    tools_dir: Path = REPO_ROOT / ".tools",
    suppressions_file: Path = SUPPRESSIONS_FILE,
    plan_of: Callable[[str], EnvironmentPlan] = make_plan,
    knob_is_set: Callable[[str, str], bool] = knob_in_stack_file,
    verbose: bool = False,
) -> int:
    """Scan each environment's offline plan; print the report (each suppressed finding and its
    reason only with `verbose`); 0 when nothing is unexplained."""
    out = out or sys.stdout
    if not environments:
        raise ScanError("name the environment(s) to scan: --env development [--env production]")
    try:
        suppressions = load_suppressions(suppressions_file)
        documents = {env: terraform_plan(plan_of(env)) for env in dict.fromkeys(environments)}
        binary = ensure_checkov(tools_dir, lambda line: print(line, file=out, flush=True))
    except (SuppressionError, PlanError, UnmappedType, CheckovUnavailable) as error:
        raise ScanError(str(error)) from error
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="scan-") as directory:
        files = {env: Path(directory) / f"{env}.tf.json" for env in documents}
        for env, document in documents.items():
            files[env].write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        try:
            results = run_checkov(binary, list(files.values()))
        except CheckovError as error:
            raise ScanError(str(error)) from error
        by_file: dict[str, list[CheckResult]] = {}
        for result in results:
            by_file.setdefault(result.file.name, []).append(result)
        scans = [
            judge(
                env,
                documents[env],
                by_file.get(files[env].name, []),
                [entry for entry in suppressions if entry.applies(env, knob_is_set)],
            )
            for env in documents
        ]
    seconds = time.monotonic() - started
    header = (
        f"Checkov {CHECKOV_VERSION} on the offline plan translated to Terraform plan JSON "
        f"({', '.join(documents)}; {seconds:.1f} s)"
    )
    print(report(scans, header, verbose=verbose), file=out)
    used = [pair for scan in scans for pair in scan.suppressed]
    faults = stale(suppressions, used, documents, knob_is_set)
    failed = sum(len(scan.failed) for scan in scans)
    if failed:
        print(
            f"\nScan failed: {failed} failed check(s) not explained in {suppressions_file}: "
            "fix the resource, or add an entry with the reason.",
            file=out,
        )
    if faults:
        print(f"\nScan failed: {stale_error(suppressions_file, faults)}", file=out)
    return 1 if failed or faults else 0
