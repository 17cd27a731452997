"""The compute layer's own network: a VPC with public subnets in two availability zones, and
private ones (no route to the internet) for a web tier that must not be reachable directly."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

SUBNET_PREFIX = 24
MIN_ZONES = 2


@dataclass(frozen=True)
class NetworkArgs:
    """Where the network goes; each zone gets one public /24 (and, with `private_subnets`, one
    private /24) derived from its letter. The EC2 `Name` tags start with the component's name."""

    cidr_block: str
    availability_zones: Sequence[str]
    # Private subnets too: a route table with the local route only (nothing leaves the VPC
    # except through the VPC endpoints their users add).
    private_subnets: bool = False

    def __post_init__(self) -> None:
        zones = list(self.availability_zones)
        if len(zones) < MIN_ZONES or len(set(zones)) != len(zones):
            raise ValueError(
                f"a network needs at least {MIN_ZONES} distinct availability zones, got {zones}"
            )
        half = (
            len(list(ipaddress.ip_network(self.cidr_block).subnets(new_prefix=SUBNET_PREFIX))) // 2
        )
        for zone in zones:
            subnet_cidr(self.cidr_block, zone)
            if self.private_subnets and zone_position(zone) >= half:
                raise ValueError(
                    f"VPC {self.cidr_block} has no room for public and private subnets in zone "
                    f"{zone}: only its first {half} /{SUBNET_PREFIX}s are public (zones a..), the "
                    "rest private; use a larger vpcCidr"
                )

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(self.availability_zones)


@dataclass(frozen=True)
class Subnets:
    """One kind of subnet: zone -> subnet id, their route table, and what a resource placed in
    them must wait for (their associations with the table; public ones the gateway too)."""

    ids: Mapping[str, pulumi.Input[str]]
    route_table_id: pulumi.Input[str]
    ready: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if not self.ids:
            raise ValueError("subnets need at least one zone")


@dataclass(frozen=True)
class NetworkRefs:
    """What the network's users need of it: the VPC, its range, and its subnets by kind."""

    vpc_id: pulumi.Input[str]
    cidr_block: str
    public: Subnets
    # None: the network has no private subnets.
    private: Subnets | None = None

    def __post_init__(self) -> None:
        ipaddress.IPv4Network(self.cidr_block, strict=True)


def zone_position(zone: str) -> int:
    """A zone's letter as a number (a=0, b=1, ...): where its subnets go, whatever the order."""
    letter = zone[-1:]
    if not ("a" <= letter <= "z"):
        raise ValueError(f"availability zone {zone!r} does not end in a zone letter")
    return ord(letter) - ord("a")


def subnet_cidr(vpc_cidr: str, zone: str, *, private: bool = False) -> str:
    """The /24 of a zone: its position is the zone's letter, not a list index.

    So adding, removing or reordering zones never moves an existing subnet. Public subnets
    count from the start of the VPC, private ones from its middle (10.20.0.0/16: zone a is
    10.20.0.0/24 public and 10.20.128.0/24 private), so adding private subnets to a network
    never moves a public one.
    """
    subnets = list(ipaddress.ip_network(vpc_cidr).subnets(new_prefix=SUBNET_PREFIX))
    position = zone_position(zone) + (len(subnets) // 2 if private else 0)
    if position >= len(subnets):
        raise ValueError(f"VPC {vpc_cidr} has no room for a /{SUBNET_PREFIX} for zone {zone}")
    return str(subnets[position])


class Network(pulumi.ComponentResource):
    """VPC, internet gateway, one public route table and a public subnet per zone; optionally a
    private route table (local route only) and a private subnet per zone.

    The VPC's default security group is emptied: anything launched without an explicit group
    gets no traffic at all. `refs.public.ready` is what a public resource must wait for: AWS
    refuses an internet-facing load balancer in a VPC whose gateway is not attached yet
    (`InvalidSubnet: VPC ... has no internet gateway`), and an instance launched before its
    subnet routes to the gateway boots without the internet.
    """

    vpc_id: pulumi.Output[str]
    # What its users need. A resource in a private subnet (None without them) must wait for
    # the subnet's association with the private table: before it, the subnet uses the VPC's
    # main table, where no gateway endpoint routes S3.
    refs: NetworkRefs

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
            tags={"Name": f"{name}-vpc"},
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-unused"},
            opts=child,
        )
        gateway = aws.ec2.InternetGateway(
            f"{name}-igw",
            vpc_id=vpc.id,
            tags={"Name": f"{name}-igw"},
            opts=child,
        )
        routes = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            tags={"Name": f"{name}-public"},
            opts=child,
        )
        default_route = aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=routes.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=gateway.id,
            opts=child,
        )
        # The gateway is attached once its create returns (the provider waits for it).
        public = _subnets(
            name,
            args,
            vpc=vpc,
            routes=routes,
            kind="public",
            ready=[gateway, default_route],
            child=child,
        )
        private = None
        if args.private_subnets:
            # An explicit table rather than the VPC's main one: a subnet added later without an
            # association must not silently become private (or public).
            private_routes = aws.ec2.RouteTable(
                f"{name}-private",
                vpc_id=vpc.id,
                tags={"Name": f"{name}-private"},
                opts=child,
            )
            private = _subnets(
                name, args, vpc=vpc, routes=private_routes, kind="private", ready=[], child=child
            )
        self.vpc_id = vpc.id
        self.refs = NetworkRefs(self.vpc_id, args.cidr_block, public, private)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "subnet_ids": public.ids,
                "private_subnet_ids": private.ids if private else {},
            }
        )


def _subnets(
    name: str,
    args: NetworkArgs,
    *,
    vpc: aws.ec2.Vpc,
    routes: aws.ec2.RouteTable,
    kind: str,
    ready: list[pulumi.Resource],
    child: pulumi.ResourceOptions,
) -> Subnets:
    """A subnet of `kind` per zone on `routes`; ready once `ready` and their associations are."""
    ids = {}
    for zone in args.zones:
        subnet, association = _zone_subnet(
            name, args, vpc=vpc, routes=routes, zone=zone, kind=kind, child=child
        )
        ids[zone] = subnet.id
        ready.append(association)
    return Subnets(ids, routes.id, ready)


def _zone_subnet(
    name: str,
    args: NetworkArgs,
    *,
    vpc: aws.ec2.Vpc,
    routes: aws.ec2.RouteTable,
    zone: str,
    kind: str,
    child: pulumi.ResourceOptions,
) -> tuple[aws.ec2.Subnet, aws.ec2.RouteTableAssociation]:
    """A zone's public or private subnet, associated with the route table of its kind."""
    subnet = aws.ec2.Subnet(
        f"{name}-{kind}-{zone}",
        vpc_id=vpc.id,
        availability_zone=zone,
        cidr_block=subnet_cidr(args.cidr_block, zone, private=kind == "private"),
        # Instances ask for a public address explicitly; nothing gets one by accident.
        map_public_ip_on_launch=False,
        tags={"Name": f"{name}-{kind}-{zone}"},
        opts=child,
    )
    association = aws.ec2.RouteTableAssociation(
        f"{name}-{kind}-{zone}", subnet_id=subnet.id, route_table_id=routes.id, opts=child
    )
    return subnet, association
