"""A security group that admits web ports and nothing else; never SSH or RDP."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.limits import ADMIN_PORTS, PUBLIC_WEB_PORTS

ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class Egress:
    """One outbound TCP port to one IPv4 range, or to a managed prefix list (an S3 gateway
    endpoint's), which `label` then names."""

    port: int
    cidr: str | None
    description: str
    prefix_list_id: pulumi.Input[str] | None = None
    label: str = ""

    def __post_init__(self) -> None:
        if (self.cidr is None) == (self.prefix_list_id is None):
            raise ValueError("an egress rule goes to either a CIDR or a prefix list")
        if self.prefix_list_id is not None and not re.fullmatch(r"[a-z0-9-]+", self.label):
            raise ValueError("an egress rule to a prefix list needs a label of [a-z0-9-]")

    @property
    def destination_label(self) -> str:
        """The part of the rule's logical name that says where it goes."""
        return cidr_label(self.cidr) if self.cidr is not None else self.label


@dataclass(frozen=True)
class WebSecurityGroupArgs:
    """Ingress on `ports` from CIDR ranges or from one other security group; explicit egress."""

    vpc_id: pulumi.Input[str]
    # `shared.naming.security_group_name_prefix`: the provider completes it into a name unique
    # in the VPC, so a replacement (a new description, a new VPC) never collides.
    name_prefix: str
    description: str
    ports: Sequence[int]
    source_cidrs: Sequence[str] = ()
    source_security_group_id: pulumi.Input[str] | None = None
    egress: Sequence[Egress] = ()
    # Prefix of the EC2 `Name` tag.
    name_tag: str = ""

    def __post_init__(self) -> None:
        if not self.ports:
            raise ValueError("a web security group admits at least one port")
        for port in (*self.ports, *(rule.port for rule in self.egress)):
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} is not a TCP port")
        for port in self.ports:
            if port in ADMIN_PORTS:
                raise ValueError(
                    f"port {port} ({ADMIN_PORTS[port]}) must never be opened; "
                    "administer instances through SSM Session Manager"
                )
            if ANYWHERE in self.source_cidrs and port not in PUBLIC_WEB_PORTS:
                raise ValueError(
                    f"only ports {PUBLIC_WEB_PORTS} may be open to {ANYWHERE}; "
                    f"restrict the sources of port {port}"
                )
        if bool(self.source_cidrs) == (self.source_security_group_id is not None):
            raise ValueError("give either source_cidrs or source_security_group_id, not both")
        for cidr in (*self.source_cidrs, *(rule.cidr for rule in self.egress if rule.cidr)):
            ipaddress.IPv4Network(cidr, strict=True)


def cidr_label(cidr: str) -> str:
    """A stable logical-name part from a CIDR: 203.0.113.0/24 -> 203-0-113-0-24."""
    return re.sub(r"[^0-9a-z]+", "-", cidr.lower()).strip("-")


class WebSecurityGroup(pulumi.ComponentResource):
    """The group plus one rule resource per source and per egress (named from the CIDR)."""

    group_id: pulumi.Output[str]
    # The rule resources: what a server must wait for to launch with its traffic allowed (the
    # group's id exists before its rules do).
    rules: list[pulumi.Resource]

    def __init__(
        self, name: str, args: WebSecurityGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:WebSecurityGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        group = aws.ec2.SecurityGroup(
            name,
            name_prefix=args.name_prefix,
            description=args.description,
            vpc_id=args.vpc_id,
            # Rules live in their own resources below; the provider drops AWS's allow-all egress.
            revoke_rules_on_delete=True,
            tags={"Name": args.name_tag or args.name_prefix.rstrip("-")},
            opts=child,
        )
        self.rules = []
        # Rules are named from port and source, so adding a port never renames (replaces) one.
        for port in args.ports:
            for cidr in args.source_cidrs:
                ingress = aws.vpc.SecurityGroupIngressRule(
                    f"{name}-in-{port}-{cidr_label(cidr)}",
                    security_group_id=group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                    description=f"web port {port} from {cidr}",
                    opts=child,
                )
                self.rules.append(ingress)
            if args.source_security_group_id is not None:
                ingress = aws.vpc.SecurityGroupIngressRule(
                    f"{name}-in-{port}-from-group",
                    security_group_id=group.id,
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    referenced_security_group_id=args.source_security_group_id,
                    description=f"web port {port} from the load balancer",
                    opts=child,
                )
                self.rules.append(ingress)
        for rule in args.egress:
            egress = aws.vpc.SecurityGroupEgressRule(
                f"{name}-out-{rule.port}-{rule.destination_label}",
                security_group_id=group.id,
                ip_protocol="tcp",
                from_port=rule.port,
                to_port=rule.port,
                cidr_ipv4=rule.cidr,
                prefix_list_id=rule.prefix_list_id,
                description=rule.description,
                opts=child,
            )
            self.rules.append(egress)
        self.group_id = group.id
        self.register_outputs({"group_id": self.group_id})
