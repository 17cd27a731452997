"""A program that ends before registering its outputs fails the plan, naming the project.

`pulumi up` reads a program that registers nothing as "delete every resource": the offline gate
must never pass such a program silently.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from orchestration.plan.environment import PlanError, PlannedProgram, plan_environment
from orchestration.plan.evaluate import ProgramError, evaluate_program
from orchestration.plan.programs import evaluate_project
from shared import topology
from shared.paths import PROJECTS_DIR
from shared.settings import EnvironmentSettings, load_settings


def projects_with(tmp_path: Path, project: str, first_line: str) -> Path:
    """A copy of projects/ whose `project` program starts with `first_line` (TEST ONLY)."""
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS_DIR, projects, ignore=shutil.ignore_patterns("__pycache__"))
    program = projects / project / "__main__.py"
    program.write_text(f"{first_line}\n{program.read_text()}")
    return projects


@pytest.mark.parametrize("code", [0, 3])
def test_a_program_that_exits_early_is_a_program_error(tmp_path: Path, code: int) -> None:
    projects = projects_with(tmp_path, topology.SECURITY, f"import sys; sys.exit({code})")

    with pytest.raises(ProgramError) as raised:
        evaluate_program(topology.SECURITY, "development", projects_dir=projects)

    message = str(raised.value)
    assert "project 'security'" in message
    assert f"sys.exit({code})" in message
    assert "before registering its outputs" in message


def test_the_plan_refuses_a_program_that_exits_with_success(tmp_path: Path) -> None:
    projects = projects_with(tmp_path, topology.STORAGE, "import sys; sys.exit(0)")
    with pytest.raises(PlanError, match=r"^cannot plan storage: .*sys\.exit\(0\)"):
        plan_environment(load_settings("development"), _evaluator(projects))


def test_the_plan_refuses_a_program_that_exports_less_than_its_contract() -> None:
    def exports_nothing(
        project: str, settings: EnvironmentSettings, upstream: Mapping[str, Mapping[str, Any]]
    ) -> PlannedProgram:
        return PlannedProgram(resources=[], outputs={})

    with pytest.raises(PlanError) as raised:
        plan_environment(
            load_settings("development"), exports_nothing, projects=[topology.SECURITY]
        )

    message = str(raised.value)
    assert message.startswith("security does not export kms_key_arn, kms_key_id, kms_alias_name")
    assert "\n" not in message


def _evaluator(projects: Path) -> Any:
    def evaluate(
        project: str, settings: EnvironmentSettings, upstream: Mapping[str, Mapping[str, Any]]
    ) -> PlannedProgram:
        return evaluate_project(project, settings, upstream, projects_dir=projects)

    return evaluate
