"""VPC flow logs: every accepted and rejected connection of the VPC, kept in CloudWatch Logs.

The log group is encrypted with the security layer's key (whose policy lets CloudWatch Logs use
it for the environment's log groups only: `program/components/kms_key.py`) and kept for the
environment's retention period. The flow logs service writes through a role that only it can
assume, for this account's flow logs, and that may write only into this log group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.aws_facts import VPC_FLOW_LOGS_SERVICE
from shared.limits import LOG_RETENTION_DAYS

# What the service does with the group: create its streams and put events into them. Creating
# the group is not among them: the group exists, encrypted, before the flow log does.
STREAM_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
# A list call: IAM cannot narrow it to one group, only to the account's groups in the region.
LIST_ACTIONS = ("logs:DescribeLogGroups",)


@dataclass(frozen=True)
class FlowLogsArgs:
    """The VPC, and where its flow logs go and for how long."""

    vpc_id: pulumi.Input[str]
    # `shared.naming.log_group_name`: under the prefix the key policy names.
    log_group_name: str
    retention_days: int
    kms_key_arn: pulumi.Input[str]
    # `shared.naming.iam_role_name`.
    role_name: str

    def __post_init__(self) -> None:
        if self.retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"{self.retention_days} days is not a CloudWatch Logs retention period "
                f"({', '.join(map(str, LOG_RETENTION_DAYS))})"
            )


def trust_policy(account_id: str, partition: str, region: str) -> dict[str, Any]:
    """Only the flow logs service may assume the role, and only for this account's flow logs
    (no confused deputy: another account's flow log cannot write through it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FlowLogsAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": VPC_FLOW_LOGS_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"
                    },
                },
            }
        ],
    }


def delivery_policy(log_group_arn: str) -> dict[str, Any]:
    """Write into this log group's streams; list the groups (a call IAM cannot narrow)."""
    groups = log_group_arn.split(":log-group:", maxsplit=1)[0] + ":log-group:*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteFlowLogStreams",
                "Effect": "Allow",
                "Action": list(STREAM_ACTIONS),
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {
                "Sid": "FindTheLogGroup",
                "Effect": "Allow",
                "Action": list(LIST_ACTIONS),
                "Resource": groups,
            },
        ],
    }


class FlowLogs(pulumi.ComponentResource):
    """Log group (customer key, retention), delivery role, and the VPC's flow log (ALL)."""

    log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: FlowLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:FlowLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Whose flow logs the role writes: the provider's account, partition and region.
        lookup = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=lookup).account_id
        partition = aws.get_partition_output(opts=lookup).partition
        region = aws.get_region_output(opts=lookup).region
        group = aws.cloudwatch.LogGroup(
            name,
            name=args.log_group_name,
            retention_in_days=args.retention_days,
            kms_key_id=args.kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            name,
            name=args.role_name,
            description=f"VPC flow logs write into {args.log_group_name}",
            assume_role_policy=pulumi.Output.all(account, partition, region).apply(
                lambda values: json.dumps(trust_policy(*values))
            ),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-delivery",
            role=role.name,
            name="write-flow-logs",
            policy=group.arn.apply(lambda arn: json.dumps(delivery_policy(arn))),
            opts=child,
        )
        aws.ec2.FlowLog(
            name,
            vpc_id=args.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            tags={"Name": name},
            # Delivery starts at once: the role must already be allowed to write.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.log_group_name = group.name
        self.register_outputs({"log_group_name": self.log_group_name})
