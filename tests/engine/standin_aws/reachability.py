"""TEST-ONLY stand-in AWS provider: what a launched instance can reach, decided at launch.

At first boot, user data installs packages (Amazon Linux's repositories are in S3) and the SSM
agent registers (it needs the ssm, ssmmessages and ec2messages services), all over HTTPS. When
an instance launches (an `aws:ec2/instance:Instance` or one an Auto Scaling group launches),
the stand-in records what it could reach with the cloud as it was at that moment:

    facts["reaches"] = {"s3": bool, "ssm": bool}
    facts["via"] = {"s3": "gateway endpoint vpce-...", "ssm": "internet (igw-...)"}
    facts["unreachable"] = {"ssm": "ssmmessages: <why not>; ..."}

(`via` names how each reachable one is reached, `unreachable` why each other one is not).

Nothing recomputes them: they are what the first boot had (user data runs once), so an
instance launched before its VPC endpoint existed booted without it.
`Cloud.unreachable_instances()` lists the instances that missed one.

How a connection to the service `com.amazonaws.<region>.<name>` leaves the instance (first
match wins, as DNS and the route table decide):
1. an Interface endpoint of the service in the VPC with private DNS (the service's name then
   resolves to it): it needs subnets; the instance's groups must let TCP 443 out to all of
   them (CIDRs containing the endpoint's subnets, or one of the endpoint's groups), and the
   endpoint's groups must let TCP 443 in from the instance (a CIDR containing its private IP,
   or one of its groups);
2. a Gateway endpoint of the service whose route tables include the subnet's (routing.py):
   the instance's groups must let TCP 443 out to the service's prefix list (or 0.0.0.0/0);
3. the route table's 0.0.0.0/0 route: to an attached internet gateway (for an instance with a
   public IP) or to a NAT gateway; the instance's groups must let TCP 443 out to 0.0.0.0/0 (or,
   for S3, to its prefix list).
An endpoint's route tables, subnets and groups are its own and those its association resources
add (lookups.endpoint_members); security groups: security_groups.py.
Not modelled (ignored): network ACLs, endpoint policies, interface endpoints of S3 and DynamoDB,
IPv6. Security group rules, routes and endpoints count as they are at launch, like the rest:
make a fleet depend on them, as on the internet gateway, or it may launch before them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared import aws_types as t
from shared.aws_facts import SSM_ENDPOINT_SERVICES
from tests.engine.standin_aws import lookups, routing, security_groups
from tests.engine.standin_aws.account import (
    ProviderConfig,
    default_security_group_of,
    endpoint_service,
    service_prefix_list,
)
from tests.engine.standin_aws.security_groups import INTERNET, Peer

HTTPS = 443
# What an instance's first boot needs, by the name tests ask about.
SERVICES = {"s3": ("s3",), "ssm": SSM_ENDPOINT_SERVICES}


@dataclass(frozen=True)
class Launch:
    """An instance at launch, and the cloud it launched into."""

    data: Mapping[str, Any]
    config: ProviderConfig
    region: str
    subnet: lookups.Subnet
    route_table: str
    groups: tuple[str, ...]
    private_ip: str
    public_ip: bool

    def sends(self, peer: Peer) -> bool:
        return security_groups.allows(
            self.data,
            self.groups,
            direction="egress",
            port=HTTPS,
            peer=peer,
            vpc_id=self.subnet.vpc_id,
        )

    def endpoints(self, service: str, kind: str) -> list[lookups.Record]:
        return [
            record
            for record in lookups.records(self.data, t.VPC_ENDPOINT)
            if lookups.out(record, "vpcId") == self.subnet.vpc_id
            and lookups.out(record, "serviceName") == service
            and lookups.out(record, "vpcEndpointType") == kind
        ]


def _through_interface(launch: Launch, endpoint: lookups.Record) -> tuple[str | None, str]:
    name = f"interface endpoint {endpoint['id']}"
    subnets = [
        lookups.subnet(launch.data, launch.config, str(subnet_id))
        for subnet_id in lookups.endpoint_members(launch.data, endpoint, "subnetIds")
    ]
    cidrs = tuple(subnet.cidr for subnet in subnets if subnet is not None and subnet.cidr)
    if not cidrs:
        return None, f"{name} has no subnets, so no network interface to connect to"
    groups = tuple(lookups.endpoint_members(launch.data, endpoint, "securityGroupIds"))
    if not launch.sends(Peer(addresses=cidrs, groups=groups)):
        return None, (
            f"the instance's security groups {list(launch.groups)} do not let TCP {HTTPS} out "
            f"to {name} (its subnets {list(cidrs)} or its security groups {list(groups)})"
        )
    instance = Peer(addresses=(f"{launch.private_ip}/32",), groups=launch.groups)
    if not security_groups.allows(
        launch.data,
        groups,
        direction="ingress",
        port=HTTPS,
        peer=instance,
        vpc_id=launch.subnet.vpc_id,
    ):
        return None, (
            f"the security groups {list(groups)} of {name} do not let TCP {HTTPS} in from the "
            f"instance ({launch.private_ip} or its groups {list(launch.groups)})"
        )
    return name, ""


def _no_route(launch: Launch, service: str, gateway_possible: bool) -> str:
    table, vpc = launch.route_table, launch.subnet.vpc_id
    if routing.internet_route(launch.data, launch.config, table, vpc, public_ip=True):
        where = (
            f"route table {table} leads to an internet gateway but the instance has no public IP"
        )
    else:
        where = f"route table {table} of subnet {launch.subnet.id} has no route to the internet"
    endpoint = f"a gateway endpoint on {table} or " if gateway_possible else ""
    return (
        f"no route to {service}: {where}, and the VPC has no {endpoint}interface endpoint "
        "with private DNS for it"
    )


def _path(launch: Launch, name: str) -> tuple[str | None, str]:
    """(how the instance reaches the service, or None; why not)."""
    service = endpoint_service(launch.region, name)
    prefix_list = service_prefix_list(launch.region, service)
    public = Peer(addresses=INTERNET, prefix_list=prefix_list)
    blocked = (
        f"the instance's security groups {list(launch.groups)} do not let TCP {HTTPS} out to "
        + (f"{prefix_list} (the {service} prefix list) or " if prefix_list else "")
        + "0.0.0.0/0"
    )
    interface = [
        endpoint
        for endpoint in launch.endpoints(service, "Interface")
        if lookups.out(endpoint, "privateDnsEnabled") is True and prefix_list is None
    ]
    if interface:
        return _through_interface(launch, interface[0])
    gateway = [
        endpoint
        for endpoint in launch.endpoints(service, "Gateway")
        if launch.route_table in lookups.endpoint_members(launch.data, endpoint, "routeTableIds")
    ]
    if gateway:
        via = f"gateway endpoint {gateway[0]['id']}"
        return (via, "") if launch.sends(public) else (None, blocked)
    target = routing.internet_route(
        launch.data,
        launch.config,
        launch.route_table,
        launch.subnet.vpc_id,
        public_ip=launch.public_ip,
    )
    if target is None:
        return None, _no_route(launch, service, prefix_list is not None)
    return (f"internet ({target})", "") if launch.sends(public) else (None, blocked)


def note_launch(data: Mapping[str, Any], config: ProviderConfig, record: lookups.Record) -> None:
    """Record on a just-launched instance what it can reach (the facts above)."""
    subnet = lookups.subnet(data, config, str(lookups.out(record, "subnetId") or ""))
    if subnet is None:
        return
    groups = tuple(lookups.out(record, "vpcSecurityGroupIds") or ())
    launch = Launch(
        data,
        config,
        str(record.get("region") or config.region),
        subnet,
        routing.subnet_route_table(data, config, subnet),
        groups or (default_security_group_of(subnet.vpc_id),),
        str(lookups.out(record, "privateIp")),
        bool(lookups.out(record, "publicIp")),
    )
    reaches, via, unreachable = {}, {}, {}
    for wanted, names in SERVICES.items():
        paths = {name: _path(launch, name) for name in names}
        problems = [f"{name}: {problem}" for name, (route, problem) in paths.items() if not route]
        reaches[wanted] = not problems
        if problems:
            unreachable[wanted] = "; ".join(problems)
        else:
            via[wanted] = ", ".join(sorted({str(route) for route, _ in paths.values()}))
    lookups.facts(record).update(reaches=reaches, via=via, unreachable=unreachable)
