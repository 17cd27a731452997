"""What a change does, marked on the pictures: `invoke graph --base REF`.

Each node that draws a resource the diff creates, updates or replaces (or, for a resource not
drawn itself, the nearest drawn component it belongs to) gets a red outline; what the change
deletes is listed in a red box of its own, since the head's plan no longer holds it. An extra
legend box says so, only on pictures of a diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from orchestration.plan.diff import Change, PlanDiff
from orchestration.plan.environment import StackPlan
from orchestration.plan.picture_parts import label

CHANGED_STYLE = "  classDef changed stroke:#d1242f,stroke-width:3px,color:#111"
CHANGED_LEGEND = (
    '  changes["<b>This change</b><br/>red outline: created, updated or replaced<br/>'
    'red box: deleted"]:::legend'
)


def stack_changes(diff: PlanDiff | None, project: str) -> tuple[Change, ...]:
    """The changes the diff makes to `project`'s stack (none without a diff)."""
    if diff is None:
        return ()
    return next((stack.changes for stack in diff.stacks if stack.project == project), ())


def changed_projects(diff: PlanDiff | None) -> set[str]:
    """The projects whose stacks the diff changes."""
    return {stack.project for stack in diff.stacks if stack.changes} if diff else set()


def marks(stack: StackPlan, drawn: Mapping[str, str], changes: Sequence[Change]) -> list[str]:
    """The Mermaid lines that mark `changes` on a picture of `stack` (nodes by resource URN)."""
    if not changes:
        return []
    ops = {(change.type, change.name): change.op for change in changes}
    by_urn = {resource.urn: resource for resource in stack.resources}
    nodes: set[str] = set()
    for resource in stack.resources:
        if (resource.type, resource.name) not in ops:
            continue
        urn: str | None = resource.urn
        while urn is not None and urn not in drawn:
            parent = by_urn.get(urn)
            urn = parent.parent if parent is not None else None
        if urn is not None:
            nodes.add(drawn[urn])
    lines = [f"  class {node} changed" for node in sorted(nodes)]
    deleted = sorted(
        f"{change.type.rsplit(':', 1)[-1]} {change.name}"
        for change in changes
        if change.op == "delete"
    )
    if deleted:
        lines.append(f"  deleted[{label('deleted', *deleted)}]:::changed")
    return [*lines, CHANGED_LEGEND, CHANGED_STYLE]


def stack_marks(
    projects: Iterable[str], changed: set[str], node_of: Mapping[str, str]
) -> list[str]:
    """The overview's marks: each changed stack's box outlined."""
    lines = [f"  class {node_of[p]} changed" for p in projects if p in changed]
    return [*lines, CHANGED_LEGEND, CHANGED_STYLE] if lines else []
