"""TEST-ONLY stand-in: what AWS refuses for compute and logs, and moto accepts.

Each function raises `AwsError` in the provider's wording before the emulator is called.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from tests.engine.standin_aws.errors import AwsError, autoscaling
from tests.engine.standin_aws.kinds.base import Op
from tests.engine.standin_aws.refusals.kms import refused_actions

# What CloudWatch Logs needs of the key of an encrypted log group.
LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
)
# What the Auto Scaling service-linked role needs of a customer key to launch encrypted volumes.
SLR_KEY_ACTIONS = (
    *LOGS_KEY_ACTIONS,
    "kms:ReEncryptTo",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:CreateGrant",
)
LAUNCH_FAILED = (
    "Instance became unhealthy while waiting for instance to be in InService state. "
    "Termination Reason: Client.InternalError: Client error on launch"
)


def group_name_taken(op: Op, name: str) -> None:
    """Auto Scaling group names are unique per account and region (moto overwrites the group).
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html"""
    action, names = f"creating Auto Scaling Group ({name})", [name]
    found = op.call(action, "autoscaling", "DescribeAutoScalingGroups", AutoScalingGroupNames=names)
    if found["AutoScalingGroups"]:
        message = f"AutoScalingGroup by this name already exists - A group with the name {name}"
        message += " already exists"
        raise autoscaling(action, "CreateAutoScalingGroup", "AlreadyExists", message)


def capacity_out_of_bounds(op: Op, name: str, creating: bool) -> None:
    """The desired capacity lies between the minimum and maximum size (moto takes any).
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-capacity-limits.html"""
    low, high = int(op.get("minSize", 0)), int(op.get("maxSize", 0))
    desired = int(op.get("desiredCapacity", low))
    if not low <= desired <= high:
        doing, operation = ("creating", "Create") if creating else ("updating", "Update")
        message = f"Desired capacity:{desired} must be between the specified min size:{low} and"
        message += f" max size:{high}"
        action, operation = f"{doing} Auto Scaling Group ({name})", f"{operation}AutoScalingGroup"
        raise autoscaling(action, operation, "ValidationError", message)


def target_groups_missing(op: Op, name: str) -> None:
    """A group's target groups must exist; AWS checks before it makes the group (moto refuses
    too, but keeps the group it made).
    https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html"""
    arns = op.get("targetGroupArns") or []
    elbv2 = op.aws.client("elbv2")
    try:
        if arns:
            elbv2.describe_target_groups(TargetGroupArns=arns)
    except elbv2.exceptions.TargetGroupNotFoundException:
        message = "Provided Target Groups may not be valid. Please ensure they exist and try again."
        action = f"creating Auto Scaling Group ({name})"
        raise autoscaling(action, "CreateAutoScalingGroup", "ValidationError", message) from None


def launch_problem(op: Op, template: dict[str, Any]) -> str | None:
    """Why the group's instances cannot launch from `template` (LaunchTemplateData), None if
    they can: an encrypted volume's customer key must let the service-linked role
    AWSServiceRoleForAutoScaling use it, through the key policy or a grant; moto launches
    anyway. AWS reports only a failed scaling activity; the bracket is the stand-in's hint.
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html"""
    role = (
        f"arn:{op.partition}:iam::{op.aws.id}:role/aws-service-role/"
        "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    for mapping in template.get("BlockDeviceMappings") or []:
        ebs = mapping.get("Ebs") or {}
        if not (ebs.get("Encrypted") and ebs.get("KmsKeyId")):
            continue
        context = {
            "kms:CallerAccount": op.aws.id,
            "kms:ViaService": f"ec2.{op.region}.amazonaws.com",
            "kms:GrantIsForAWSResource": "true",
        }
        missing = refused_actions(op, ebs["KmsKeyId"], {"AWS": role}, SLR_KEY_ACTIONS, context)
        if missing:
            return (
                f"{LAUNCH_FAILED} [stand-in: {ebs['KmsKeyId']} does not let {role} use the "
                f"key: {', '.join(missing)}]"
            )
    return None


def capacity_failure(name: str, problem: str) -> str:
    """The provider's capacity wait failing on a failed scaling activity."""
    activity = uuid.UUID(hashlib.sha256(f"{name}#{problem}".encode()).hexdigest()[:32])
    return (
        f"waiting for Auto Scaling Group ({name}) capacity satisfied: scaling activity "
        f"({activity}): Failed: {problem}"
    )


def log_group_key_unusable(op: Op, name: str, key: str, doing: str, operation: str) -> None:
    """An encrypted log group's key policy must let the regional CloudWatch Logs service use
    the key for that log group, and the caller's account use it through CloudWatch Logs
    (kms:ViaService: Logs calls KMS on the caller's behalf, kms:Encrypt at CreateLogGroup);
    moto takes any key.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"""
    arn = op.arn("logs", f"log-group:{name}")
    context = {
        "kms:EncryptionContext:aws:logs:arn": arn,
        "aws:SourceArn": arn,
        "aws:SourceAccount": op.aws.id,
    }
    service = {"Service": f"logs.{op.region}.amazonaws.com"}
    caller = {"AWS": f"arn:{op.partition}:iam::{op.aws.id}:root"}
    via = {
        "kms:EncryptionContext:aws:logs:arn": arn,
        "kms:ViaService": f"logs.{op.region}.amazonaws.com",
        "kms:CallerAccount": op.aws.id,
    }
    if refused_actions(op, key, service, LOGS_KEY_ACTIONS, context) or refused_actions(
        op, key, caller, ("kms:Encrypt",), via
    ):
        message = (
            f"The specified KMS key does not exist or is not allowed to be used with Arn '{arn}'"
        )
        action = f"{doing} CloudWatch Logs Log Group ({name})"
        raise AwsError(action, "CloudWatch Logs", operation, "AccessDeniedException", message)
