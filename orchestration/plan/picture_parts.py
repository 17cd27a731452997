"""The pieces every picture is drawn with: labels, ids, the legend, and the graph being drawn.

Thick arrows are network traffic (with its port), thin arrows mean "uses", dotted arrows bring
another stack's outputs; every picture carries the legend that says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from orchestration.plan.environment import StackPlan
from program.policy import Resource
from shared import aws_types as t

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


def mermaid_id(text: str) -> str:
    """A short node id for a URN or a name (its last part, as a Mermaid identifier)."""
    tail = text.rsplit("::", 1)[-1]
    kind = text.rsplit("::", 2)[-2].rsplit(":", 1)[-1] if "::" in text else "ref"
    return re.sub(r"\W", "_", f"{kind}_{tail}")


def label(*lines: str) -> str:
    """A quoted Mermaid label: the first line bold, `"` as an entity."""
    escaped = [line.replace('"', "#quot;") for line in lines if line]
    return '"' + "<br/>".join([f"<b>{escaped[0]}</b>", *escaped[1:]]) + '"'


def plural(count: int, kind: tuple[str, str]) -> str:
    return f"{count} {kind[0] if count == 1 else kind[1]}"


def port_label(port: object) -> str:
    number = int(port) if isinstance(port, int | float) else 0
    return f"{_PORTS.get(number, 'TCP')} :{number}"


def aws_resources(stack: StackPlan) -> list[Resource]:
    return [r for r in stack.resources if r.type.startswith("aws:")]


@dataclass
class Graph:
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


def depends_on(resource: Resource) -> list[str]:
    # Sorted: a set's order changes with every interpreter's string hashing, and so would the
    # order of the arrows the walk draws (and the committed pictures would look stale).
    return sorted({urn for urns in resource.dependencies.values() for urn in urns})


def children(stack: StackPlan, parent: Resource) -> list[Resource]:
    return [r for r in stack.resources if r.parent == parent.urn]


def legend_lines() -> list[str]:
    return [f'  legend["{LEGEND}"]:::legend']


def internet_port(stack: StackPlan) -> str | None:
    """The port the stack opens to the whole internet, if any."""
    for resource in stack.resources:
        if resource.type == t.SECURITY_GROUP_INGRESS_RULE and resource.get("cidrIpv4") in (
            "0.0.0.0/0",
        ):
            return port_label(resource.get("fromPort"))
    return None


def reached(
    start: str, depends: Mapping[str, Sequence[str]], stop: Callable[[str], bool]
) -> Iterator[str]:
    """The resources `start` depends on that `stop` accepts, looking through the others (an
    instance uses its role through the instance profile); each once, in a fixed order."""
    pending, seen = list(depends.get(start, ())), {start}
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if stop(current):
            yield current
        else:
            pending.extend(depends.get(current, ()))
