"""The real scan of production with a certificate configured: the listener's findings go.

Without `compute:certificateArn` the HTTP listener's findings (CKV_AWS_2, CKV_AWS_103,
CKV2_AWS_20) are accepted with their reason; with one, the load balancer serves HTTPS, Checkov
passes them, and their entries (`while_unset: compute:certificateArn`) neither excuse nor go
stale. The real programs, the real suppressions file and the pinned Checkov; a copy of the
projects holds the certificate.
"""

from __future__ import annotations

import functools
import io
import shutil
from pathlib import Path

from orchestration.plan.cli import make_plan
from orchestration.plan.programs import evaluate_project
from orchestration.scan.cli import knob_in_stack_file, run_scan
from shared.paths import PROJECTS_DIR, REPO_ROOT

CERTIFICATE = "arn:aws:acm:us-west-2:111122223333:certificate/00000000-0000-4000-8000-000000000001"
LISTENER_CHECKS = ("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20")


def test_with_a_certificate_production_passes_the_listener_checks(
    checkov: Path, tmp_path: Path
) -> None:
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS_DIR, projects)
    stack_file = projects / "compute" / "Pulumi.production.yaml"
    stack_file.write_text(
        stack_file.read_text(encoding="utf-8") + f"  compute:certificateArn: {CERTIFICATE}\n",
        encoding="utf-8",
    )
    evaluate = functools.partial(evaluate_project, projects_dir=projects)
    out = io.StringIO()

    code = run_scan(
        ["production"],
        out=out,
        tools_dir=REPO_ROOT / ".tools",
        plan_of=lambda env: make_plan(env, evaluate_program=evaluate),
        knob_is_set=functools.partial(knob_in_stack_file, projects_dir=projects),
    )

    report = out.getvalue()
    assert code == 0, report
    assert "explains no failure" not in report
    for check in LISTENER_CHECKS:
        assert f"    {check}  compute" not in report, check
