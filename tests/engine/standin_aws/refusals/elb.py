"""TEST-ONLY stand-in: what Elastic Load Balancing v2 refuses and the emulator accepts.

The emulator already refuses a certificate that does not exist in the region
(CertificateNotFound), a listener forwarding to a missing target group (TargetGroupNotFound),
deleting a target group a listener uses (ResourceInUse) and a target group name taken with
other settings (DuplicateTargetGroupName; kinds/elb.py words it as AWS does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.aws_facts import ELB_LOG_ACCOUNTS
from tests.engine.standin_aws.errors import AwsError, ProviderError, elbv2
from tests.engine.standin_aws.kinds.base import Op
from tests.engine.standin_aws.refusals.policies import allows

LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
REDIRECT_CODES = ("HTTP_301", "HTTP_302")
TLS_PROTOCOLS = ("HTTPS", "TLS")


def _invalid(action: str, operation: str, message: str) -> AwsError:
    return elbv2(action, operation, "InvalidConfigurationRequest", message)


def name_free(op: Op, name: str, kind: str) -> None:
    """AWS: CreateLoadBalancer, DuplicateLoadBalancerName ("A load balancer with the same name
    exists, but with different settings"). terraform-provider-aws (`resourceLoadBalancerCreate`)
    looks the name up first and refuses a balancer of the same type itself."""
    found = op.aws.client("elbv2").describe_load_balancers()["LoadBalancers"]
    existing = next((lb for lb in found if lb["LoadBalancerName"] == name), None)
    if existing is None:
        return
    if existing["Type"] == kind:
        raise ProviderError(f"ELBv2 Load Balancer ({name}) already exists")
    raise elbv2(
        f"creating ELBv2 {kind} Load Balancer ({name})",
        "CreateLoadBalancer",
        "DuplicateLoadBalancerName",
        f"A load balancer with the same name '{name}' exists, but with different settings",
    )


def placement(
    op: Op, action: str, operation: str, subnet_ids: list[str], vpc: str | None = None
) -> str | None:
    """The VPC of the subnets, refusing what AWS refuses (API reference: CreateLoadBalancer
    and SetSubnets: SubnetNotFound, "You must specify subnets from at least two Availability
    Zones"; a load balancer lives in one VPC). The emulator fails on a missing subnet."""
    filters = [{"Name": "subnet-id", "Values": subnet_ids}]
    subnets = op.call(action, "ec2", "DescribeSubnets", Filters=filters)["Subnets"]
    known = {subnet["SubnetId"] for subnet in subnets}
    for subnet_id in subnet_ids:
        if subnet_id not in known:
            raise elbv2(
                action, operation, "SubnetNotFound", f"The subnet ID '{subnet_id}' is not valid"
            )
    vpcs = sorted({subnet["VpcId"] for subnet in subnets})
    zones = [subnet["AvailabilityZone"] for subnet in subnets]
    if len(vpcs) > 1:
        raise _invalid(
            action, operation, f"The subnets must all be in one VPC, not in {', '.join(vpcs)}"
        )
    if vpc is not None and vpcs != [vpc]:
        raise _invalid(action, operation, f"The subnets must be in the load balancer's VPC '{vpc}'")
    if len(set(zones)) != len(zones):
        raise _invalid(
            action, operation, "A load balancer cannot be attached to two subnets of one zone"
        )
    if op.get("loadBalancerType", "application") == "application" and len(zones) < 2:
        raise _invalid(
            action,
            operation,
            "At least two subnets in two different Availability Zones must be specified",
        )
    return vpcs[0] if vpcs else None


def gateway_attached(op: Op, action: str, vpc: str) -> None:
    """AWS (ELB User Guide, "Internet-facing load balancers"): the VPC needs an internet
    gateway attached when the balancer is created (InvalidSubnet otherwise), so ordering
    against the gateway's attachment matters."""
    filters = [{"Name": "attachment.vpc-id", "Values": [vpc]}]
    gateways = op.call(action, "ec2", "DescribeInternetGateways", Filters=filters)
    if not any(
        attachment.get("VpcId") == vpc and attachment.get("State") in ("available", "attached")
        for gateway in gateways["InternetGateways"]
        for attachment in gateway.get("Attachments", [])
    ):
        raise elbv2(
            action, "CreateLoadBalancer", "InvalidSubnet", f"VPC {vpc} has no internet gateway"
        )


def deletion_unprotected(op: Op, arn: str) -> None:
    """AWS (ALB User Guide, "Deletion protection"): a protected balancer cannot be deleted."""
    attributes = op.aws.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)
    if {"Key": "deletion_protection.enabled", "Value": "true"} in attributes["Attributes"]:
        raise elbv2(
            f"deleting ELBv2 Load Balancer ({arn})",
            "DeleteLoadBalancer",
            "OperationNotPermitted",
            f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
        )


def access_log_bucket(op: Op, arn: str, bucket: str) -> None:
    """AWS (ALB User Guide, "Enable access logs"): ELB writes a test object when access logs
    are switched on, so the bucket policy must let the region's ELB account (or, in newer
    regions, the log delivery service) PutObject."""
    s3 = op.aws.client("s3")
    try:
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except s3.exceptions.ClientError:
        policy = None  # no bucket, or no policy: nobody may write
    account = ELB_LOG_ACCOUNTS.get(op.region)
    writer = f"arn:{op.partition}:iam::{account}:root" if account else None
    if not allows(policy, "s3:PutObject", {"Service": LOG_DELIVERY_SERVICE, "AWS": writer}, {}):
        raise _invalid(
            f"modifying ELBv2 Load Balancer ({arn}) attributes",
            "ModifyLoadBalancerAttributes",
            f"Access Denied for bucket: {bucket}. Please check S3bucket permission",
        )


def listener(op: Op, action: str, operation: str, *, port_changed: bool = True) -> None:
    """AWS (API reference: CreateListener, ModifyListener): an HTTPS or TLS listener needs a
    certificate and an existing security policy, a port takes one listener, a redirect answers
    301 or 302 (ValidationError), forwarded groups are in the balancer's VPC."""
    balancer = str(op.get("loadBalancerArn"))
    elb = op.aws.client("elbv2")
    if op.get("protocol") in TLS_PROTOCOLS:
        if not op.get("certificateArn"):
            raise elbv2(
                action,
                operation,
                "ValidationError",
                "A certificate must be specified for HTTPS listeners",
            )
        policy = op.get("sslPolicy")
        if policy and not elb.describe_ssl_policies(Names=[policy])["SslPolicies"]:
            raise elbv2(action, operation, "SSLPolicyNotFound", f"SSL policy '{policy}' not found")
    if port_changed:
        listeners = elb.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
        if any(item["Port"] == int(op.get("port", 0)) for item in listeners):
            raise elbv2(
                action,
                operation,
                "DuplicateListener",
                f"A listener already exists on this port for this load balancer '{balancer}'",
            )
    actions: list[dict[str, Any]] = op.get("defaultActions") or []
    for item in actions:
        code = (item.get("redirect") or {}).get("statusCode")
        if item.get("type") == "redirect" and code not in REDIRECT_CODES:
            raise elbv2(
                action,
                operation,
                "ValidationError",
                f"Redirect status code must be one of {', '.join(REDIRECT_CODES)}",
            )
    _groups_in_vpc(op, action, operation, balancer, _forwarded(actions))


def _forwarded(actions: Iterable[dict[str, Any]]) -> set[str]:
    return {str(item["targetGroupArn"]) for item in actions if item.get("targetGroupArn")}


def _groups_in_vpc(op: Op, action: str, operation: str, balancer: str, groups: set[str]) -> None:
    if not groups:
        return
    elb = op.aws.client("elbv2")
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    vpc = next((lb["VpcId"] for lb in lbs if lb["LoadBalancerArn"] == balancer), None)
    # Missing groups (and a missing balancer) are the emulator's to refuse.
    for group in elb.describe_target_groups()["TargetGroups"]:
        if vpc and group["TargetGroupArn"] in groups and group["VpcId"] != vpc:
            raise _invalid(
                action,
                operation,
                f"Target group '{group['TargetGroupArn']}' is in a different VPC than load "
                f"balancer '{balancer}'",
            )
