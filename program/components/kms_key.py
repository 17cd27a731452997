"""The customer-managed KMS key that encrypts the application's data and volumes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from shared.aws_facts import AUTOSCALING_SERVICE_ROLE_PATH
from shared.limits import KEY_DELETION_WINDOW_MAX, KEY_DELETION_WINDOW_MIN, KMS_ALIAS_PATTERN

# Everything the account needs to manage the key, listed: nothing that encrypts or decrypts
# (data is only ever used through S3 and EC2, statements below), and no kms:CreateGrant (a
# grant could hand the key to any principal; EBS's grants have their own statement). Wildcards
# such as kms:Create* would include it.
ADMIN_ACTIONS = (
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:RevokeGrant",
    "kms:UpdateKeyDescription",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
)
USE_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)
# The services allowed to use the key on behalf of this account's principals.
VIA_SERVICES = ("s3", "ec2")
# What CloudWatch Logs does with the key on behalf of the account's principals: it "now supports
# kms:ViaService which allows logs to make AWS KMS calls on your behalf", so whoever creates or
# reads an encrypted log group needs these through logs.<region> (AWS: "Encrypt log data in
# CloudWatch Logs using AWS Key Management Service", docs.aws.amazon.com/AmazonCloudWatch/latest/
# logs/encrypt-log-data-kms.html). kms:DescribeKey carries no encryption context, so it cannot
# sit under this statement's condition; the administration statement already allows it.
LOGS_CALLER_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
)
# What CloudWatch Logs needs to keep a log group encrypted with the key (same AWS page).
LOGS_USE_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
# What the Auto Scaling service-linked role needs to launch instances whose volumes are
# encrypted with the key (AWS: "Required KMS key policy for use with encrypted volumes").
AUTOSCALING_USE_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)


@dataclass(frozen=True)
class KmsKeyArgs:
    """A symmetric key with rotation; protected and with the longest deletion window by default."""

    alias_name: str
    description: str
    deletion_window_in_days: int = KEY_DELETION_WINDOW_MAX
    protect: bool = True
    # An Auto Scaling group launches instances with volumes on this key (production's web tier):
    # its service-linked role must be able to use the key, or no instance launches.
    autoscaling_launches: bool = False
    # Log groups named under this prefix (`shared.naming.log_group_prefix`) may be encrypted
    # with the key by CloudWatch Logs (the VPC flow logs); None: no log group may.
    log_group_prefix: str | None = None

    def __post_init__(self) -> None:
        if not KMS_ALIAS_PATTERN.match(self.alias_name) or self.alias_name.startswith("alias/aws/"):
            raise ValueError(
                f"KMS alias {self.alias_name!r} must be 'alias/' plus 1-250 of [A-Za-z0-9/_-] "
                "and must not start with the AWS-reserved 'alias/aws/'"
            )
        if not KEY_DELETION_WINDOW_MIN <= self.deletion_window_in_days <= KEY_DELETION_WINDOW_MAX:
            raise ValueError(
                f"deletion window {self.deletion_window_in_days} must be "
                f"{KEY_DELETION_WINDOW_MIN}..{KEY_DELETION_WINDOW_MAX} days"
            )


def key_policy(
    account_id: str,
    partition: str,
    region: str,
    *,
    autoscaling: bool = False,
    log_group_prefix: str | None = None,
) -> dict[str, Any]:
    """The key policy: the account administers; S3, EC2/EBS and CloudWatch Logs of the region use.

    No statement has a `Principal: "*"`. Administration is a list of named actions. Use is
    granted to the account's principals (subject to their own IAM policies) only through the
    services, and grants only for AWS resources (EBS volumes), so a leaked role credential
    can neither decrypt data directly with the key nor grant itself the right to. With
    `autoscaling`, the Auto Scaling service-linked role (which only AWS can assume) may use the
    key and create grants for the volumes it attaches. With `log_group_prefix`, CloudWatch
    Logs of this region may use it for the log groups named under the prefix, and no others,
    both as itself and on behalf of the account's principals.
    """
    account_root = f"arn:{partition}:iam::{account_id}:root"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": account_root},
            "Action": list(ADMIN_ACTIONS),
            "Resource": "*",
        }
    ]
    for service in VIA_SERVICES:
        via = f"{service}.{region}.amazonaws.com"
        statements.append(
            {
                "Sid": f"UseThroughService{service.upper()}",
                "Effect": "Allow",
                "Principal": {"AWS": account_root},
                "Action": list(USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": via, "kms:CallerAccount": account_id}
                },
            }
        )
    statements.append(
        {
            # EBS attaches the key to a volume through a grant, and only for AWS resources.
            "Sid": "EbsGrantsThroughEC2",
            "Effect": "Allow",
            "Principal": {"AWS": account_root},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": f"ec2.{region}.amazonaws.com",
                    "kms:CallerAccount": account_id,
                },
                "Bool": {"kms:GrantIsForAWSResource": "true"},
            },
        }
    )
    if autoscaling:
        statements.extend(autoscaling_statements(account_id, partition))
    if log_group_prefix is not None:
        statements.append(logs_caller_statement(account_id, partition, region, log_group_prefix))
        statements.append(logs_statement(account_id, partition, region, log_group_prefix))
    return {"Version": "2012-10-17", "Statement": statements}


def autoscaling_statements(account_id: str, partition: str) -> list[dict[str, Any]]:
    """AWS's documented statements for the Auto Scaling service-linked role.

    KMS refuses a policy naming a principal that does not exist: the role must exist in the
    account before the key policy names it (README: what a production account needs once).
    """
    role = f"arn:{partition}:iam::{account_id}:{AUTOSCALING_SERVICE_ROLE_PATH}"
    return [
        {
            "Sid": "AutoScalingLaunchesEncryptedVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": list(AUTOSCALING_USE_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "AutoScalingAttachesEncryptedVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
    ]


def _log_groups(account_id: str, partition: str, region: str, log_group_prefix: str) -> str:
    """The ARN pattern of the environment's log groups, as KMS sees it in the encryption context."""
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_prefix}*"


def logs_caller_statement(
    account_id: str, partition: str, region: str, log_group_prefix: str
) -> dict[str, Any]:
    """The account's principals may use the key through CloudWatch Logs, for the environment's
    log groups only.

    CloudWatch Logs calls KMS on behalf of the principal that creates an encrypted log group
    or reads its events (kms:ViaService names logs.<region>); without this a deployer's
    CreateLogGroup is refused with kms:Encrypt denied. The encryption context names the log
    group, so the statement cannot be used for another group of the account.
    """
    groups = _log_groups(account_id, partition, region, log_group_prefix)
    return {
        "Sid": "UseThroughServiceLOGS",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": list(LOGS_CALLER_ACTIONS),
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "kms:ViaService": f"logs.{region}.amazonaws.com",
                "kms:CallerAccount": account_id,
            },
            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups},
        },
    }


def logs_statement(
    account_id: str, partition: str, region: str, log_group_prefix: str
) -> dict[str, Any]:
    """AWS's documented statement for CloudWatch Logs, narrowed to the environment's groups.

    CloudWatch Logs names the log group in the encryption context of every request, so the
    condition lets the service use the key for those groups only, never for another account's.
    """
    groups = _log_groups(account_id, partition, region, log_group_prefix)
    return {
        "Sid": "CloudWatchLogsEncryptsEnvironmentLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": list(LOGS_USE_ACTIONS),
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": groups}},
    }


class KmsKey(pulumi.ComponentResource):
    """A symmetric customer-managed key with rotation, a least-privilege policy and an alias."""

    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: KmsKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:security:KmsKey", name, None, opts)
        # The policy names the provider's account, partition and region.
        lookup = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=lookup).account_id
        partition = aws.get_partition_output(opts=lookup).partition
        region = aws.get_region_output(opts=lookup).region
        policy = pulumi.Output.all(account, partition, region).apply(
            lambda values: json.dumps(
                key_policy(
                    *values,
                    autoscaling=args.autoscaling_launches,
                    log_group_prefix=args.log_group_prefix,
                )
            )
        )
        key = aws.kms.Key(
            name,
            description=args.description,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_in_days,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.alias_name,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs(
            {"arn": self.arn, "key_id": self.key_id, "alias_name": self.alias_name}
        )
