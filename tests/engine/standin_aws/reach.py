"""TEST-ONLY stand-in: what an instance can reach over HTTPS, asked of the emulated account.

At first boot user data installs packages (Amazon Linux's repositories are in S3) and the SSM
agent registers (ssm, ssmmessages, ec2messages). moto runs no traffic, so this is a fact moto
lacks: `reach(account, instance_id)` works it out from the account as it is when asked (the
compute kinds ask at launch and keep the answer, as a first boot happens once).

A connection to `com.amazonaws.<region>.<name>` leaves the instance by the first of:
1. an Interface endpoint of the service in the VPC with private DNS: the instance's groups
   let TCP 443 out to its subnets (or one of its groups), its groups let 443 in from the
   instance (its address or one of its groups);
2. a route of the subnet's table to the service's prefix list (a Gateway endpoint's): the
   groups let 443 out to the prefix list or 0.0.0.0/0;
3. a 0.0.0.0/0 route to an internet gateway attached to the VPC, for an instance with a
   public IP: the groups let 443 out to 0.0.0.0/0 (or, for S3, its prefix list).
Not modelled: network ACLs, NAT gateways, endpoint policies, IPv6.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from shared.aws_facts import SSM_ENDPOINT_SERVICES
from tests.engine.standin_aws import ec2
from tests.engine.standin_aws.ec2 import by, default_group, describe
from tests.engine.standin_aws.emulator import Account

HTTPS = 443
ANYWHERE = "0.0.0.0/0"
# What a first boot needs, by the name tests ask about.
SERVICES = {"s3": ("s3",), "ssm": SSM_ENDPOINT_SERVICES}


@dataclass
class Reach:
    """Per need ("s3", "ssm"): reached or not, how, and why not."""

    reaches: dict[str, bool] = field(default_factory=dict)
    via: dict[str, str] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)


def internet(aws: Account, vpc_id: str) -> bool:
    """Whether an internet gateway is attached to the VPC now."""
    filters = by(attachment__vpc_id=vpc_id)
    return bool(describe(aws, "DescribeInternetGateways", "InternetGateways", Filters=filters))


def instance_groups(instance: dict[str, Any]) -> tuple[str, ...]:
    """An instance's groups: moto keeps those given through a network interface on it only."""
    interfaces = instance.get("NetworkInterfaces") or []
    groups = [
        *(instance.get("SecurityGroups") or []),
        *(g for n in interfaces for g in n["Groups"]),
    ]
    return tuple(dict.fromkeys(group["GroupId"] for group in groups))


@dataclass(frozen=True)
class _Peer:
    """The far end: the addresses it may use, its prefix list, its groups."""

    addresses: tuple[str, ...] = ()
    prefix_list: str | None = None
    groups: tuple[str, ...] = ()


def _https(rule: dict[str, Any]) -> bool:
    tcp = rule["IpProtocol"] in ("tcp", "6") and rule["FromPort"] <= HTTPS <= rule["ToPort"]
    return bool(rule["IpProtocol"] == "-1" or tcp)


def _allows(aws: Account, groups: tuple[str, ...], *, egress: bool, peer: _Peer) -> bool:
    """Whether rules of `groups` let TCP 443 through to (egress) or from the peer."""
    found = "SecurityGroupRules"
    rules = [
        rule
        for group in groups
        for rule in describe(aws, f"Describe{found}", found, Filters=by(group_id=group))
        if rule["IsEgress"] == egress and _https(rule)
    ]
    if any(
        (peer.prefix_list is not None and rule.get("PrefixListId") == peer.prefix_list)
        or (rule.get("ReferencedGroupInfo") or {}).get("GroupId") in peer.groups
        for rule in rules
    ):
        return True
    cidrs = [ipaddress.ip_network(rule["CidrIpv4"]) for rule in rules if rule.get("CidrIpv4")]
    return bool(peer.addresses) and all(
        any(cidr.supernet_of(ipaddress.ip_network(address)) for cidr in cidrs)  # type: ignore[arg-type]
        for address in peer.addresses
    )


@dataclass(frozen=True)
class _Launch:
    aws: Account
    instance: dict[str, Any]
    table: dict[str, Any]

    @property
    def vpc(self) -> str:
        return str(self.instance["VpcId"])

    @property
    def groups(self) -> tuple[str, ...]:
        return instance_groups(self.instance)

    def sends(self, peer: _Peer) -> bool:
        return _allows(self.aws, self.groups, egress=True, peer=peer)

    def route(self, destination: str) -> str | None:
        """The target of the table's route to a CIDR or prefix list."""
        for route in self.table["Routes"]:
            if destination in (
                route.get("DestinationCidrBlock"),
                route.get("DestinationPrefixListId"),
            ):
                return str(route.get("GatewayId") or route.get("NatGatewayId") or "")
        return None


def _through_interface(launch: _Launch, endpoint: dict[str, Any]) -> tuple[str | None, str]:
    name = f"interface endpoint {endpoint['VpcEndpointId']}"
    subnets = endpoint.get("SubnetIds") or []
    found = describe(launch.aws, "DescribeSubnets", "Subnets", SubnetIds=subnets) if subnets else []
    cidrs = tuple(subnet["CidrBlock"] for subnet in found)
    if not cidrs:
        return None, f"{name} has no subnets, so no network interface to connect to"
    # An endpoint without groups has its VPC's default group (moto lists none).
    groups = tuple(g["GroupId"] for g in endpoint.get("Groups") or [])
    groups = groups or (default_group(launch.aws, launch.vpc),)
    if not launch.sends(_Peer(addresses=cidrs, groups=groups)):
        return None, (
            f"the instance's security groups {list(launch.groups)} do not let TCP {HTTPS} out "
            f"to {name} (its subnets {list(cidrs)} or its security groups {list(groups)})"
        )
    address = launch.instance["PrivateIpAddress"]
    instance = _Peer((f"{address}/32",), None, launch.groups)
    if not _allows(launch.aws, groups, egress=False, peer=instance):
        return None, (
            f"the security groups {list(groups)} of {name} do not let TCP {HTTPS} in from the "
            f"instance ({address} or its groups {list(launch.groups)})"
        )
    return name, ""


def _path(launch: _Launch, name: str) -> tuple[str | None, str]:
    """(how the instance reaches the service, or None; why not)."""
    service = f"com.amazonaws.{launch.aws.region}.{name}"
    prefix_list = ec2.prefix_list(launch.aws, service)
    public = _Peer(addresses=(ANYWHERE,), prefix_list=prefix_list)
    blocked = (
        f"the instance's security groups {list(launch.groups)} do not let TCP {HTTPS} out to "
        + (f"{prefix_list} (the {service} prefix list) or " if prefix_list else "")
        + ANYWHERE
    )
    filters = by(vpc_id=launch.vpc, service_name=service)
    endpoints = describe(launch.aws, "DescribeVpcEndpoints", "VpcEndpoints", Filters=filters)
    interface = [
        e for e in endpoints if e["VpcEndpointType"] == "Interface" and e.get("PrivateDnsEnabled")
    ]
    if interface and prefix_list is None:
        return _through_interface(launch, interface[0])
    gateway = launch.route(prefix_list) if prefix_list else None
    if gateway:
        return (f"gateway endpoint {gateway}", "") if launch.sends(public) else (None, blocked)
    target = launch.route(ANYWHERE) or ""
    attached = target.startswith("igw-") and internet(launch.aws, launch.vpc)
    vpc = describe(launch.aws, "DescribeVpcs", "Vpcs", VpcIds=[launch.vpc])[0]
    if not target and vpc["IsDefault"]:
        # AWS's default VPC routes 0.0.0.0/0 to its own gateway; moto's has neither.
        target, attached = "the default VPC's gateway", True
    table = launch.table["RouteTableId"]
    if not attached:
        subnet = launch.instance["SubnetId"]
        where = f"route table {table} of subnet {subnet} has no route to the internet"
    elif not launch.instance.get("PublicIpAddress"):
        where = (
            f"route table {table} leads to an internet gateway but the instance has no public IP"
        )
    else:
        return (f"internet ({target})", "") if launch.sends(public) else (None, blocked)
    endpoint = f"a gateway endpoint on {table} or " if prefix_list else ""
    return (
        None,
        f"no route to {service}: {where}, and the VPC has no {endpoint}interface endpoint "
        "with private DNS for it",
    )


def reach(aws: Account, instance_id: str) -> Reach:
    """What the instance can reach now (see the module docstring)."""
    [instance] = ec2.instances(aws, InstanceIds=[instance_id])
    filters = by(association__subnet_id=instance["SubnetId"])
    tables = describe(aws, "DescribeRouteTables", "RouteTables", Filters=filters)
    main = by(vpc_id=instance["VpcId"], association__main="true")
    tables = tables or describe(aws, "DescribeRouteTables", "RouteTables", Filters=main)
    launch = _Launch(aws, instance, tables[0])
    found = Reach()
    for need, names in SERVICES.items():
        paths = {name: _path(launch, name) for name in names}
        problems = [f"{name}: {problem}" for name, (route, problem) in paths.items() if not route]
        found.reaches[need] = not problems
        if problems:
            found.unreachable[need] = "; ".join(problems)
        else:
            found.via[need] = ", ".join(sorted({str(route) for route, _ in paths.values()}))
    return found
