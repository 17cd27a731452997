"""The offline plan of an environment: every selected program, in dependency order, no cloud.

Each project's real program runs in-process under Pulumi's mock runtime (`evaluate.py`); the
outputs it would export are handed to its consumers' StackReferences, so the wiring across
stacks is exercised exactly as a deploy would. Then the security rules judge every stack's
planned resources. Nothing is written anywhere: no state, no stack, no credentials, and the
placeholders exist only in this process, so they can never reach a real deploy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from program.policy import RULES, Enforcement, Resource, Rule, StackView, Violation, evaluate
from shared.export_values import export_problem
from shared.references import DIY_ORGANIZATION, qualified_stack_name
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY, ProjectSpec, Topology


class PlanError(Exception):
    """The plan cannot be made: a program failed, or a consumer reads a missing output."""


@dataclass(frozen=True)
class PlannedProgram:
    """What one program registered (as rule input) and exported under the mock runtime.

    The plan's view of an evaluation; `evaluate.ProgramResult` is the evaluator's full record.
    """

    resources: Sequence[Resource]
    outputs: Mapping[str, Any]
    # URN -> the state the mock answered (inputs plus placeholder ids, ARNs, names).
    resource_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The provider functions the program called (token, arguments).
    calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()


# (project, settings, upstream outputs by producer project) -> what the program did.
ProgramEvaluator = Callable[
    [str, EnvironmentSettings, Mapping[str, Mapping[str, Any]]], PlannedProgram
]


@dataclass(frozen=True)
class StackPlan:
    """The planned resources and outputs of one stack."""

    project: str
    stack: str
    resources: tuple[Resource, ...]
    outputs: Mapping[str, Any]
    upstream: Mapping[str, Any] = field(default_factory=dict)
    # The rule violations of this stack's resources.
    violations: tuple[Violation, ...] = ()
    # URN -> the resource's planned state (placeholder ids and ARNs): what refers to what.
    resource_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The provider functions its program called (token, arguments).
    calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()


@dataclass(frozen=True)
class EnvironmentPlan:
    """The whole plan: stacks in deployment order and every rule violation."""

    environment: str
    stacks: tuple[StackPlan, ...]
    violations: tuple[Violation, ...]

    @property
    def blocking(self) -> tuple[Violation, ...]:
        """The mandatory violations, which fail the plan."""
        return tuple(v for v in self.violations if v.enforcement is Enforcement.MANDATORY)


def selected_projects(topology: Topology, projects: Iterable[str] | None) -> tuple[str, ...]:
    """The projects to plan in deploy order: those asked for plus every project they read from.

    A consumer cannot be planned without its producers' planned outputs, so they come along.
    """
    if projects is None:
        return topology.deploy_order()
    chosen = set()
    for name in projects:
        chosen.add(topology.project(name).name)
        chosen.update(topology.all_producers(name))
    return topology.deploy_order(chosen)


def plan_environment(
    settings: EnvironmentSettings,
    evaluate_program: ProgramEvaluator,
    *,
    projects: Iterable[str] | None = None,
    topology: Topology = TOPOLOGY,
    rules: Sequence[Rule] = RULES,
) -> EnvironmentPlan:
    """Plan the selected projects of one environment; PlanError when a program cannot be planned."""
    planned: dict[str, Mapping[str, Any]] = {}
    stacks = []
    for project in selected_projects(topology, projects):
        spec = topology.project(project)
        upstream = {producer: planned[producer] for producer in spec.depends_on}
        result = evaluate_program(project, settings, upstream)
        _check_own_exports(spec, result.outputs, settings.region)
        planned[project] = dict(result.outputs)
        stacks.append(
            StackPlan(
                project=project,
                stack=qualified_stack_name(DIY_ORGANIZATION, project, settings.environment),
                resources=tuple(result.resources),
                outputs=dict(result.outputs),
                upstream={
                    key: value for outputs in upstream.values() for key, value in outputs.items()
                },
                resource_outputs=dict(result.resource_outputs),
                calls=result.calls,
            )
        )
    judged = tuple(
        dataclasses.replace(
            stack,
            violations=tuple(evaluate(StackView(settings, stack.resources, stack.upstream), rules)),
        )
        for stack in stacks
    )
    violations = tuple(violation for stack in judged for violation in stack.violations)
    return EnvironmentPlan(settings.environment, judged, violations)


def _check_own_exports(spec: ProjectSpec, outputs: Mapping[str, Any], region: str) -> None:
    missing = [key for key in spec.exports if key not in outputs]
    if missing:
        raise PlanError(
            f"{spec.name} does not export {', '.join(missing)}, which shared/topology.py "
            "declares: its program ended before exporting them or no longer exports them, and "
            "its consumers read them"
        )
    empty = [
        key
        for key in spec.exports
        if outputs[key] is None or (outputs[key] in ("", [], {}) and key not in spec.may_be_empty)
    ]
    if empty:
        raise PlanError(
            f"{spec.name} exports {', '.join(f'{key}={outputs[key]!r}' for key in empty)}: "
            "its consumers would read nothing. Export the value, or, where empty is a real "
            f"answer, list it in may_be_empty of {spec.name!r} in shared/topology.py"
        )
    malformed = [
        f"{key}={outputs[key]!r}: {problem}"
        for key in spec.exports
        if (problem := export_problem(key, outputs[key], may_be_empty=True, region=region))
    ]
    if malformed:
        raise PlanError(
            f"{spec.name} exports {'; '.join(malformed)}. Its consumers would build on it: "
            "export the resource's own attribute (see shared/export_values.py)"
        )
