"""The compute layer's own network: a VPC with public subnets in two availability zones."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

SUBNET_PREFIX = 24
MIN_ZONES = 2


@dataclass(frozen=True)
class NetworkArgs:
    """Where the network goes; each zone gets one public /24 derived from its letter."""

    cidr_block: str
    availability_zones: Sequence[str]
    # Prefix of the EC2 `Name` tags, e.g. "webapp-development".
    name_prefix: str

    def __post_init__(self) -> None:
        zones = list(self.availability_zones)
        if len(zones) < MIN_ZONES or len(set(zones)) != len(zones):
            raise ValueError(
                f"a network needs at least {MIN_ZONES} distinct availability zones, got {zones}"
            )
        for zone in zones:
            subnet_cidr(self.cidr_block, zone)

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(self.availability_zones)


def subnet_cidr(vpc_cidr: str, zone: str) -> str:
    """The /24 of a zone: its position is the zone's letter (a=0, b=1, ...), not a list index.

    So adding, removing or reordering zones never moves an existing subnet.
    """
    letter = zone[-1:]
    if not ("a" <= letter <= "z"):
        raise ValueError(f"availability zone {zone!r} does not end in a zone letter")
    subnets = list(ipaddress.ip_network(vpc_cidr).subnets(new_prefix=SUBNET_PREFIX))
    position = ord(letter) - ord("a")
    if position >= len(subnets):
        raise ValueError(f"VPC {vpc_cidr} has no room for a /{SUBNET_PREFIX} for zone {zone}")
    return str(subnets[position])


class Network(pulumi.ComponentResource):
    """VPC, internet gateway, one public route table and a public subnet per zone.

    The VPC's default security group is emptied: anything launched without an explicit group
    gets no traffic at all. `internet_ready` is what a public resource must wait for: AWS
    refuses an internet-facing load balancer in a VPC whose gateway is not attached yet
    (`InvalidSubnet: VPC ... has no internet gateway`), and an instance launched before its
    subnet routes to the gateway boots without the internet.
    """

    vpc_id: pulumi.Output[str]
    subnet_ids: dict[str, pulumi.Output[str]]
    internet_ready: list[pulumi.Resource]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        vpc = aws.ec2.Vpc(
            name,
            cidr_block=args.cidr_block,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{args.name_prefix}-vpc"},
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{args.name_prefix}-default-unused"},
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(
            f"{name}-igw",
            vpc_id=vpc.id,
            tags={"Name": f"{args.name_prefix}-igw"},
            opts=child,
        )
        routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            tags={"Name": f"{args.name_prefix}-public"},
            opts=child,
        )
        default_route = aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
            opts=child,
        )
        self.subnet_ids = {}
        # The gateway is attached once its create returns (the provider waits for it).
        self.internet_ready = [gateway, default_route]
        for zone in args.zones:
            subnet = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=subnet_cidr(args.cidr_block, zone),
                # Instances ask for a public address explicitly; nothing gets one by accident.
                map_public_ip_on_launch=False,
                tags={"Name": f"{args.name_prefix}-public-{zone}"},
                opts=child,
            )
            association = aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}",
                subnet_id=subnet.id,
                route_table_id=routes.id,
                opts=child,
            )
            self.subnet_ids[zone] = subnet.id
            self.internet_ready.append(association)
        self.vpc_id = vpc.id
        self.register_outputs({"vpc_id": self.vpc_id, "subnet_ids": self.subnet_ids})
