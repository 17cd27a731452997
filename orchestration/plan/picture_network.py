"""A stack's network as a picture: the VPC, its subnet tiers, what sits in which, and the
traffic path (internet -> load balancer -> web fleet -> VPC endpoints) with its ports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from orchestration.plan.environment import StackPlan
from orchestration.plan.picture_parts import (
    Graph,
    depends_on,
    internet_port,
    label,
    mermaid_id,
    port_label,
)
from program.policy import Resource
from shared import aws_types as t


def _tiers(stack: StackPlan) -> dict[str, list[Resource]]:
    """Subnets by tier: public (a route to an internet gateway) or private."""
    by_urn = {r.urn: r for r in stack.resources}
    gateways = {r.urn for r in stack.resources if r.type == t.INTERNET_GATEWAY}
    public_tables = {
        urn
        for r in stack.resources
        if r.type == t.ROUTE and set(depends_on(r)) & gateways
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
    needed = set(depends_on(resource))
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
        listeners = [r for r in by_type.get(t.LISTENER, []) if lb.urn in depends_on(r)]
        ports = ", ".join(f"{r.get('protocol')} :{int(r.get('port') or 0)}" for r in listeners)
        internal = "internal" if lb.get("internal") else "internet-facing"
        nodes.append(
            (
                mermaid_id(lb.urn),
                [lb, *listeners],
                label("Application Load Balancer", lb.name, f"{internal}, listens {ports}"),
            )
        )
    templates = {r.urn: r for r in by_type.get(t.LAUNCH_TEMPLATE, [])}
    roles = _roles(stack)
    for group in by_type.get(t.AUTOSCALING_GROUP, []):
        template = next((templates[u] for u in depends_on(group) if u in templates), None)
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
                mermaid_id(group.urn),
                [group, *([template] if template else []), *(role or [])],
                label("Auto Scaling group", group.name, *detail),
            )
        )
    for instance in by_type.get(t.INSTANCE, []):
        tokens = instance.get("metadataOptions", "httpTokens")
        role = roles.get(instance.urn) or []
        nodes.append(
            (
                mermaid_id(instance.urn),
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
        nodes.append((mermaid_id(endpoints[0].urn), endpoints, label(*lines)))
    return nodes


def _roles(stack: StackPlan) -> dict[str, list[Resource]]:
    """Server (launch template or instance) URN -> [instance profile, role] it runs as."""
    by_urn = {r.urn: r for r in stack.resources}
    found = {}
    for server in stack.resources:
        if server.type not in (t.LAUNCH_TEMPLATE, t.INSTANCE):
            continue
        for profile in (by_urn[u] for u in depends_on(server) if u in by_urn):
            if profile.type == t.IAM_INSTANCE_PROFILE:
                roles = [by_urn[u] for u in depends_on(profile) if u in by_urn]
                found[server.urn] = [profile, *(r for r in roles if r.type == t.IAM_ROLE)]
    return found


def _flow_log(stack: StackPlan, flow: Resource, graph: Graph) -> None:
    """A flow log with where it writes (log group, retention) and the role it writes as."""
    by_urn = {r.urn: r for r in stack.resources}
    used = [by_urn[u] for u in depends_on(flow) if u in by_urn]
    lines = [f"{flow.get('trafficType')} traffic"]
    for group in (r for r in used if r.type == t.LOG_GROUP):
        lines.append(f"into log group {group.get('name')}")
        lines.append(f"kept {int(group.get('retentionInDays') or 0)} days")
    roles = [r for r in used if r.type == t.IAM_ROLE]
    lines.extend(f"as role {role.name}" for role in roles)
    groups = [r for r in used if r.type == t.LOG_GROUP]
    graph.node(mermaid_id(flow.urn), label("flow log", *lines), [flow, *groups, *roles], 2)


def draw_network(stack: StackPlan, graph: Graph) -> None:
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
        title = label("VPC " + vpc.name, str(vpc.get("cidrBlock")))
        graph.lines.append(f"  subgraph {mermaid_id(vpc.urn)}[{title}]")
        graph.drawn[vpc.urn] = mermaid_id(vpc.urn)
        graph.containers.add(mermaid_id(vpc.urn))
        for gateway in (r for r in stack.resources if r.type == t.INTERNET_GATEWAY):
            graph.node(mermaid_id(gateway.urn), label("internet gateway"), [gateway], 2)
        for tier, subnets in tiers.items():
            route = "routed to the internet" if tier == "public" else "no internet route"
            text = label(f"{tier} subnets, {len(subnets)} zones: {route}")
            graph.lines.append(f"    subgraph {mermaid_id(vpc.urn)}_{tier}[{text}]")
            for subnet in subnets:
                graph.drawn[subnet.urn] = f"{mermaid_id(vpc.urn)}_{tier}"
            graph.containers.add(f"{mermaid_id(vpc.urn)}_{tier}")
            for node_id, resources, text in placed.get(tier, []):
                graph.node(node_id, text, resources, 3)
            graph.lines.append("    end")
        for node_id, resources, text in placed.get(None, []):
            graph.node(node_id, text, resources, 2)
        for flow in (r for r in stack.resources if r.type == t.FLOW_LOG):
            _flow_log(stack, flow, graph)
        graph.lines.append("  end")


def draw_traffic(stack: StackPlan, graph: Graph) -> None:
    """Internet -> entry (load balancer or instance) -> fleet -> endpoints, with ports."""
    port = internet_port(stack)
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
            for target in (targets[u] for u in depends_on(group) if u in targets):
                port = port_label(target.get("port"))
                graph.edge(graph.drawn[lb.urn], "==>", graph.drawn[group.urn], port)
    endpoints = [r for r in stack.resources if r.type == t.VPC_ENDPOINT]
    if endpoints:
        for server in [*groups, *(r for r in stack.resources if r.type == t.INSTANCE)]:
            graph.edge(graph.drawn[server.urn], "==>", graph.drawn[endpoints[0].urn], "HTTPS :443")
