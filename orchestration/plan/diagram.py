"""The diagram of an environment's plan: stacks, their key resources, the StackReference edges.

`invoke graph` draws Mermaid pictures sized for GitHub (orchestration/plan/pictures.py:
an overview, one per stack); this module is the one-diagram view of every stack, kept for
Graphviz DOT (`--format dot`), which lays out large graphs itself. Each stack is a box in
deploy order with its key resources (keys, buckets, network, servers, load balancer, roles)
and a count of its other AWS resources; an arrow from a producer's box to a consumer's box
names the outputs the consumer reads through its StackReference (the topology contract);
arrows inside a box show which key resource uses which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orchestration.plan.diff import PlanDiff
from orchestration.plan.environment import EnvironmentPlan
from orchestration.plan.picture_parts import reached
from orchestration.plan.report import count_resources
from program.policy import Resource
from shared import aws_types as t
from shared.topology import TOPOLOGY, Topology

# The resources worth a box in the diagram, and what to call them.
KEY_TYPES: Mapping[str, str] = {
    t.KMS_KEY: "KMS key",
    t.BUCKET: "S3 bucket",
    t.VPC: "VPC",
    t.SECURITY_GROUP: "security group",
    t.LOAD_BALANCER: "load balancer",
    t.LAUNCH_TEMPLATE: "launch template",
    t.AUTOSCALING_GROUP: "Auto Scaling group",
    t.INSTANCE: "EC2 instance",
    t.IAM_ROLE: "IAM role",
}
FORMATS = ("mermaid", "dot")


@dataclass(frozen=True)
class Node:
    """One key resource."""

    id: str
    kind: str
    name: str
    protected: bool


@dataclass(frozen=True)
class StackBox:
    """One stack: its key resources and how many others it creates."""

    id: str
    project: str
    stack: str
    nodes: tuple[Node, ...]
    others: int


@dataclass(frozen=True)
class Diagram:
    """Boxes in deploy order, StackReference edges between them, uses within them."""

    environment: str
    stacks: tuple[StackBox, ...]
    # (producer box id, consumer box id, outputs read)
    references: tuple[tuple[str, str, tuple[str, ...]], ...]
    # (user node id, used node id), within one stack
    uses: tuple[tuple[str, str], ...]


def _identifier(text: str) -> str:
    return re.sub(r"\W", "_", text)


def build(plan: EnvironmentPlan, topology: Topology = TOPOLOGY) -> Diagram:
    """The diagram of `plan` (stacks as the plan holds them, references from the contract)."""
    boxes = []
    uses = []
    for stack in plan.stacks:
        box_id = f"stack_{_identifier(stack.project)}"
        key = [resource for resource in stack.resources if resource.type in KEY_TYPES]
        ids = {resource.urn: f"{box_id}_{index}" for index, resource in enumerate(key)}
        nodes = tuple(Node(ids[r.urn], KEY_TYPES[r.type], r.name, r.protect) for r in key)
        uses.extend(_uses(stack.resources, ids))
        boxes.append(
            StackBox(
                box_id, stack.project, stack.stack, nodes, count_resources([stack]).aws - len(key)
            )
        )
    planned = {box.project: box.id for box in boxes}
    references = tuple(
        (planned[producer], planned[box.project], tuple(outputs))
        for box in boxes
        for producer, outputs in sorted(topology.project(box.project).requires.items())
        if producer in planned
    )
    return Diagram(plan.environment, tuple(boxes), references, tuple(uses))


def _uses(resources: Sequence[Resource], ids: Mapping[str, str]) -> list[tuple[str, str]]:
    """Key resource -> the key resources it depends on, looking through supporting ones
    (an instance uses its role through the instance profile), minus edges a longer path
    already shows."""
    depends = {
        resource.urn: sorted({urn for urns in resource.dependencies.values() for urn in urns})
        for resource in resources
    }
    reach = {urn: set(reached(urn, depends, lambda u: u in ids)) for urn in ids}
    edges = []
    for urn, used in reach.items():
        for target in sorted(used):
            via_other = any(target in reach[middle] for middle in used if middle != target)
            if not via_other:
                edges.append((ids[urn], ids[target]))
    return edges


def _node_text(node: Node) -> list[str]:
    return [node.kind, node.name, *(["protected"] if node.protected else [])]


def _mermaid_text(lines: list[str]) -> str:
    # Inside a quoted Mermaid label only `"` needs escaping (as an entity code).
    return "<br/>".join(line.replace('"', "#quot;") for line in lines)


def mermaid(diagram: Diagram) -> str:
    """The diagram as a Mermaid flowchart (without the ``` fence)."""
    lines = ["flowchart LR"]
    for box in diagram.stacks:
        title = _mermaid_text([f"{box.project}: {box.stack}"])
        lines.append(f'  subgraph {box.id}["{title}"]')
        lines.append("    direction TB")
        lines.extend(f'    {node.id}["{_mermaid_text(_node_text(node))}"]' for node in box.nodes)
        if box.others:
            lines.append(f'    {box.id}_others(["+{box.others} more AWS resources"])')
        lines.append("  end")
    lines.extend(f"  {user} --> {used}" for user, used in diagram.uses)
    for producer, consumer, outputs in diagram.references:
        lines.append(f'  {producer} ==>|"{_mermaid_text([", ".join(outputs)])}"| {consumer}')
    return "\n".join(lines)


def _dot_text(lines: list[str]) -> str:
    return "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)


def dot(diagram: Diagram) -> str:
    """The diagram as Graphviz DOT (clusters for the stacks)."""
    lines = [
        f'digraph "{_dot_text([diagram.environment])}" {{',
        "  rankdir=LR;",
        "  compound=true;",
        '  node [shape=box, fontname="Helvetica"];',
    ]
    for box in diagram.stacks:
        lines.append(f"  subgraph cluster_{box.id} {{")
        lines.append(f'    label="{_dot_text([f"{box.project}: {box.stack}"])}";')
        # An invisible anchor: edges between clusters must start and end at a node.
        lines.append(f"    {box.id}_anchor [shape=point, style=invis];")
        lines.extend(
            f'    {node.id} [label="{_dot_text(_node_text(node))}"];' for node in box.nodes
        )
        if box.others:
            lines.append(
                f'    {box.id}_others [label="+{box.others} more AWS resources", style=dashed];'
            )
        lines.append("  }")
    lines.extend(f"  {user} -> {used};" for user, used in diagram.uses)
    for producer, consumer, outputs in diagram.references:
        lines.append(
            f"  {producer}_anchor -> {consumer}_anchor [ltail=cluster_{producer}, "
            f'lhead=cluster_{consumer}, label="{_dot_text([", ".join(outputs)])}", penwidth=2];'
        )
    lines.append("}")
    return "\n".join(lines)


def render(
    plan: EnvironmentPlan, fmt: str, view: str | None = None, diff: PlanDiff | None = None
) -> str:
    """The pictures in `fmt` (one of FORMATS): Mermaid, every view as Markdown (or only
    `view`, bare), with what `diff` changes marked; DOT, the one diagram of every stack."""
    if fmt == "dot":
        return dot(build(plan))
    # Imported here: the pictures import this module's types' users.
    from orchestration.plan import pictures  # noqa: PLC0415

    if view is None:
        return pictures.document(plan, diff=diff)
    views = {picture.name: picture for picture in pictures.pictures(plan, diff=diff)}
    if view not in views:
        raise ValueError(f"unknown view {view!r}: use one of {', '.join(views)}")
    return views[view].mermaid
