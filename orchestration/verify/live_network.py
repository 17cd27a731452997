"""Read the compute stack's network live: its VPC, the VPC's flow logs and their log groups, and
production's load balancers, in the security rules' input shape (read-only, as `live.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from orchestration.verify.live import LiveReadError, all_pages, aws_call, key_arn
from program.policy import Resource
from shared import aws_types as t

CLOUDWATCH_LOGS = "cloud-watch-logs"
# A log group's ARN: `arn:<partition>:logs:<region>:<account>:log-group:<name>[:*]`.
LOG_GROUP_ARN_MARKER = ":log-group:"


def vpc_resources(ec2: Any, vpc_id: str) -> list[Resource]:
    """The VPC and the flow logs that record it (one group: the rule relates them)."""
    found = aws_call(f"VPC {vpc_id}", ec2.describe_vpcs, VpcIds=[vpc_id]) or {}
    vpcs = found.get("Vpcs", [])
    if not vpcs:
        raise LiveReadError(f"VPC {vpc_id} not found")
    props = {"cidrBlock": vpcs[0].get("CidrBlock")}
    vpc = Resource(t.VPC, vpc_id, props, urn=vpc_id, id=vpc_id)
    return [vpc, *(_flow_log(log) for log in _flow_logs(ec2, vpc_id))]


def _flow_logs(ec2: Any, vpc_id: str) -> list[Mapping[str, Any]]:
    found = all_pages(
        f"flow logs of {vpc_id}",
        ec2,
        "describe_flow_logs",
        Filters=[{"Name": "resource-id", "Values": [vpc_id]}],
    )
    return list(found.get("FlowLogs", []))


def _flow_log(described: Mapping[str, Any]) -> Resource:
    flow_log_id = str(described["FlowLogId"])
    props = {
        "vpcId": described.get("ResourceId"),
        "trafficType": described.get("TrafficType"),
        "logDestinationType": described.get("LogDestinationType"),
        "logDestination": described.get("LogDestination"),
        "iamRoleArn": described.get("DeliverLogsPermissionArn"),
    }
    return Resource(t.FLOW_LOG, flow_log_id, props, urn=flow_log_id, id=flow_log_id)


def log_group_name(flow_log: Mapping[str, Any]) -> str | None:
    """The log group a flow log writes into; None when it writes elsewhere (S3, Firehose).

    A flow log created with the group's ARN (as the program creates it) names the group in
    LogDestination; one created with the group's name in LogGroupName.
    """
    if flow_log.get("LogDestinationType", CLOUDWATCH_LOGS) != CLOUDWATCH_LOGS:
        return None
    if flow_log.get("LogGroupName"):
        return str(flow_log["LogGroupName"])
    destination = str(flow_log.get("LogDestination") or "")
    if LOG_GROUP_ARN_MARKER not in destination:
        return None
    name = destination.split(LOG_GROUP_ARN_MARKER, 1)[1]
    return name.removesuffix(":*")


def log_group_resources(ec2: Any, logs: Any, kms: Any, vpc_id: str) -> list[Resource]:
    """The CloudWatch log groups the VPC's flow logs write into: their key and retention."""
    resources: list[Resource] = []
    for flow_log in _flow_logs(ec2, vpc_id):
        name = log_group_name(flow_log)
        if name is None or any(resource.name == name for resource in resources):
            continue
        resources.append(_log_group(logs, kms, name, str(flow_log["FlowLogId"])))
    return resources


def _log_group(logs: Any, kms: Any, name: str, flow_log_id: str) -> Resource:
    found = all_pages(f"log group {name}", logs, "describe_log_groups", logGroupNamePrefix=name)
    groups = [group for group in found.get("logGroups", []) if group.get("logGroupName") == name]
    if not groups:
        raise LiveReadError(
            f"log group {name} not found, though flow log {flow_log_id} writes into it"
        )
    group = groups[0]
    props = {
        "name": name,
        "kmsKeyId": key_arn(kms, group.get("kmsKeyId")),
        # Absent when the group never expires its events.
        "retentionInDays": group.get("retentionInDays"),
    }
    return Resource(t.LOG_GROUP, name, props, urn=name, id=name)


def load_balancer_resources(elbv2: Any, vpc_id: str, url: str) -> list[Resource]:
    """The compute stack's load balancers with their scheme and access log attributes.

    Those in the stack's VPC (it belongs to the compute stack alone) and the one whose DNS
    name the URL names. The URL alone would not do: with a certificate and a domain name it
    names the domain, not the balancer.
    """
    host = (urlsplit(url).hostname or "").lower()
    found = all_pages("load balancers", elbv2, "describe_load_balancers")
    balancers = [
        balancer
        for balancer in found.get("LoadBalancers", [])
        if balancer.get("VpcId") == vpc_id or str(balancer.get("DNSName", "")).lower() == host
    ]
    if not balancers:
        raise LiveReadError(
            f"no load balancer found in VPC {vpc_id} or at {host or url!r}; production's web "
            "servers are reached through one"
        )
    return [_load_balancer(elbv2, balancer) for balancer in balancers]


def _load_balancer(elbv2: Any, described: Mapping[str, Any]) -> Resource:
    arn = str(described["LoadBalancerArn"])
    found = aws_call(
        f"attributes of load balancer {arn}",
        elbv2.describe_load_balancer_attributes,
        LoadBalancerArn=arn,
    )
    attributes = {item["Key"]: item.get("Value") for item in (found or {}).get("Attributes", [])}
    props = {
        "name": described.get("LoadBalancerName"),
        "internal": described.get("Scheme") == "internal",
        "loadBalancerType": described.get("Type"),
        "accessLogs": {
            # ELB reports "true"/"false"; unreported is ELB's default, off.
            "enabled": attributes.get("access_logs.s3.enabled") == "true",
            "bucket": attributes.get("access_logs.s3.bucket") or None,
            "prefix": attributes.get("access_logs.s3.prefix") or None,
        },
    }
    name = str(described.get("LoadBalancerName") or arn)
    return Resource(t.LOAD_BALANCER, name, props, urn=arn, id=arn)
