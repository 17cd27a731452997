"""The timing harness measures what it claims: real module loads, fresh interpreters."""

from __future__ import annotations

import subprocess

import pytest

from orchestration.plan.cli import loaded_aws_modules
from orchestration.plan.environment import EnvironmentPlan
from tooling.plan_timing import Timing, import_command, plan_command


def test_loaded_modules_are_the_ones_the_programs_used(
    development_plan: EnvironmentPlan,
) -> None:
    loaded = loaded_aws_modules()

    assert {"pulumi_aws.s3", "pulumi_aws.kms", "pulumi_aws.ec2", "pulumi_aws.iam"} <= set(loaded)
    # Imported lazily by `import pulumi_aws`, never used by a project.
    assert "pulumi_aws.xray" not in loaded
    assert all(name.count(".") == 1 for name in loaded)


def test_import_command_really_loads_lazy_modules() -> None:
    command = import_command(["pulumi_aws.kms"])
    check = command[2] + "; import sys; print(type(sys.modules['pulumi_aws.kms']).__name__)"

    completed = subprocess.run([*command[:2], check], capture_output=True, text=True, check=True)

    assert completed.stdout.strip() == "module"


def test_plan_command_runs_the_quiet_plan() -> None:
    assert plan_command("production")[1:] == (
        "-m",
        "orchestration.plan",
        "--env",
        "production",
        "--quiet",
    )


def test_report_shows_medians_ratio_and_commands() -> None:
    timing = Timing(
        environment="development",
        modules=("pulumi_aws.s3",),
        import_seconds=(2.0, 1.0, 3.0),
        plan_seconds=(2.5, 2.4, 9.0),
        import_command=("python", "-c", "import x"),
        plan_command=("python", "-m", "orchestration.plan"),
    )

    assert timing.ratio == pytest.approx(1.25)
    report = timing.report()
    assert "import only : 2.00s" in report
    assert "whole plan  : 2.50s" in report
    assert "1.25x (within the 1.5x target)" in report
    assert "python -c 'import x'" in report
