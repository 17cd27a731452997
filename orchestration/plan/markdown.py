"""The plan where reviewers read it: Markdown for a pull request or a job summary, annotations.

`invoke plan --format markdown` writes, for one environment: the verdict, every rule finding
once (mandatory first), the environment's pictures as Mermaid blocks (GitHub renders them:
an overview, then one per stack), then per stack the cross-stack references it reads and the
outputs it exports, and the resources it would create as their component tree, with the
types in the Pulumi CLI's short form and the properties that matter (made-up ids left out).
`github_annotations()` turns the findings into GitHub Actions workflow commands, so they show
on the pull request's files view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orchestration.plan import pictures
from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.plan.report import (
    count_resources,
    counted,
    is_placeholder,
    key_properties,
    short,
    short_type,
)
from program.policy import Enforcement, Resource, Violation
from shared.topology import TOPOLOGY, Topology

MANDATORY_MARK = "❌ mandatory"
ADVISORY_MARK = "⚠️ advisory"


def _cell(value: Any) -> str:
    """A table cell: pipes escaped, code quoted, one line."""
    text = short(value).replace("`", "'").replace("|", "\\|").replace("\n", " ")
    return f"`{text}`"


def _resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _ordered(violations: Iterable[Violation]) -> list[Violation]:
    """Mandatory findings first, each group in the plan's order."""
    found = list(violations)
    return [v for v in found if v.enforcement is Enforcement.MANDATORY] + [
        v for v in found if v.enforcement is not Enforcement.MANDATORY
    ]


def _finding(violation: Violation) -> str:
    return violation.message.removeprefix(f"[{violation.rule}] ").replace("|", "\\|")


def _findings_table(violations: Iterable[Violation]) -> list[str]:
    rows = [
        f"| {MANDATORY_MARK if v.enforcement is Enforcement.MANDATORY else ADVISORY_MARK} "
        f"| `{v.rule}` | `{_resource_name(v.resource)}` | {_finding(v)} |"
        for v in _ordered(violations)
    ]
    return ["| Level | Rule | Resource | Finding |", "|---|---|---|---|", *rows]


def _verdict(plan: EnvironmentPlan) -> str:
    blocking = len(plan.blocking)
    advisory = len(plan.violations) - blocking
    if not plan.violations:
        return "✅ **Every security rule passes.**"
    if blocking:
        verb = "blocks" if blocking == 1 else "block"
        also = f", and {counted(advisory, 'advisory finding')}" if advisory else ""
        return f"❌ **{counted(blocking, 'mandatory finding')} {verb} this plan**{also}."
    return f"⚠️ **{counted(advisory, 'advisory finding')}**; nothing blocks the plan."


def _references(stack: StackPlan, topology: Topology) -> list[str]:
    spec = topology.project(stack.project)
    lines = []
    if spec.requires:
        reads = "; ".join(
            f"from `{producer}`: {', '.join(f'`{output}`' for output in outputs)}"
            for producer, outputs in sorted(spec.requires.items())
        )
        lines.append(f"- **Reads** (StackReference) {reads}")
    else:
        lines.append("- **Reads** nothing from other stacks")
    consumers = topology.consumers(stack.project)
    exports = ", ".join(f"`{key}`" for key in stack.outputs) or "nothing"
    read_by = f", read by {', '.join(f'`{c}`' for c in consumers)}" if consumers else ""
    lines.append(f"- **Exports** {exports}{read_by}")
    return lines


def _depth(resource: Resource, by_urn: dict[str, Resource]) -> int:
    depth, parent = 0, by_urn.get(resource.parent or "")
    while parent is not None:
        depth, parent = depth + 1, by_urn.get(parent.parent or "")
    return depth


def _tree_name(resource: Resource, by_urn: dict[str, Resource]) -> str:
    """The resource's name under its component: only what it adds to the component's name."""
    parent = by_urn.get(resource.parent or "")
    indent = "&nbsp;&nbsp;" * _depth(resource, by_urn)
    if parent is None:
        return f"`{resource.name}`"
    if resource.name == parent.name:
        return f"{indent}└ ″"
    if resource.name.startswith(parent.name):
        return f"{indent}└ `…{resource.name.removeprefix(parent.name)}`"
    return f"{indent}└ `{resource.name}`"


def _resources(stack: StackPlan) -> list[str]:
    by_urn = {resource.urn: resource for resource in stack.resources}
    lines = [
        "<details>",
        f"<summary>{count_resources([stack]).describe()}</summary>",
        "",
        "″ = the component's name; …-x = the component's name with -x.",
        "",
        "| Resource | Type | Properties that matter |",
        "|---|---|---|",
    ]
    for resource in stack.resources:
        protected = " 🔒 protected" if resource.protect else ""
        properties = "<br>".join(
            f"{path.rsplit('.', 1)[-1]}: {_cell(value)}"
            for path, value in key_properties(resource)
            if not is_placeholder(value)
        )
        name = _tree_name(resource, by_urn)
        lines.append(f"| {name}{protected} | `{short_type(resource.type)}` | {properties} |")
    lines.extend(["", "</details>"])
    return lines


def markdown(plan: EnvironmentPlan, topology: Topology = TOPOLOGY) -> str:
    """The whole plan of one environment as GitHub-flavoured Markdown."""
    lines = [
        f"## Plan of `{plan.environment}`",
        "",
        f"Offline plan (Pulumi's mock runtime: no cloud, no state): {len(plan.stacks)} stacks "
        f"in deploy order, {count_resources(plan.stacks).describe()}, as a first deploy would "
        "create them.",
        "",
        _verdict(plan),
    ]
    if plan.violations:
        lines.extend(["", *_findings_table(plan.violations)])
    lines.extend(["", "### Pictures", "", pictures.document(plan, topology, level=4).rstrip()])
    for stack in plan.stacks:
        lines.extend(["", f"### `{stack.stack}`", "", *_references(stack, topology), ""])
        blocking = sum(1 for v in stack.violations if v.enforcement is Enforcement.MANDATORY)
        advisory = len(stack.violations) - blocking
        parts = [counted(blocking, "mandatory finding"), counted(advisory, "advisory finding")]
        found = " and ".join(part for part in parts if not part.startswith("0 "))
        lines.append(
            f"Rule findings: {found} (in the table above)." if found else "No rule findings."
        )
        lines.extend(["", *_resources(stack)])
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(plan: EnvironmentPlan) -> list[str]:
    """One GitHub Actions workflow command per finding: mandatory ones as errors."""
    commands = []
    for stack in plan.stacks:
        for violation in _ordered(stack.violations):
            level = "error" if violation.enforcement is Enforcement.MANDATORY else "warning"
            title = _escape_property(f"{violation.rule} in {stack.stack}")
            commands.append(f"::{level} title={title}::{_escape_data(violation.message)}")
    return commands
