"""TEST-ONLY stand-in AWS provider: what S3 logging and CloudWatch Logs refuse.

- `PutBucketLogging` needs an existing target bucket (InvalidTargetBucketForLogging); whether
  logs then arrive is delivery.py's business, because AWS accepts configurations it cannot honour;
- a log group encrypted with a KMS key needs the key policy to let the regional CloudWatch Logs
  service use it for that log group (AccessDeniedException).
"""

from __future__ import annotations

from standin_aws import lookups, policies
from standin_aws.change import Change
from standin_aws.errors import AwsError

LOGS_KEY_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKey",
    "kms:DescribeKey",
)


def create_bucket_logging(change: Change) -> None:
    target = str(change.get("targetBucket"))
    if not lookups.bucket_exists(change.data, target):
        raise AwsError(
            f"creating S3 Bucket ({change.get('bucket')}) Logging",
            "S3",
            "PutBucketLogging",
            "InvalidTargetBucketForLogging",
            "The target bucket for logging does not exist",
        )


def _key_usable_by_logs(change: Change, key_reference: str) -> bool:
    key = lookups.kms_key(change.data, key_reference)
    if key is None:
        return False
    arn = str(change.get("arn"))
    context = {
        "kms:EncryptionContext:aws:logs:arn": arn,
        "aws:SourceArn": arn,
        "aws:SourceAccount": change.config.account,
    }
    service = policies.Principal(service=f"logs.{change.region}.amazonaws.com")
    document = lookups.key_policy(change.data, key)
    return all(
        policies.allowed(document, action=action, principal=service, context=context)
        for action in LOGS_KEY_ACTIONS
    )


def _check_log_group_key(change: Change, action: str, operation: str) -> None:
    key = change.get("kmsKeyId")
    if key and not _key_usable_by_logs(change, str(key)):
        raise AwsError(
            action,
            "CloudWatch Logs",
            operation,
            "AccessDeniedException",
            "The specified KMS key does not exist or is not allowed to be used with Arn "
            f"'{change.get('arn')}'",
        )


def create_log_group(change: Change) -> None:
    _check_log_group_key(
        change, f"creating CloudWatch Logs Log Group ({change.get('name')})", "CreateLogGroup"
    )


def update_log_group(change: Change) -> None:
    if change.changed("kmsKeyId"):
        _check_log_group_key(
            change,
            f"associating CloudWatch Logs Log Group ({change.get('name')}) KMS key",
            "AssociateKmsKey",
        )
