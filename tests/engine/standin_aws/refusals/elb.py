"""TEST-ONLY stand-in: what Elastic Load Balancing v2 refuses and the emulator accepts.

The emulator already refuses a certificate that does not exist in the region
(CertificateNotFound), a listener forwarding to a missing target group (TargetGroupNotFound),
deleting a target group a listener uses (ResourceInUse) and a target group name taken with
other settings (DuplicateTargetGroupName; kinds/elb.py words it as AWS does).
"""

from __future__ import annotations

from functools import partial
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
    message = f"A load balancer with the same name '{name}' exists, but with different settings"
    action = f"creating ELBv2 {kind} Load Balancer ({name})"
    raise elbv2(action, "CreateLoadBalancer", "DuplicateLoadBalancerName", message)


def placement(
    op: Op, action: str, operation: str, subnet_ids: list[str], vpc: str | None = None
) -> str | None:
    """The VPC of the subnets, refusing what AWS refuses (API reference: CreateLoadBalancer
    and SetSubnets: SubnetNotFound, "You must specify subnets from at least two Availability
    Zones"; a load balancer lives in one VPC). The emulator fails on a missing subnet."""
    filters = [{"Name": "subnet-id", "Values": subnet_ids}]
    subnets = op.call(action, "ec2", "DescribeSubnets", Filters=filters)["Subnets"]
    known = {subnet["SubnetId"] for subnet in subnets}
    missing = [subnet_id for subnet_id in subnet_ids if subnet_id not in known]
    if missing:
        message = f"The subnet ID '{missing[0]}' is not valid"
        raise elbv2(action, operation, "SubnetNotFound", message)
    vpcs = sorted({subnet["VpcId"] for subnet in subnets})
    zones = [subnet["AvailabilityZone"] for subnet in subnets]
    application = op.get("loadBalancerType", "application") == "application"
    refused = {
        f"The subnets must all be in one VPC, not in {', '.join(vpcs)}": len(vpcs) > 1,
        f"The subnets must be in the load balancer's VPC '{vpc}'": vpc not in (None, *vpcs[:1]),
        "A load balancer cannot be attached to two subnets of one zone": len(set(zones))
        < len(zones),
        "At least two subnets in two different Availability Zones must be specified": application
        and len(zones) < 2,
    }
    for message in (message for message, wrong in refused.items() if wrong):
        raise _invalid(action, operation, message)
    return vpcs[0] if vpcs else None


def gateway_attached(op: Op, action: str, vpc: str) -> None:
    """AWS (ELB User Guide, "Internet-facing load balancers"): the VPC needs an internet
    gateway attached when the balancer is created (InvalidSubnet otherwise), so ordering
    against the gateway's attachment matters."""
    filters = [{"Name": "attachment.vpc-id", "Values": [vpc]}]
    gateways = op.call(action, "ec2", "DescribeInternetGateways", Filters=filters)
    attachments = [a for g in gateways["InternetGateways"] for a in g.get("Attachments", [])]
    if not any(
        a.get("VpcId") == vpc and a.get("State") in ("available", "attached") for a in attachments
    ):
        raise elbv2(
            action, "CreateLoadBalancer", "InvalidSubnet", f"VPC {vpc} has no internet gateway"
        )


def deletion_unprotected(op: Op, arn: str) -> None:
    """AWS (ALB User Guide, "Deletion protection"): a protected balancer cannot be deleted."""
    attributes = op.aws.client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)
    if {"Key": "deletion_protection.enabled", "Value": "true"} in attributes["Attributes"]:
        message = f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled"
        action = f"deleting ELBv2 Load Balancer ({arn})"
        raise elbv2(action, "DeleteLoadBalancer", "OperationNotPermitted", message)


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
        message = f"Access Denied for bucket: {bucket}. Please check S3bucket permission"
        action = f"modifying ELBv2 Load Balancer ({arn}) attributes"
        raise _invalid(action, "ModifyLoadBalancerAttributes", message)


def listener(op: Op, action: str, operation: str, *, port_changed: bool = True) -> None:
    """AWS (API reference: CreateListener, ModifyListener): an HTTPS or TLS listener needs a
    certificate and an existing security policy, a port takes one listener, a redirect answers
    301 or 302 (ValidationError), forwarded groups are in the balancer's VPC."""
    balancer = str(op.get("loadBalancerArn"))
    elb = op.aws.client("elbv2")
    fail = partial(elbv2, action, operation)
    if op.get("protocol") in TLS_PROTOCOLS:
        if not op.get("certificateArn"):
            raise fail("ValidationError", "A certificate must be specified for HTTPS listeners")
        policy = op.get("sslPolicy")
        if policy and not elb.describe_ssl_policies(Names=[policy])["SslPolicies"]:
            raise fail("SSLPolicyNotFound", f"SSL policy '{policy}' not found")
    if port_changed:
        listeners = elb.describe_listeners(LoadBalancerArn=balancer)["Listeners"]
        if any(item["Port"] == int(op.get("port", 0)) for item in listeners):
            message = f"A listener already exists on this port for this load balancer '{balancer}'"
            raise fail("DuplicateListener", message)
    actions: list[dict[str, Any]] = op.get("defaultActions") or []
    for item in actions:
        code = (item.get("redirect") or {}).get("statusCode")
        if item.get("type") == "redirect" and code not in REDIRECT_CODES:
            message = f"Redirect status code must be one of {', '.join(REDIRECT_CODES)}"
            raise fail("ValidationError", message)
    groups = {str(item["targetGroupArn"]) for item in actions if item.get("targetGroupArn")}
    lbs = elb.describe_load_balancers()["LoadBalancers"] if groups else []
    vpc = next((lb["VpcId"] for lb in lbs if lb["LoadBalancerArn"] == balancer), None)
    # Missing groups (and a missing balancer) are the emulator's to refuse.
    for group in elb.describe_target_groups()["TargetGroups"] if vpc else []:
        if group["TargetGroupArn"] in groups and group["VpcId"] != vpc:
            arn = group["TargetGroupArn"]
            message = f"Target group '{arn}' is in a different VPC than load balancer '{balancer}'"
            raise _invalid(action, operation, message)
