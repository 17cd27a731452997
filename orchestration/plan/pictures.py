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

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.plan.report import ResourceCount, count_resources
from program.policy import Resource
from shared import aws_types as t
from shared.topology import TOPOLOGY, Topology

LEGEND = (
    "<b>Legend</b><br/>"
    "━━▶ network traffic, with its port<br/>"
    "───▶ uses (depends on)<br/>"
    "┄┄▶ reads another stack's outputs<br/>"
    "(protected): Pulumi refuses to delete it"
)
STYLES = (
    "  classDef legend fill:#fffbe6,stroke:#b8a040,color:#333,text-align:left",
    "  classDef outside fill:#eef3fb,stroke:#5b7bb5,color:#123",
    "  classDef upstream fill:#f4f4f4,stroke:#999,stroke-dasharray:4 3,color:#333",
)

# What a resource type is called in a picture, and the plural.
KINDS: Mapping[str, tuple[str, str]] = {
    t.KMS_KEY: ("KMS key", "KMS keys"),
    t.BUCKET: ("S3 bucket", "S3 buckets"),
    t.VPC: ("VPC", "VPCs"),
    t.LOAD_BALANCER: ("load balancer", "load balancers"),
    t.AUTOSCALING_GROUP: ("Auto Scaling group", "Auto Scaling groups"),
    t.INSTANCE: ("EC2 instance", "EC2 instances"),
    t.VPC_ENDPOINT: ("VPC endpoint", "VPC endpoints"),
    t.FLOW_LOG: ("flow log", "flow logs"),
}
_PORTS = {80: "HTTP", 443: "HTTPS"}


@dataclass(frozen=True)
class Picture:
    """One view: a name for the file or heading, a title, the Mermaid text (no fence)."""

    name: str
    title: str
    mermaid: str


def _id(text: str) -> str:
    """A short node id for a URN or a name (its last part, as a Mermaid identifier)."""
    tail = text.rsplit("::", 1)[-1]
    kind = text.rsplit("::", 2)[-2].rsplit(":", 1)[-1] if "::" in text else "ref"
    return re.sub(r"\W", "_", f"{kind}_{tail}")


def label(*lines: str) -> str:
    """A quoted Mermaid label: the first line bold, `"` as an entity."""
    escaped = [line.replace('"', "#quot;") for line in lines if line]
    return '"' + "<br/>".join([f"<b>{escaped[0]}</b>", *escaped[1:]]) + '"'


def _plural(count: int, kind: tuple[str, str]) -> str:
    return f"{count} {kind[0] if count == 1 else kind[1]}"


def _port(port: object) -> str:
    number = int(port) if isinstance(port, int | float) else 0
    return f"{_PORTS.get(number, 'TCP')} :{number}"


def _aws(stack: StackPlan) -> list[Resource]:
    return [r for r in stack.resources if r.type.startswith("aws:")]


def _summary(stack: StackPlan) -> list[str]:
    """What a stack creates, kind by kind, in a few words."""
    resources = _aws(stack)
    lines = []
    for kind_type, kind in KINDS.items():
        found = [r for r in resources if r.type == kind_type]
        if found:
            lock = " (protected)" if any(r.protect for r in found) else ""
            lines.append(_plural(len(found), kind) + lock)
    return lines


def _internet_port(stack: StackPlan) -> str | None:
    """The port the stack opens to the whole internet, if any."""
    for resource in stack.resources:
        if resource.type == t.SECURITY_GROUP_INGRESS_RULE and resource.get("cidrIpv4") in (
            "0.0.0.0/0",
        ):
            return _port(resource.get("fromPort"))
    return None


def _legend() -> list[str]:
    return [f'  legend["{LEGEND}"]:::legend']


def overview(plan: EnvironmentPlan, topology: Topology = TOPOLOGY) -> Picture:
    """One box per stack, the outputs they read from each other, where the internet comes in."""
    counted = count_resources(plan.stacks)
    lines = ["flowchart LR"]
    entry = None
    for stack in plan.stacks:
        count = count_resources([stack])
        text = label(stack.project, *_summary(stack), f"{count.aws} AWS resources")
        lines.append(f"  {_id(stack.project)}[{text}]")
        port = _internet_port(stack)
        if port and entry is None:
            entry = (stack.project, port)
    if entry:
        lines.append(f"  internet(({label('Internet')})):::outside")
        lines.append(f'  internet ==>|"{entry[1]}"| {_id(entry[0])}')
    planned = {stack.project for stack in plan.stacks}
    for stack in plan.stacks:
        for producer, outputs in sorted(topology.project(stack.project).requires.items()):
            if producer in planned:
                names = "<br/>".join(outputs)
                lines.append(f'  {_id(producer)} -.->|"{names}"| {_id(stack.project)}')
    lines.extend([*_legend(), *STYLES])
    title = f"{plan.environment}: the stacks ({counted.describe()})"
    return Picture("overview", title, "\n".join(lines))


@dataclass
class _Graph:
    """A detail picture under construction: nodes by id, containers, edges."""

    lines: list[str] = field(default_factory=list)
    edges: list[str] = field(default_factory=list)
    drawn: dict[str, str] = field(default_factory=dict)  # resource URN -> node id
    containers: set[str] = field(default_factory=set)  # ids of subgraphs (VPC, subnet tiers)

    def node(self, node_id: str, text: str, resources: Iterable[Resource], indent: int) -> None:
        self.lines.append(f"{'  ' * indent}{node_id}[{text}]")
        for resource in resources:
            self.drawn[resource.urn] = node_id

    def edge(self, source: str, arrow: str, target: str, text: str = "") -> None:
        middle = f'|"{text}"|' if text else ""
        line = f"  {source} {arrow}{middle} {target}"
        if line not in self.edges and source != target:
            self.edges.append(line)


def _depends(resource: Resource) -> list[str]:
    # Sorted: a set's order changes with every interpreter's string hashing, and so would the
    # order of the arrows the walk draws (and the committed pictures would look stale).
    return sorted({urn for urns in resource.dependencies.values() for urn in urns})


def _children(stack: StackPlan, parent: Resource) -> list[Resource]:
    return [r for r in stack.resources if r.parent == parent.urn]


def _tiers(stack: StackPlan) -> dict[str, list[Resource]]:
    """Subnets by tier: public (a route to an internet gateway) or private."""
    by_urn = {r.urn: r for r in stack.resources}
    gateways = {r.urn for r in stack.resources if r.type == t.INTERNET_GATEWAY}
    public_tables = {
        urn
        for r in stack.resources
        if r.type == t.ROUTE and set(_depends(r)) & gateways
        for urn in r.dependencies.get("routeTableId", ())
    }
    public_subnets = {
        urn
        for r in stack.resources
        if r.type == t.ROUTE_TABLE_ASSOCIATION
        and set(r.dependencies.get("routeTableId", ())) & public_tables
        for urn in r.dependencies.get("subnetId", ())
    }
    tiers: dict[str, list[Resource]] = {"public": [], "private": []}
    for resource in stack.resources:
        if resource.type == t.SUBNET:
            tiers["public" if resource.urn in public_subnets else "private"].append(resource)
    return {tier: found for tier, found in tiers.items() if found and by_urn}


def _tier_of(resource: Resource, tiers: Mapping[str, Sequence[Resource]]) -> str | None:
    needed = set(_depends(resource))
    for tier, subnets in tiers.items():
        if needed & {s.urn for s in subnets}:
            return tier
    return None


def _web_nodes(stack: StackPlan) -> list[tuple[str, list[Resource], str]]:
    """(node id, resources, label) of the web tier: load balancer, fleet, instances, endpoints."""
    nodes = []
    by_type: dict[str, list[Resource]] = {}
    for resource in stack.resources:
        by_type.setdefault(resource.type, []).append(resource)
    for lb in by_type.get(t.LOAD_BALANCER, []):
        listeners = [r for r in by_type.get(t.LISTENER, []) if lb.urn in _depends(r)]
        ports = ", ".join(f"{r.get('protocol')} :{int(r.get('port') or 0)}" for r in listeners)
        internal = "internal" if lb.get("internal") else "internet-facing"
        nodes.append(
            (
                _id(lb.urn),
                [lb, *listeners],
                label("Application Load Balancer", lb.name, f"{internal}, listens {ports}"),
            )
        )
    templates = {r.urn: r for r in by_type.get(t.LAUNCH_TEMPLATE, [])}
    roles = _roles(stack)
    for group in by_type.get(t.AUTOSCALING_GROUP, []):
        template = next((templates[u] for u in _depends(group) if u in templates), None)
        low, high = int(group.get("minSize") or 0), int(group.get("maxSize") or 0)
        size = f"{low} instances" if low == high else f"{low} to {high} instances"
        detail = [size]
        if template is not None:
            tokens = template.get("metadataOptions", "httpTokens")
            detail.append(f"{template.get('instanceType')}, IMDSv2 {tokens}")
        role = roles.get(template.urn) if template else None
        if role:
            detail.append(f"role {role[-1].name}")
        nodes.append(
            (
                _id(group.urn),
                [group, *([template] if template else []), *(role or [])],
                label("Auto Scaling group", group.name, *detail),
            )
        )
    for instance in by_type.get(t.INSTANCE, []):
        tokens = instance.get("metadataOptions", "httpTokens")
        role = roles.get(instance.urn) or []
        nodes.append(
            (
                _id(instance.urn),
                [instance, *role],
                label(
                    "EC2 instance",
                    instance.name,
                    f"{instance.get('instanceType')}, IMDSv2 {tokens}",
                    *([f"role {role[-1].name}"] if role else []),
                ),
            )
        )
    endpoints = by_type.get(t.VPC_ENDPOINT, [])
    if endpoints:
        interface = [e for e in endpoints if e.get("vpcEndpointType") == "Interface"]
        gateway = [e for e in endpoints if e.get("vpcEndpointType") != "Interface"]

        def services(found: list[Resource]) -> str:
            return ", ".join(str(e.get("serviceName") or "?").rsplit(".", 1)[-1] for e in found)

        lines = [f"{len(endpoints)} VPC endpoints"]
        if interface:
            lines.append(f"interface: {services(interface)}")
        if gateway:
            lines.append(f"gateway: {services(gateway)}")
        nodes.append((_id(endpoints[0].urn), endpoints, label(*lines)))
    return nodes


def _roles(stack: StackPlan) -> dict[str, list[Resource]]:
    """Server (launch template or instance) URN -> [instance profile, role] it runs as."""
    by_urn = {r.urn: r for r in stack.resources}
    found = {}
    for server in stack.resources:
        if server.type not in (t.LAUNCH_TEMPLATE, t.INSTANCE):
            continue
        for profile in (by_urn[u] for u in _depends(server) if u in by_urn):
            if profile.type == t.IAM_INSTANCE_PROFILE:
                roles = [by_urn[u] for u in _depends(profile) if u in by_urn]
                found[server.urn] = [profile, *(r for r in roles if r.type == t.IAM_ROLE)]
    return found


def _flow_log(stack: StackPlan, flow: Resource, graph: _Graph) -> None:
    """A flow log with where it writes (log group, retention) and the role it writes as."""
    by_urn = {r.urn: r for r in stack.resources}
    used = [by_urn[u] for u in _depends(flow) if u in by_urn]
    lines = [f"{flow.get('trafficType')} traffic"]
    for group in (r for r in used if r.type == t.LOG_GROUP):
        lines.append(f"into log group {group.get('name')}")
        lines.append(f"kept {int(group.get('retentionInDays') or 0)} days")
    roles = [r for r in used if r.type == t.IAM_ROLE]
    lines.extend(f"as role {role.name}" for role in roles)
    groups = [r for r in used if r.type == t.LOG_GROUP]
    graph.node(_id(flow.urn), label("flow log", *lines), [flow, *groups, *roles], 2)


def _network(stack: StackPlan, graph: _Graph) -> None:
    """The VPC as a box, its subnet tiers inside, the web tier placed in its tier."""
    tiers = _tiers(stack)
    web = _web_nodes(stack)
    placed: dict[str | None, list[tuple[str, list[Resource], str]]] = {}
    for node in web:
        tier = next((tier for r in node[1] if (tier := _tier_of(r, tiers))), None)
        if tier is None and any(r.type == t.VPC_ENDPOINT for r in node[1]):
            tier = "private" if "private" in tiers else None
        placed.setdefault(tier, []).append(node)
    for vpc in (r for r in stack.resources if r.type == t.VPC):
        graph.lines.append(
            f"  subgraph {_id(vpc.urn)}[{label('VPC ' + vpc.name, str(vpc.get('cidrBlock')))}]"
        )
        graph.drawn[vpc.urn] = _id(vpc.urn)
        graph.containers.add(_id(vpc.urn))
        for gateway in (r for r in stack.resources if r.type == t.INTERNET_GATEWAY):
            graph.node(_id(gateway.urn), label("internet gateway"), [gateway], 2)
        for tier, subnets in tiers.items():
            route = "routed to the internet" if tier == "public" else "no internet route"
            text = label(f"{tier} subnets, {len(subnets)} zones: {route}")
            graph.lines.append(f"    subgraph {_id(vpc.urn)}_{tier}[{text}]")
            for subnet in subnets:
                graph.drawn[subnet.urn] = f"{_id(vpc.urn)}_{tier}"
            graph.containers.add(f"{_id(vpc.urn)}_{tier}")
            for node_id, resources, text in placed.get(tier, []):
                graph.node(node_id, text, resources, 3)
            graph.lines.append("    end")
        for node_id, resources, text in placed.get(None, []):
            graph.node(node_id, text, resources, 2)
        for flow in (r for r in stack.resources if r.type == t.FLOW_LOG):
            _flow_log(stack, flow, graph)
        graph.lines.append("  end")


def _traffic(stack: StackPlan, graph: _Graph) -> None:
    """Internet -> entry (load balancer or instance) -> fleet -> endpoints, with ports."""
    port = _internet_port(stack)
    entries = [r for r in stack.resources if r.type == t.LOAD_BALANCER] or [
        r for r in stack.resources if r.type == t.INSTANCE
    ]
    gateway = next((r for r in stack.resources if r.type == t.INTERNET_GATEWAY), None)
    if port and entries:
        graph.lines.append(f"  internet(({label('Internet')})):::outside")
        start = "internet"
        if gateway is not None:
            graph.edge("internet", "==>", graph.drawn[gateway.urn], port)
            start = graph.drawn[gateway.urn]
        for entry in entries:
            graph.edge(start, "==>", graph.drawn[entry.urn], port)
    groups = [r for r in stack.resources if r.type == t.AUTOSCALING_GROUP]
    targets = {r.urn: r for r in stack.resources if r.type == t.TARGET_GROUP}
    for lb in (r for r in stack.resources if r.type == t.LOAD_BALANCER):
        for group in groups:
            for target in (targets[u] for u in _depends(group) if u in targets):
                graph.edge(
                    graph.drawn[lb.urn], "==>", graph.drawn[group.urn], _port(target.get("port"))
                )
    endpoints = [r for r in stack.resources if r.type == t.VPC_ENDPOINT]
    if endpoints:
        for server in [*groups, *(r for r in stack.resources if r.type == t.INSTANCE)]:
            graph.edge(graph.drawn[server.urn], "==>", graph.drawn[endpoints[0].urn], "HTTPS :443")


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


def _others(stack: StackPlan, graph: _Graph) -> None:
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
            and resource.urn in _depends(child)
        ]
        settings = [text for side in sides if (text := _setting(side))]
        if resource.type == t.KMS_KEY and resource.get("enableKeyRotation"):
            settings.insert(0, "rotation on")
        detail = settings
        name = resource.get("name") if resource.type == t.LOG_GROUP else resource.name
        text = label(kinds[resource.type] + lock, str(name), *detail)
        graph.node(_id(resource.urn), text, [resource, *sides], 1)


def _uses(stack: StackPlan, graph: _Graph, topology: Topology) -> None:
    """Thin arrows between drawn nodes (looking through undrawn resources), dotted arrows from
    the stacks this one reads."""
    depends = {r.urn: _depends(r) for r in stack.resources}
    by_urn = {r.urn: r for r in stack.resources}
    references = {
        r.urn: r.name.split("/")[1] for r in stack.resources if r.type == t.STACK_REFERENCE
    }
    for urn, node_id in list(graph.drawn.items()):
        pending, seen = list(depends.get(urn, ())), {urn}
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in references:
                graph.edge(_id("from " + references[current]), "-.->", node_id)
            elif current in graph.drawn and by_urn[urn].type == t.BUCKET_LOGGING:
                graph.edge(node_id, "-->", graph.drawn[current], "access logs")
            elif current in graph.drawn:
                # Being inside the VPC or a subnet tier is drawn as being in its box.
                if graph.drawn[current] not in graph.containers:
                    graph.edge(node_id, "-->", graph.drawn[current])
            else:
                pending.extend(depends.get(current, ()))
    read = topology.project(stack.project).requires
    for producer, outputs in sorted(read.items()):
        source = _id("from " + producer)
        if any(line.startswith(f"  {source} ") for line in graph.edges):
            graph.lines.append(f"  {source}[{label('from ' + producer, *outputs)}]:::upstream")


def detail(stack: StackPlan, topology: Topology = TOPOLOGY) -> Picture:
    """One stack: its network, its traffic path, its key resources, what it reads."""
    graph = _Graph(lines=["flowchart TB"])
    _network(stack, graph)
    _others(stack, graph)
    _traffic(stack, graph)
    _uses(stack, graph, topology)
    # Traffic arrows first: they are what the eye should follow.
    traffic = [e for e in graph.edges if "==>" in e]
    rest = [e for e in graph.edges if "==>" not in e]
    count = count_resources([stack])
    mermaid = "\n".join([*graph.lines, *traffic, *rest, *_legend(), *STYLES])
    return Picture(stack.project, f"{stack.stack} ({count.describe()})", mermaid)


def pictures(plan: EnvironmentPlan, topology: Topology = TOPOLOGY) -> list[Picture]:
    """The overview, then one detail per stack in deploy order."""
    return [overview(plan, topology), *(detail(stack, topology) for stack in plan.stacks)]


def document(plan: EnvironmentPlan, topology: Topology = TOPOLOGY, level: int = 3) -> str:
    """Every picture as Markdown: a heading and a ```mermaid block each."""
    parts = []
    for picture in pictures(plan, topology):
        parts.extend(
            [f"{'#' * level} {picture.title}", "", "```mermaid", picture.mermaid, "```", ""]
        )
    return "\n".join(parts)


__all__ = ["Picture", "ResourceCount", "detail", "document", "overview", "pictures"]
