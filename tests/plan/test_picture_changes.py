"""`invoke graph --base REF`: what a change does, marked on the pictures."""

from __future__ import annotations

import pytest

from orchestration.plan import pictures
from orchestration.plan.cli import PlanError, run_graph
from orchestration.plan.diff import Change, PlanDiff, StackDiff
from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.plan.picture_parts import mermaid_id
from shared import aws_types as t
from tests.topology_roles import LEAF, ROOT


def _stack(plan: EnvironmentPlan, project: str) -> StackPlan:
    return next(stack for stack in plan.stacks if stack.project == project)


def _change(type_: str, name: str, op: str = "update") -> Change:
    return Change(name=name, type=type_, op=op, properties=())


def _diff(plan: EnvironmentPlan, project: str, *changes: Change) -> PlanDiff:
    stacks = tuple(
        StackDiff(s.project, s.stack, changes if s.project == project else (), 0)
        for s in plan.stacks
    )
    return PlanDiff(plan.environment, "0" * 40, stacks)


def test_a_changed_resource_outlines_the_node_that_draws_it(
    production_plan: EnvironmentPlan,
) -> None:
    stack = _stack(production_plan, LEAF)
    template = next(r for r in stack.resources if r.type == t.LAUNCH_TEMPLATE)

    picture = pictures.detail(stack, changes=(_change(t.LAUNCH_TEMPLATE, template.name),))
    unchanged = pictures.detail(stack)

    marked = [line for line in picture.mermaid.splitlines() if line.endswith(" changed")]
    assert len(marked) == 1
    node = marked[0].split()[1]
    # The node drawn for the fleet the template belongs to, not a node of its own.
    assert any(line.strip().startswith(f"{node}[") for line in unchanged.mermaid.splitlines())
    assert "classDef changed" in picture.mermaid
    assert "changed" not in unchanged.mermaid


def test_a_deleted_resource_is_listed_in_a_red_box(production_plan: EnvironmentPlan) -> None:
    stack = _stack(production_plan, LEAF)

    picture = pictures.detail(stack, changes=(_change(t.SQS_QUEUE, "old-jobs", "delete"),))

    assert any(
        line.startswith("  deleted[") and "Queue old-jobs" in line and line.endswith(":::changed")
        for line in picture.mermaid.splitlines()
    )


def test_the_overview_outlines_only_the_stacks_a_change_touches(
    production_plan: EnvironmentPlan,
) -> None:
    diff = _diff(production_plan, ROOT, _change(t.KMS_KEY, "key"))

    overview = pictures.overview(production_plan, diff=diff)

    marked = [line for line in overview.mermaid.splitlines() if line.endswith(" changed")]
    assert marked == [f"  class {mermaid_id(ROOT)} changed"]


def test_a_diff_of_the_diagram_needs_the_mermaid_pictures() -> None:
    with pytest.raises(PlanError, match="--base marks the change on the Mermaid pictures"):
        run_graph("development", fmt="dot", base="HEAD")
