"""TEST-ONLY stand-in AWS provider: what Elastic Load Balancing v2 refuses, with its error codes.

- a load balancer's subnets exist (SubnetNotFound), are in one VPC and in distinct zones, two
  zones at least for an Application Load Balancer (InvalidConfigurationRequest); its `vpcId` is
  theirs, and a later subnet change cannot leave that VPC;
- an internet-facing load balancer needs an internet gateway attached to the VPC *at that
  moment* (InvalidSubnet: VPC ... has no internet gateway), so ordering matters;
- access logs need the bucket to let the region's ELB account (or the log delivery service)
  write (InvalidConfigurationRequest: Access Denied for bucket); delivery itself is delivery.py's;
- a load balancer with deletion protection cannot be deleted (OperationNotPermitted);
- a listener's load balancer, certificate (ACM, same region) and SSL policy exist, an HTTPS
  listener has a certificate, its target groups exist and are in the load balancer's VPC, a
  redirect answers 301 or 302;
- a target group a listener or rule forwards to cannot be deleted (ResourceInUse).
Names are unique per account and region: see uniqueness.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import lookups, policies
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.errors import AwsError, elbv2
from tests.engine.standin_aws.functions import invoke
from tests.engine.standin_aws.wire import plain

LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
REDIRECT_CODES = ("HTTP_301", "HTTP_302")
TLS_PROTOCOLS = ("HTTPS", "TLS")


def _subnet_ids(change: Change) -> list[str]:
    mappings = change.get("subnetMappings") or []
    return [str(item) for item in change.get("subnets") or []] + [
        str(mapping["subnetId"]) for mapping in mappings if mapping.get("subnetId")
    ]


def _placement(change: Change, action: str, operation: str) -> tuple[str, list[str]]:
    """(VPC, zones) of the load balancer's subnets, refusing what AWS refuses."""
    subnets = []
    for subnet_id in _subnet_ids(change):
        subnet = lookups.subnet(change.data, change.config, subnet_id)
        if subnet is None:
            raise elbv2(
                action, operation, "SubnetNotFound", f"The subnet ID '{subnet_id}' is not valid"
            )
        subnets.append(subnet)
    vpcs = sorted({subnet.vpc_id for subnet in subnets})
    zones = [subnet.zone for subnet in subnets]
    if len(vpcs) > 1:
        raise elbv2(
            action,
            operation,
            "InvalidConfigurationRequest",
            f"The subnets of a load balancer must all be in one VPC, not in {', '.join(vpcs)}",
        )
    if len(set(zones)) != len(zones):
        raise elbv2(
            action,
            operation,
            "InvalidConfigurationRequest",
            "A load balancer cannot be attached to multiple subnets in the same Availability Zone",
        )
    if change.get("loadBalancerType", "application") == "application" and len(zones) < 2:
        raise elbv2(
            action,
            operation,
            "InvalidConfigurationRequest",
            "At least two subnets in two different Availability Zones must be specified",
        )
    return (vpcs[0] if vpcs else str(change.get("vpcId"))), zones


def create_load_balancer(change: Change) -> None:
    kind = change.get("loadBalancerType", "application")
    action = f"creating ELBv2 {kind} Load Balancer ({change.get('name')})"
    vpc, _ = _placement(change, action, "CreateLoadBalancer")
    if not change.get("internal") and not lookups.internet_attached(
        change.data, change.config, vpc
    ):
        raise elbv2(
            action, "CreateLoadBalancer", "InvalidSubnet", f"VPC {vpc} has no internet gateway"
        )
    change.outputs["vpcId"] = vpc
    problem = access_logs_problem(change)
    if problem is not None:
        # The balancer exists by then: the provider sets its attributes after CreateLoadBalancer.
        change.failure = str(problem)


def update_load_balancer(change: Change) -> None:
    arn = change.id
    if change.changed("subnets") or change.changed("subnetMappings"):
        action = f"setting ELBv2 Load Balancer ({arn}) subnets"
        vpc, _ = _placement(change, action, "SetSubnets")
        current = str(change.live.get("vpcId"))
        if vpc != current:
            raise elbv2(
                action,
                "SetSubnets",
                "InvalidConfigurationRequest",
                f"The subnets must be in the load balancer's VPC '{current}', not in '{vpc}'",
            )
    if change.changed("accessLogs"):
        problem = access_logs_problem(change)
        if problem is not None:
            raise problem


def delete_load_balancer(change: Change) -> None:
    if change.live.get("enableDeletionProtection"):
        arn = change.id
        raise elbv2(
            f"deleting ELBv2 Load Balancer ({arn})",
            "DeleteLoadBalancer",
            "OperationNotPermitted",
            f"Load balancer '{arn}' cannot be deleted because deletion protection is enabled",
        )


def access_logs_problem(change: Change) -> AwsError | None:
    """ELB writes a test object when access logs are switched on: the bucket must let it."""
    logs = change.get("accessLogs") or {}
    if not logs.get("enabled"):
        return None
    bucket = str(logs.get("bucket"))
    account = invoke(
        t.GET_ELB_SERVICE_ACCOUNT,
        {"region": change.region},
        change.config,
        change.data,
    )["arn"]
    policy = lookups.bucket_policy(change.data, bucket)
    writers = (policies.Principal(aws=account), policies.Principal(service=LOG_DELIVERY_SERVICE))
    if lookups.bucket_exists(change.data, bucket) and any(
        policies.allowed(policy, action="s3:PutObject", principal=writer) for writer in writers
    ):
        return None
    return elbv2(
        f"modifying ELBv2 Load Balancer ({change.id}) attributes",
        "ModifyLoadBalancerAttributes",
        "InvalidConfigurationRequest",
        f"Access Denied for bucket: {bucket}. Please check S3bucket permission",
    )


def forwarded_groups(actions: Any) -> Iterator[str]:
    """Target group ARNs a listener's or rule's actions forward to."""
    for action in plain(actions) or []:
        if action.get("targetGroupArn"):
            yield str(action["targetGroupArn"])
        for group in (action.get("forward") or {}).get("targetGroups") or []:
            yield str(group["arn"])


def _check_actions(change: Change, balancer: lookups.Record, action: str, operation: str) -> None:
    for target in forwarded_groups(change.get("defaultActions") or change.get("actions")):
        group = lookups.by_id(change.data, lookups.TARGET_GROUPS, target)
        if group is None:
            raise elbv2(
                action, operation, "TargetGroupNotFound", "One or more target groups not found"
            )
        if lookups.out(group, "vpcId") != lookups.out(balancer, "vpcId"):
            raise elbv2(
                action,
                operation,
                "InvalidConfigurationRequest",
                f"Target group '{target}' is in a different VPC than load balancer "
                f"'{balancer['id']}'",
            )
    for item in change.get("defaultActions") or change.get("actions") or []:
        redirect = item.get("redirect") or {}
        if item.get("type") == "redirect" and redirect.get("statusCode") not in REDIRECT_CODES:
            raise elbv2(
                action,
                operation,
                "ValidationError",
                f"Redirect status code must be one of {', '.join(REDIRECT_CODES)}",
            )


def _check_tls(change: Change, action: str, operation: str) -> None:
    if change.get("protocol") not in TLS_PROTOCOLS:
        return
    certificate = change.get("certificateArn")
    if not certificate:
        raise elbv2(
            action,
            operation,
            "ValidationError",
            "A certificate must be specified for HTTPS listeners",
        )
    found = lookups.by_id(change.data, (t.ACM_CERTIFICATE,), str(certificate))
    in_region = str(certificate).split(":")[3:4] == [change.region]
    if found is None or not in_region or lookups.out(found, "status") != "ISSUED":
        raise elbv2(
            action, operation, "CertificateNotFound", f"Certificate '{certificate}' not found"
        )
    policy = str(change.get("sslPolicy"))
    if not policy.startswith("ELBSecurityPolicy-"):
        raise elbv2(action, operation, "SSLPolicyNotFound", f"SSL policy '{policy}' not found")


def check_listener(change: Change) -> None:
    creating = change.record is None
    balancer_arn = str(change.get("loadBalancerArn"))
    action = (
        f"creating ELBv2 Listener ({balancer_arn})"
        if creating
        else f"modifying ELBv2 Listener ({change.id})"
    )
    operation = "CreateListener" if creating else "ModifyListener"
    balancer = lookups.by_id(change.data, lookups.LOAD_BALANCERS, balancer_arn)
    if balancer is None:
        raise elbv2(
            action, operation, "LoadBalancerNotFound", "One or more load balancers not found"
        )
    _check_tls(change, action, operation)
    _check_actions(change, balancer, action, operation)


def check_listener_rule(change: Change) -> None:
    listener = lookups.by_id(change.data, lookups.LISTENERS, str(change.get("listenerArn")))
    if listener is None:
        return
    balancer = lookups.by_id(
        change.data, lookups.LOAD_BALANCERS, str(lookups.out(listener, "loadBalancerArn"))
    )
    if balancer is not None:
        _check_actions(change, balancer, "creating ELBv2 Listener Rule", "CreateRule")


def delete_target_group(change: Change) -> None:
    arn = change.id
    users = [
        record
        for record in lookups.records(change.data, *lookups.LISTENERS, *lookups.LISTENER_RULES)
        if arn
        in forwarded_groups(
            record["outputs"].get("defaultActions") or record["outputs"].get("actions")
        )
    ]
    if users:
        raise elbv2(
            f"deleting ELBv2 Target Group ({arn})",
            "DeleteTargetGroup",
            "ResourceInUse",
            f"Target group '{arn}' is currently in use by a listener or a rule",
        )
