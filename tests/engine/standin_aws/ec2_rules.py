"""TEST-ONLY stand-in AWS provider: what EC2 refuses (VPC, subnets, security groups, gateways,
instances), with EC2's error codes (VPC endpoints: endpoint_rules.py).

- a security group, subnet, gateway or endpoint needs an existing VPC (InvalidVpcID.NotFound);
- a subnet's CIDR lies inside its VPC's and overlaps no other subnet of the VPC
  (InvalidSubnet.Range / InvalidSubnet.Conflict), so a replacement with the same CIDR collides;
- a security group, or a subnet, still used by an instance, load balancer, endpoint (or, for a
  group, another group's rule) cannot be deleted (DependencyViolation);
- an instance needs an existing subnet, and groups of the subnet's VPC;
- an instance with `disableApiTermination` cannot be terminated (OperationNotPermitted) unless
  the state the provider holds has `forceDestroy` (pulumi-aws 7.51.1: it then lifts the
  protection first; set in the same update as a replacement, it is not in that state yet);
- an internet gateway attachment completes asynchronously: the provider waits for it, and until
  then the VPC has no internet gateway (see elb_rules).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import lookups, reachability
from tests.engine.standin_aws.account import default_vpc_id, digest
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.cloud import DEFAULT_GATEWAY_ATTACH_SECONDS
from tests.engine.standin_aws.errors import ec2
from tests.engine.standin_aws.wire import plain


def require_vpc(change: Change, vpc_id: str, action: str, operation: str) -> None:
    if not lookups.vpc_exists(change.data, change.config, vpc_id):
        raise ec2(
            action, operation, "InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist"
        )


def create_security_group(change: Change) -> None:
    vpc = str(change.get("vpcId") or default_vpc_id(change.config))
    change.outputs["vpcId"] = vpc
    require_vpc(
        change, vpc, f"creating Security Group ({change.get('name')})", "CreateSecurityGroup"
    )


# Where other resources hold a security group's or a subnet's id: (types, output).
GROUP_USES = (
    ((t.INSTANCE,), "vpcSecurityGroupIds"),
    ((t.INSTANCE,), "securityGroups"),
    (lookups.LOAD_BALANCERS, "securityGroups"),
    ((t.VPC_ENDPOINT,), "securityGroupIds"),
    (lookups.SECURITY_GROUP_RULES, "referencedSecurityGroupId"),
    (lookups.SECURITY_GROUP_RULES, "sourceSecurityGroupId"),
)
SUBNET_USES = (
    ((t.INSTANCE,), "subnetId"),
    (lookups.LOAD_BALANCERS, "subnets"),
    ((t.VPC_ENDPOINT,), "subnetIds"),
)


def _users(change: Change, uses: tuple[tuple[tuple[str, ...], str], ...]) -> list[lookups.Record]:
    """Other resources holding this one's id (a group's own rules do not count)."""
    found = []
    for types, key in uses:
        for record in lookups.records(change.data, *types):
            held = lookups.out(record, key)
            refers = held == change.id or (isinstance(held, list) and change.id in held)
            if refers and lookups.out(record, "securityGroupId") != change.id:
                found.append(record)
    return found


def delete_security_group(change: Change) -> None:
    if _users(change, GROUP_USES):
        raise ec2(
            f"deleting Security Group ({change.id})",
            "DeleteSecurityGroup",
            "DependencyViolation",
            f"resource {change.id} has a dependent object",
        )


def create_subnet(change: Change) -> None:
    vpc, cidr = str(change.get("vpcId")), change.get("cidrBlock")
    action = "creating EC2 Subnet"
    require_vpc(change, vpc, action, "CreateSubnet")
    if not cidr:
        return
    network = ipaddress.ip_network(str(cidr), strict=False)
    parent = lookups.vpc_cidr(change.data, vpc)
    if parent and not network.subnet_of(ipaddress.ip_network(parent)):  # type: ignore[arg-type]
        raise ec2(action, "CreateSubnet", "InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.")
    for record in lookups.records(change.data, t.SUBNET):
        other = lookups.out(record, "cidrBlock")
        if (
            lookups.out(record, "vpcId") == vpc
            and other
            and network.overlaps(ipaddress.ip_network(other))
        ):
            raise ec2(
                action,
                "CreateSubnet",
                "InvalidSubnet.Conflict",
                f"The CIDR '{cidr}' conflicts with another subnet",
            )


def delete_subnet(change: Change) -> None:
    if _users(change, SUBNET_USES):
        raise ec2(
            f"deleting EC2 Subnet ({change.id})",
            "DeleteSubnet",
            "DependencyViolation",
            f"The subnet '{change.id}' has dependencies and cannot be deleted.",
        )


def create_instance(change: Change) -> None:
    subnet_id = change.get("subnetId")
    action = "creating EC2 Instance"
    if subnet_id is None:
        return
    subnet = lookups.subnet(change.data, change.config, str(subnet_id))
    if subnet is None:
        raise ec2(
            action,
            "RunInstances",
            "InvalidSubnetID.NotFound",
            f"The subnet ID '{subnet_id}' does not exist",
        )
    for group in change.get("vpcSecurityGroupIds") or []:
        vpc = lookups.security_group_vpc(change.data, str(group))
        if vpc is not None and vpc != subnet.vpc_id:
            raise ec2(
                action,
                "RunInstances",
                "InvalidParameter",
                f"Security group {group} and subnet {subnet_id} belong to different networks.",
            )
    change.outputs["availabilityZone"] = subnet.zone
    place_instance(change.outputs, subnet, change.region, fixed_ip=bool(change.input("privateIp")))


def place_instance(
    outputs: dict[str, Any], subnet: lookups.Subnet, region: str, *, fixed_ip: bool = False
) -> None:
    """Addresses as AWS assigns them: a private one inside the subnet (AWS keeps the first four
    and the last), unless one was asked for; a public one only if asked for or the subnet maps
    one on launch."""
    if subnet.cidr and not fixed_ip:
        network = ipaddress.ip_network(subnet.cidr)
        index = 4 + int(digest(str(outputs["id"]), "address")[:8], 16) % (network.num_addresses - 5)
        address = str(network[index])
        outputs["privateIp"] = address
        outputs["privateDns"] = f"ip-{address.replace('.', '-')}.{region}.compute.internal"
    if plain(outputs.get("associatePublicIpAddress")) is None and not subnet.public_on_launch:
        outputs["publicIp"] = outputs["publicDns"] = ""


def note_instance_launch(change: Change) -> None:
    """AWS launches a public instance whether or not its VPC can reach the internet yet; the
    stand-in notes which it was, so a test can see an instance that booted offline, and what
    the instance could reach then (reachability.py)."""
    subnet = lookups.subnet(change.data, change.config, str(change.get("subnetId") or ""))
    vpc = subnet.vpc_id if subnet else default_vpc_id(change.config)
    change.facts["internetAtLaunch"] = lookups.internet_attached(change.data, change.config, vpc)
    if change.record is not None:
        reachability.note_launch(change.data, change.config, change.record)


def delete_instance(change: Change) -> None:
    protected = bool(change.live.get("disableApiTermination"))
    if protected and not change.old("forceDestroy"):
        instance = change.id
        raise ec2(
            f"terminating EC2 Instance ({instance})",
            "TerminateInstances",
            "OperationNotPermitted",
            f"The instance '{instance}' may not be terminated. Modify its "
            "'disableApiTermination' instance attribute and try again.",
        )


def attach_gateway(change: Change, vpc_id: str | None) -> None:
    """Start an attachment: "attaching" now, "available" once the provider's wait is over."""
    if vpc_id is None:
        change.facts.pop("attachment", None)
        return
    require_vpc(change, vpc_id, "attaching EC2 Internet Gateway", "AttachInternetGateway")
    change.facts["attachment"] = {"vpcId": vpc_id, "state": "attaching"}
    change.settle_seconds = gateway_attach_seconds(change)


def create_internet_gateway(change: Change) -> None:
    vpc = change.get("vpcId")
    attach_gateway(change, None if vpc is None else str(vpc))


def update_internet_gateway(change: Change) -> None:
    if change.changed("vpcId"):
        vpc = change.get("vpcId")
        attach_gateway(change, None if vpc is None else str(vpc))


def create_gateway_attachment(change: Change) -> None:
    attach_gateway(change, str(change.get("vpcId")))


def settle_gateway(record: lookups.Record) -> None:
    attachment = lookups.facts(record).get("attachment")
    if attachment:
        attachment["state"] = lookups.ATTACHED


def gateway_attach_seconds(change: Change) -> float:
    settings = change.data.get("settings", {})
    return float(settings.get("gatewayAttachSeconds", DEFAULT_GATEWAY_ATTACH_SECONDS))
