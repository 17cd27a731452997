"""Pictures of an environment's design, sized to read on a GitHub page (1,012 px wide).

One Mermaid flowchart per view, drawn from the offline plan:

- the overview: one box per stack (what it creates, how many AWS resources), the outputs each
  stack reads from another, and where the internet comes in;
- one detail per stack: the network design (the VPC, its public and private subnets, what sits
  in which), the traffic path (internet -> load balancer -> web fleet -> VPC endpoints), flow
  logs, roles, and what the stack takes from the stacks before it.

Every picture carries the same legend: thick arrows are network traffic (with its port), thin
arrows mean "uses", dotted arrows bring another stack's outputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from orchestration.plan.diff import Change, PlanDiff
from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.plan.picture_changes import changed_projects, marks, stack_changes, stack_marks
from orchestration.plan.picture_network import draw_network, draw_traffic
from orchestration.plan.picture_parts import (
    KINDS,
    STYLES,
    Graph,
    Picture,
    aws_resources,
    depends_on,
    internet_port,
    label,
    legend_lines,
    mermaid_id,
    plural,
    reached,
)
from orchestration.plan.report import ResourceCount, count_resources
from program.policy import Resource
from shared import aws_types as t
from shared.topology import TOPOLOGY, Topology


def _summary(stack: StackPlan) -> list[str]:
    """What a stack creates, kind by kind, in a few words."""
    resources = aws_resources(stack)
    lines = []
    for kind_type, kind in KINDS.items():
        found = [r for r in resources if r.type == kind_type]
        if found:
            lock = " (protected)" if any(r.protect for r in found) else ""
            lines.append(plural(len(found), kind) + lock)
    return lines


def overview(
    plan: EnvironmentPlan, topology: Topology = TOPOLOGY, diff: PlanDiff | None = None
) -> Picture:
    """One box per stack, the outputs they read from each other, where the internet comes in;
    with a `diff`, the stacks it changes outlined."""
    counted = count_resources(plan.stacks)
    lines = ["flowchart LR"]
    entry = None
    for stack in plan.stacks:
        count = count_resources([stack])
        text = label(stack.project, *_summary(stack), f"{count.aws} AWS resources")
        lines.append(f"  {mermaid_id(stack.project)}[{text}]")
        port = internet_port(stack)
        if port and entry is None:
            entry = (stack.project, port)
    if entry:
        lines.append(f"  internet(({label('Internet')})):::outside")
        lines.append(f'  internet ==>|"{entry[1]}"| {mermaid_id(entry[0])}')
    planned = {stack.project for stack in plan.stacks}
    for stack in plan.stacks:
        for producer, outputs in sorted(topology.project(stack.project).requires.items()):
            if producer in planned:
                names = "<br/>".join(outputs)
                source, target = mermaid_id(producer), mermaid_id(stack.project)
                lines.append(f'  {source} -.->|"{names}"| {target}')
    projects = [stack.project for stack in plan.stacks]
    node_of = {project: mermaid_id(project) for project in projects}
    lines.extend([*legend_lines(), *STYLES])
    lines.extend(stack_marks(projects, changed_projects(diff), node_of))
    title = f"{plan.environment}: the stacks ({counted.describe()})"
    return Picture("overview", title, "\n".join(lines))


_PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
_SSE = ("rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm")
# What a bucket's or a key's side resource sets, in a few words.
_SETTINGS: Mapping[str, Callable[[Resource], str]] = {
    t.BUCKET_ENCRYPTION: lambda r: (
        "SSE-KMS" if r.get(*_SSE) == "aws:kms" else f"SSE-S3 ({r.get(*_SSE)})"
    ),
    t.BUCKET_VERSIONING: lambda r: f"versioning {r.get('versioningConfiguration', 'status')}",
    t.BUCKET_PUBLIC_ACCESS_BLOCK: lambda r: (
        "public access blocked"
        if all(r.get(flag) for flag in _PUBLIC_ACCESS_FLAGS)
        else "public access partly open"
    ),
    t.BUCKET_OWNERSHIP: lambda r: str(r.get("rule", "objectOwnership")),
    t.BUCKET_POLICY: lambda r: "bucket policy",
    t.BUCKET_LIFECYCLE: lambda r: "lifecycle rules",
    t.BUCKET_LOGGING: lambda r: "access logging",
    t.KMS_ALIAS: lambda r: str(r.get("name")),
}


def _setting(resource: Resource) -> str | None:
    describe = _SETTINGS.get(resource.type)
    return describe(resource) if describe else None


def _others(stack: StackPlan, graph: Graph) -> None:
    """The stack's remaining key resources (keys, buckets, roles, log groups), one node each;
    a bucket's or a key's side resources are lines of its node."""
    kinds = {
        t.KMS_KEY: "KMS key",
        t.BUCKET: "S3 bucket",
        t.IAM_ROLE: "IAM role",
        t.LOG_GROUP: "log group",
    }
    for resource in stack.resources:
        if resource.type not in kinds or resource.urn in graph.drawn:
            continue
        lock = " (protected)" if resource.protect else ""
        sides = [
            child
            for child in stack.resources
            if child.parent == resource.parent
            and child.type.startswith("aws:")
            and child.type not in kinds
            and resource.urn in depends_on(child)
        ]
        settings = [text for side in sides if (text := _setting(side))]
        if resource.type == t.KMS_KEY and resource.get("enableKeyRotation"):
            settings.insert(0, "rotation on")
        detail = settings
        name = resource.get("name") if resource.type == t.LOG_GROUP else resource.name
        text = label(kinds[resource.type] + lock, str(name), *detail)
        graph.node(mermaid_id(resource.urn), text, [resource, *sides], 1)


def _uses(stack: StackPlan, graph: Graph, topology: Topology) -> None:
    """Thin arrows between drawn nodes (looking through undrawn resources), dotted arrows from
    the stacks this one reads."""
    depends = {r.urn: depends_on(r) for r in stack.resources}
    by_urn = {r.urn: r for r in stack.resources}
    references = {
        r.urn: r.name.split("/")[1] for r in stack.resources if r.type == t.STACK_REFERENCE
    }
    for urn, node_id in list(graph.drawn.items()):
        for current in reached(urn, depends, lambda u: u in references or u in graph.drawn):
            if current in references:
                graph.edge(mermaid_id("from " + references[current]), "-.->", node_id)
            elif by_urn[urn].type == t.BUCKET_LOGGING:
                graph.edge(node_id, "-->", graph.drawn[current], "access logs")
            elif graph.drawn[current] not in graph.containers:
                # Being inside the VPC or a subnet tier is drawn as being in its box.
                graph.edge(node_id, "-->", graph.drawn[current])
    read = topology.project(stack.project).requires
    for producer, outputs in sorted(read.items()):
        source = mermaid_id("from " + producer)
        if any(line.startswith(f"  {source} ") for line in graph.edges):
            graph.lines.append(f"  {source}[{label('from ' + producer, *outputs)}]:::upstream")


def detail(
    stack: StackPlan, topology: Topology = TOPOLOGY, changes: Sequence[Change] = ()
) -> Picture:
    """One stack: its network, its traffic path, its key resources, what it reads; with
    `changes` (a diff's, for this stack), what they touch marked."""
    graph = Graph(lines=["flowchart TB"])
    draw_network(stack, graph)
    _others(stack, graph)
    draw_traffic(stack, graph)
    _uses(stack, graph, topology)
    # Traffic arrows first: they are what the eye should follow.
    traffic = [e for e in graph.edges if "==>" in e]
    rest = [e for e in graph.edges if "==>" not in e]
    count = count_resources([stack])
    lines = [*graph.lines, *traffic, *rest, *legend_lines(), *STYLES]
    mermaid = "\n".join([*lines, *marks(stack, graph.drawn, changes)])
    return Picture(stack.project, f"{stack.stack} ({count.describe()})", mermaid)


def pictures(
    plan: EnvironmentPlan, topology: Topology = TOPOLOGY, diff: PlanDiff | None = None
) -> list[Picture]:
    """The overview, then one detail per stack in deploy order (what `diff` changes marked)."""
    return [
        overview(plan, topology, diff),
        *(detail(stack, topology, stack_changes(diff, stack.project)) for stack in plan.stacks),
    ]


def document(
    plan: EnvironmentPlan,
    topology: Topology = TOPOLOGY,
    level: int = 3,
    diff: PlanDiff | None = None,
) -> str:
    """Every picture as Markdown: a heading and a ```mermaid block each."""
    parts = []
    for picture in pictures(plan, topology, diff):
        parts.extend(
            [f"{'#' * level} {picture.title}", "", "```mermaid", picture.mermaid, "```", ""]
        )
    return "\n".join(parts)


__all__ = ["Picture", "ResourceCount", "detail", "document", "overview", "pictures"]
