"""TEST-ONLY stand-in: what EC2 refuses for networks and moto 5.2 accepts.

Each refusal asks the emulated account (describe calls) what it needs and raises the AwsError
EC2 would answer, before the kind makes the call moto would accept. What moto already refuses
(a subnet outside its VPC or overlapping another, a duplicate group name in a VPC, a missing
VPC for subnets, gateways and endpoints, a missing route table or subnet of an endpoint, a
flow log without destination or role) is left to moto.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from shared.aws_facts import VPC_FLOW_LOGS_SERVICE
from tests.engine.standin_aws.ec2 import by, call, describe, instances, prefix_list
from tests.engine.standin_aws.errors import AwsError, ec2
from tests.engine.standin_aws.kinds.base import Op
from tests.engine.standin_aws.reach import instance_groups
from tests.engine.standin_aws.refusals.policies import allows

# Builds the refusal of the call being checked from an error code and a message.
Refusal = Callable[[str, str], AwsError]
_LIVE = {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}


# -- what a deletion leaves behind ------------------------------------------------------------


def _instances(op: Op, *filters: dict[str, Any]) -> list[dict[str, Any]]:
    return instances(op, Filters=[*filters, _LIVE])


def _load_balancers(op: Op) -> list[dict[str, Any]]:
    answer = op.call("checking DescribeLoadBalancers", "elbv2", "DescribeLoadBalancers")
    return list(answer["LoadBalancers"])


def _endpoints(op: Op, vpc_id: str | None = None) -> list[dict[str, Any]]:
    filters = by(vpc_id=vpc_id) if vpc_id else []
    endpoints = describe(op, "DescribeVpcEndpoints", "VpcEndpoints", Filters=filters)
    return [endpoint for endpoint in endpoints if endpoint.get("State") != "deleted"]


def _dependency(action: str, operation: str, message: str, users: list[str]) -> None:
    if users:
        raise ec2(action, operation, "DependencyViolation", message)


def _referenced(rule: dict[str, Any]) -> Any:
    return (rule.get("ReferencedGroupInfo") or {}).get("GroupId")


def group_unused(op: Op, group_id: str, action: str) -> None:
    """DeleteSecurityGroup: "If you attempt to delete a security group that is associated with
    an instance or network interface, or is referenced by another security group in the same
    VPC, the operation fails with DependencyViolation" (EC2 API Reference, DeleteSecurityGroup;
    a load balancer's and an interface endpoint's network interfaces hold their groups)."""
    rules = describe(op, "DescribeSecurityGroupRules", "SecurityGroupRules")
    users = [i["InstanceId"] for i in _instances(op) if group_id in instance_groups(i)]
    users += [
        lb["LoadBalancerArn"]
        for lb in _load_balancers(op)
        if group_id in (lb.get("SecurityGroups") or [])
    ]
    users += [
        e["VpcEndpointId"]
        for e in _endpoints(op)
        if group_id in [g["GroupId"] for g in e.get("Groups") or []]
    ]
    users += [
        r["GroupId"] for r in rules if r["GroupId"] != group_id and _referenced(r) == group_id
    ]
    _dependency(action, "DeleteSecurityGroup", f"resource {group_id} has a dependent object", users)


def subnet_unused(op: Op, subnet_id: str, action: str) -> None:
    """DeleteSubnet: "You must terminate all running instances in the subnet before you can
    delete the subnet" (EC2 API Reference, DeleteSubnet); the network interfaces of load
    balancers and interface endpoints in it are its dependencies too (DependencyViolation)."""
    users = [i["InstanceId"] for i in _instances(op, *by(subnet_id=subnet_id))]
    zones = [
        (lb, z.get("SubnetId"))
        for lb in _load_balancers(op)
        for z in lb.get("AvailabilityZones") or []
    ]
    users += [lb["LoadBalancerArn"] for lb, subnet in zones if subnet == subnet_id]
    users += [e["VpcEndpointId"] for e in _endpoints(op) if subnet_id in (e.get("SubnetIds") or [])]
    message = f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
    _dependency(action, "DeleteSubnet", message, users)


def require_vpc(op: Op, vpc_id: str, action: str, operation: str) -> None:
    """CreateSecurityGroup in a VPC that does not exist: InvalidVpcID.NotFound (EC2 API
    Reference, Error codes); moto creates the group anyway."""
    if not describe(op, "DescribeVpcs", "Vpcs", Filters=by(vpc_id=vpc_id)):
        message = f"The vpc ID '{vpc_id}' does not exist"
        raise ec2(action, operation, "InvalidVpcID.NotFound", message)


# -- VPC endpoints ----------------------------------------------------------------------------


def _ids(op: Op, key: str) -> list[str]:
    return [str(item) for item in op.get(key) or []]


def _route_tables(op: Op, vpc: str, endpoint_id: str | None, fail: Refusal) -> None:
    """A Gateway endpoint routes its service's prefix list in each of its tables, which must be
    its VPC's, and a table holds one route per prefix list ("route table ... already has a route
    with destination-prefix-list-id"; AWS PrivateLink guide, Gateway endpoints, Routing)."""
    tables = _ids(op, "routeTableIds")
    if not tables:
        return
    listed = prefix_list(op, str(op.get("serviceName")))
    for table in describe(op, "DescribeRouteTables", "RouteTables", RouteTableIds=tables):
        table_id = table["RouteTableId"]
        if table["VpcId"] != vpc:
            raise fail("InvalidParameter", f"The route table {table_id} does not belong to {vpc}")
        for route in table["Routes"]:
            ours = route.get("GatewayId", "") == endpoint_id
            if listed and route.get("DestinationPrefixListId") == listed and not ours:
                message = (
                    f"route table {table_id} already has a route with destination-prefix-list-id"
                )
                raise fail("InvalidParameter", f"{message} {listed}")


def _placement(op: Op, vpc: str, fail: Refusal) -> None:
    """An Interface endpoint takes subnets of its VPC, one per availability zone
    (DuplicateSubnetsInSameZone), and security groups of its VPC (AWS PrivateLink guide,
    Interface endpoints: "You can select one subnet per Availability Zone")."""
    zones: dict[str, str] = {}
    subnets = _ids(op, "subnetIds")
    for subnet in describe(op, "DescribeSubnets", "Subnets", SubnetIds=subnets) if subnets else []:
        subnet_id, zone = subnet["SubnetId"], subnet["AvailabilityZone"]
        if subnet["VpcId"] != vpc:
            raise fail("InvalidParameter", f"The subnet {subnet_id} does not belong to {vpc}")
        if zone in zones:
            raise fail(
                "DuplicateSubnetsInSameZone",
                f"Found another VPC endpoint subnet in the availability zone of {zones[zone]}. "
                "VPC endpoint subnets should be in different availability zones supported by "
                "the VPC endpoint service.",
            )
        zones[zone] = subnet_id
    groups = describe(op, "DescribeSecurityGroups", "SecurityGroups", Filters=by(vpc_id=vpc))
    known = {group["GroupId"] for group in groups}
    for group in _ids(op, "securityGroupIds"):
        if group not in known:
            message = f"The security group '{group}' does not exist in VPC '{vpc}'"
            raise fail("InvalidGroup.NotFound", message)


def _private_dns(op: Op, vpc: str, endpoint_id: str | None, fail: Refusal) -> None:
    """Private DNS needs both DNS attributes of the VPC, and one endpoint per VPC holds a
    service's private DNS name (AWS PrivateLink guide, "DNS attributes for your VPC" and
    "Private DNS"): a create-before-delete replacement of such an endpoint is refused."""
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        answer = call(op, "checking", "DescribeVpcAttribute", VpcId=vpc, Attribute=attribute)
        if not answer[attribute[0].upper() + attribute[1:]]["Value"]:
            raise fail(
                "InvalidParameter",
                "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
                f"attributes set to true for {vpc}",
            )
    service = str(op.get("serviceName"))
    for other in _endpoints(op, vpc):
        taken = other["VpcEndpointType"] == "Interface" and other.get("PrivateDnsEnabled")
        if taken and other["ServiceName"] == service and other["VpcEndpointId"] != endpoint_id:
            name = ".".join(
                reversed(service.removeprefix(f"com.amazonaws.{op.region}.").split("."))
            )
            raise fail(
                "InvalidParameter",
                "private-dns-enabled cannot be set because there is already a conflicting DNS "
                f"domain for {name}.{op.region}.amazonaws.com in the VPC {vpc}",
            )


def vpc_endpoint(op: Op, action: str, operation: str, endpoint_id: str | None) -> None:
    """CreateVpcEndpoint and ModifyVpcEndpoint (`endpoint_id`): a service of the endpoint's
    region (InvalidServiceName), no subnets for a Gateway endpoint ("Subnet IDs are only
    supported for Interface and GatewayLoadBalancer type VPC Endpoints"), and the rules above."""
    fail: Refusal = partial(ec2, action, operation)
    vpc, service = str(op.get("vpcId")), str(op.get("serviceName"))
    if not service.startswith(f"com.amazonaws.{op.region}."):
        raise fail("InvalidServiceName", f"The Vpc Endpoint Service '{service}' does not exist")
    if op.get("vpcEndpointType", "Gateway") == "Gateway":
        if _ids(op, "subnetIds"):
            kinds = "Interface and GatewayLoadBalancer type VPC Endpoints"
            raise fail("InvalidParameter", f"Subnet IDs are only supported for {kinds}.")
        _route_tables(op, vpc, endpoint_id, fail)
        return
    _placement(op, vpc, fail)
    if op.get("privateDnsEnabled") is True:
        _private_dns(op, vpc, endpoint_id, fail)


# -- flow logs --------------------------------------------------------------------------------


def flow_log(op: Op, action: str) -> None:
    """CreateFlowLogs: into S3 no role ("DeliverLogsPermissionArn is not applicable for s3
    delivery"); into CloudWatch Logs a role vpc-flow-logs.amazonaws.com may assume ("Unable to
    assume given IAM role"; VPC User Guide, "IAM role for publishing flow logs to CloudWatch
    Logs"). The provider retries the latter for IAM's propagation before failing."""
    fail: Refusal = partial(ec2, action, "CreateFlowLogs")
    role = op.get("iamRoleArn")
    kind = op.get("logDestinationType", "cloud-watch-logs")
    if kind == "s3" and role:
        raise fail("InvalidParameter", "DeliverLogsPermissionArn is not applicable for s3 delivery")
    if kind != "cloud-watch-logs" or not role or not op.get("logDestination"):
        return  # moto refuses a CloudWatch Logs flow log without role or destination itself
    try:
        role_name = str(role).rsplit("/", 1)[-1]
        document = op.call(action, "iam", "GetRole", RoleName=role_name)["Role"]
        trust = json.dumps(document["AssumeRolePolicyDocument"])
    except AwsError:
        trust = None
    # The flow log's ARN is not known yet: any id of this account and region stands for it.
    source = {"aws:SourceAccount": op.aws.id, "aws:SourceArn": op.arn("ec2", "vpc-flow-log/fl-new")}
    if not allows(trust, "sts:AssumeRole", {"Service": VPC_FLOW_LOGS_SERVICE}, source):
        raise fail("InvalidParameter", f"Unable to assume given IAM role: '{role}'")
