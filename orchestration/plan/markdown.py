"""The plan where reviewers read it: Markdown for a pull request or a job summary, annotations.

`invoke plan --format markdown` writes, for one environment: the verdict, every rule finding
(mandatory first), the environment's diagram as a Mermaid block (GitHub renders it), then per
stack the cross-stack references it reads and the outputs it exports, its own findings, and
the resources it would create with the properties that matter. `github_annotations()` turns the
findings into GitHub Actions workflow commands, so they show on the pull request's files view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orchestration.plan import diagram
from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.plan.report import key_properties, short
from program.policy import Enforcement, Violation
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
        return (
            f"❌ **{blocking} mandatory finding(s) block this plan**"
            f"{f', and {advisory} advisory' if advisory else ''}."
        )
    return f"⚠️ **{advisory} advisory finding(s)**; nothing blocks the plan."


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


def _resources(stack: StackPlan) -> list[str]:
    lines = [
        "<details>",
        f"<summary>{len(stack.resources)} resources to create</summary>",
        "",
        "| Resource | Type | Properties that matter |",
        "|---|---|---|",
    ]
    for resource in stack.resources:
        protected = " 🔒 protected" if resource.protect else ""
        properties = "<br>".join(
            f"{path.rsplit('.', 1)[-1]}: {_cell(value)}" for path, value in key_properties(resource)
        )
        lines.append(f"| `{resource.name}`{protected} | `{resource.type}` | {properties} |")
    lines.extend(["", "</details>"])
    return lines


def markdown(plan: EnvironmentPlan, topology: Topology = TOPOLOGY) -> str:
    """The whole plan of one environment as GitHub-flavoured Markdown."""
    count = sum(len(stack.resources) for stack in plan.stacks)
    lines = [
        f"## Plan of `{plan.environment}`",
        "",
        f"Offline plan (Pulumi's mock runtime: no cloud, no state): {len(plan.stacks)} stacks "
        f"in deploy order, {count} resources, as a first deploy would create them.",
        "",
        _verdict(plan),
    ]
    if plan.violations:
        lines.extend(["", *_findings_table(plan.violations)])
    lines.extend(
        ["", "### Diagram", "", "```mermaid", diagram.mermaid(diagram.build(plan, topology))]
    )
    lines.append("```")
    for stack in plan.stacks:
        lines.extend(["", f"### `{stack.stack}`", "", *_references(stack, topology), ""])
        if stack.violations:
            lines.extend(_findings_table(stack.violations))
        else:
            lines.append("No rule findings.")
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
