"""The compute stack's network in moto, built with boto3 the way the compute program builds it:
its own VPC with subnets in two zones, a flow log of all traffic into an encrypted log group
with a retention, and (production) an internet-facing ALB logging into the log bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from shared.topology import LOAD_BALANCER_LOG_PREFIX

ACCOUNT = "123456789012"
VPC_CIDR = "10.0.0.0/16"
ZONES = {"us-west-2a": "10.0.1.0/24", "us-west-2b": "10.0.2.0/24"}
FLOW_LOG_ROLE = f"arn:aws:iam::{ACCOUNT}:role/webapp-development-flow-logs"
# Pulumi's auto-name of production's balancer: `<logical name>-<7 random>`.
LOAD_BALANCER_NAME = "webapp-production-web-lb-1a2b3c4"


@dataclass(frozen=True)
class Network:
    """What the compute program's network leaves behind."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    log_group: str
    flow_log_id: str


def build_network(
    session: boto3.Session, key_arn: str, log_group: str, retention_days: int
) -> Network:
    """The VPC, a public subnet per zone, and its flow log into an encrypted log group."""
    ec2, logs = session.client("ec2"), session.client("logs")
    vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    subnet_ids = tuple(
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for zone, cidr in ZONES.items()
    )
    encrypted_log_group(logs, log_group, key_arn, retention_days)
    flow_log_id = flow_log(ec2, vpc_id, log_group_arn(logs, log_group), "ALL")
    return Network(vpc_id, subnet_ids, log_group, flow_log_id)


def encrypted_log_group(
    logs: Any, name: str, key_arn: str | None, retention_days: int | None
) -> None:
    """A log group as `program/components/flow_logs.py` creates it (key and retention)."""
    logs.create_log_group(logGroupName=name, **({"kmsKeyId": key_arn} if key_arn else {}))
    if retention_days is not None:
        logs.put_retention_policy(logGroupName=name, retentionInDays=retention_days)


def log_group_arn(logs: Any, name: str) -> str:
    """The group's ARN without the `:*` the flow log's destination does not take."""
    (group,) = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return str(group["arn"]).removesuffix(":*")


def flow_log(ec2: Any, vpc_id: str, destination: str, traffic: str) -> str:
    """A flow log into the log group's ARN (the program passes the ARN, not the name)."""
    created = ec2.create_flow_logs(
        ResourceType="VPC",
        ResourceIds=[vpc_id],
        TrafficType=traffic,
        LogDestinationType="cloud-watch-logs",
        LogDestination=destination,
        DeliverLogsPermissionArn=FLOW_LOG_ROLE,
    )
    return str(created["FlowLogIds"][0])


def load_balancer(session: boto3.Session, network: Network, group_id: str, log_bucket: str) -> str:
    """An internet-facing ALB in the public subnets, its access logs into `log_bucket`."""
    elbv2 = session.client("elbv2")
    arn = elbv2.create_load_balancer(
        Name=LOAD_BALANCER_NAME,
        Subnets=list(network.subnet_ids),
        SecurityGroups=[group_id],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    set_access_logs(session, str(arn), enabled=True, bucket=log_bucket)
    return str(arn)


def set_access_logs(session: boto3.Session, arn: str, *, enabled: bool, bucket: str) -> None:
    """The balancer's access log attributes (ELB takes them as text)."""
    session.client("elbv2").modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": str(enabled).lower()},
            {"Key": "access_logs.s3.bucket", "Value": bucket},
            {"Key": "access_logs.s3.prefix", "Value": LOAD_BALANCER_LOG_PREFIX},
        ],
    )
