"""The bridge from `evaluate.py` (a program under the mock runtime) to the plan and the rules."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi.runtime.rpc import UNKNOWN as RPC_UNKNOWN

from orchestration.plan.environment import PlanError, PlannedProgram
from orchestration.plan.evaluate import ProgramError, RegisteredResource, evaluate_program
from orchestration.plan.program_config import StackConfigError
from program.policy import UNKNOWN, Resource
from shared.paths import PROJECTS_DIR
from shared.settings import EnvironmentSettings


def thaw(value: Any) -> Any:
    """Plain dicts and lists (the evaluation freezes its results), engine unknowns marked."""
    if isinstance(value, str) and value == RPC_UNKNOWN:
        return UNKNOWN
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [thaw(item) for item in value]
    return value


def to_rule_input(registered: RegisteredResource) -> Resource:
    """A registered resource in the rules' shape: its inputs, as the policy pack sees them."""
    return Resource(
        type=registered.type,
        name=registered.name,
        props=thaw(registered.inputs),
        urn=registered.urn,
        protect=registered.protect,
        provider=registered.provider,
        parent=registered.parent,
        dependencies=dict(registered.property_dependencies),
        id=registered.id,
    )


def evaluate_project(
    project: str,
    settings: EnvironmentSettings,
    upstream: Mapping[str, Mapping[str, Any]],
    *,
    projects_dir: Path = PROJECTS_DIR,
) -> PlannedProgram:
    """Run one project's real program for `settings`; PlanError saying why it failed."""
    try:
        result = evaluate_program(
            project,
            settings.environment,
            upstream=upstream,
            settings=settings,
            projects_dir=projects_dir,
        )
    except (ProgramError, StackConfigError) as error:
        raise PlanError(f"cannot plan {project}: {error}") from error
    return PlannedProgram(
        resources=[to_rule_input(resource) for resource in result.resources],
        outputs=thaw(result.outputs),
        resource_outputs={resource.urn: thaw(resource.outputs) for resource in result.resources},
        calls=tuple((token, thaw(arguments)) for token, arguments in result.calls),
    )
