"""TEST-ONLY stand-in AWS provider: what EC2 refuses for VPC endpoints, with EC2's error codes.

CreateVpcEndpoint (and ModifyVpcEndpoint for what can change in place) refuses:
- a VPC that does not exist (InvalidVpcID.NotFound) or a service of another region
  (InvalidServiceName);
- subnets for a Gateway endpoint (InvalidParameter); route tables that do not exist
  (InvalidRouteTableId.NotFound) or are another VPC's (InvalidParameter), or that already route
  the service's prefix list to another gateway endpoint (InvalidParameter: "route table ...
  already has a route with destination-prefix-list-id ...");
- an Interface endpoint's subnets that do not exist (InvalidSubnetID.NotFound), are another
  VPC's (InvalidParameter) or share a zone (DuplicateSubnetsInSameZone); its security groups
  that do not exist or are another VPC's (InvalidGroup.NotFound);
- private DNS in a VPC without both DNS attributes (InvalidParameter), or when another
  endpoint of the VPC already holds the service's private DNS name (InvalidParameter: "...
  there is already a conflicting DNS domain ..."), which also refuses a create-before-delete
  replacement of such an endpoint.
An Interface endpoint created without security groups gets its VPC's default group, as in AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from shared import aws_types as t
from tests.engine.standin_aws import lookups, routing
from tests.engine.standin_aws.account import (
    default_security_group_of,
    endpoint_service,
    service_prefix_list,
)
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.ec2_rules import require_vpc
from tests.engine.standin_aws.errors import AwsError, ec2

# Builds the refusal of the call being checked from an error code and a message.
Refusal = Callable[[str, str], AwsError]
INTERFACE = "Interface"
GATEWAY = "Gateway"


def _ids(change: Change, key: str) -> list[str]:
    return [str(item) for item in change.get(key) or []]


def private_dns_name(region: str, service_name: str) -> str:
    """com.amazonaws.us-west-2.ssm -> ssm.us-west-2.amazonaws.com (what private DNS answers)."""
    service = service_name.removeprefix(endpoint_service(region, ""))
    return f"{'.'.join(reversed(service.split('.')))}.{region}.amazonaws.com"


def _others(change: Change, vpc: str, service: str) -> list[lookups.Record]:
    """The other endpoints of the same service in the same VPC."""
    return [
        record
        for record in lookups.records(change.data, t.VPC_ENDPOINT)
        if record["id"] != change.id
        and lookups.out(record, "vpcId") == vpc
        and lookups.out(record, "serviceName") == service
    ]


def _check_route_tables(change: Change, vpc: str, service: str, fail: Refusal) -> None:
    prefix_list = service_prefix_list(change.region, service)
    taken = {
        table
        for other in _others(change, vpc, service)
        if lookups.out(other, "vpcEndpointType") == GATEWAY
        for table in lookups.endpoint_members(change.data, other, "routeTableIds")
    }
    for table in _ids(change, "routeTableIds"):
        owner = routing.route_table_vpc(change.data, change.config, table)
        if owner is None:
            raise fail(
                "InvalidRouteTableId.NotFound", f"The routeTable ID '{table}' does not exist"
            )
        if owner != vpc:
            raise fail("InvalidParameter", f"The route table {table} does not belong to {vpc}")
        if table in taken:
            raise fail(
                "InvalidParameter",
                f"route table {table} already has a route with destination-prefix-list-id "
                f"{prefix_list}",
            )


def _check_placement(change: Change, vpc: str, fail: Refusal) -> None:
    zones: dict[str, str] = {}
    for subnet_id in _ids(change, "subnetIds"):
        subnet = lookups.subnet(change.data, change.config, subnet_id)
        if subnet is None:
            raise fail("InvalidSubnetID.NotFound", f"The subnet ID '{subnet_id}' does not exist")
        if subnet.vpc_id != vpc:
            raise fail("InvalidParameter", f"The subnet {subnet_id} does not belong to {vpc}")
        if subnet.zone in zones:
            raise fail(
                "DuplicateSubnetsInSameZone",
                f"Found another VPC endpoint subnet in the availability zone of "
                f"{zones[subnet.zone]}. VPC endpoint subnets should be in different "
                "availability zones supported by the VPC endpoint service.",
            )
        zones[subnet.zone] = subnet_id
    for group in _ids(change, "securityGroupIds"):
        owner = lookups.security_group_vpc(change.data, group)
        if owner is None and group == default_security_group_of(vpc):
            continue
        if owner != vpc:
            raise fail(
                "InvalidGroup.NotFound",
                f"The security group '{group}' does not exist in VPC '{vpc}'",
            )


def _check_private_dns(change: Change, vpc: str, service: str, fail: Refusal) -> None:
    support, hostnames = lookups.vpc_dns(change.data, change.config, vpc)
    if not (support and hostnames):
        raise fail(
            "InvalidParameter",
            "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
            f"attributes set to true for {vpc}",
        )
    if any(lookups.out(other, "privateDnsEnabled") for other in _others(change, vpc, service)):
        raise fail(
            "InvalidParameter",
            "private-dns-enabled cannot be set because there is already a conflicting DNS "
            f"domain for {private_dns_name(change.region, service)} in the VPC {vpc}",
        )


def _check(change: Change, action: str, operation: str) -> None:
    fail: Refusal = partial(ec2, action, operation)
    vpc, service = str(change.get("vpcId")), str(change.get("serviceName"))
    kind = change.get("vpcEndpointType", GATEWAY)
    if kind == GATEWAY:
        if _ids(change, "subnetIds"):
            raise fail(
                "InvalidParameter",
                "Subnet IDs are only supported for Interface and GatewayLoadBalancer type "
                "VPC Endpoints.",
            )
        _check_route_tables(change, vpc, service, fail)
        return
    _check_placement(change, vpc, fail)
    if change.get("privateDnsEnabled") is True:
        _check_private_dns(change, vpc, service, fail)


def create_vpc_endpoint(change: Change) -> None:
    vpc = str(change.get("vpcId"))
    service = str(change.get("serviceName"))
    action = f"creating EC2 VPC Endpoint ({service})"
    require_vpc(change, vpc, action, "CreateVpcEndpoint")
    if not service.startswith(endpoint_service(change.region, "")):
        raise ec2(
            action,
            "CreateVpcEndpoint",
            "InvalidServiceName",
            f"The Vpc Endpoint Service '{service}' does not exist",
        )
    _check(change, action, "CreateVpcEndpoint")
    if change.get("vpcEndpointType") == INTERFACE and not _ids(change, "securityGroupIds"):
        change.outputs["securityGroupIds"] = [default_security_group_of(vpc)]


def update_vpc_endpoint(change: Change) -> None:
    keys = ("subnetIds", "securityGroupIds", "routeTableIds", "privateDnsEnabled")
    if any(change.changed(key) for key in keys):
        _check(change, f"modifying EC2 VPC Endpoint ({change.id})", "ModifyVpcEndpoint")
