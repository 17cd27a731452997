"""TEST-ONLY stand-in AWS provider: what S3 logging and CloudWatch Logs refuse.

- `PutBucketLogging` needs an existing target bucket (InvalidTargetBucketForLogging); whether
  logs then arrive is delivery.py's business, because AWS accepts configurations it cannot honour;
- a log group encrypted with a KMS key needs the key policy to let the regional CloudWatch Logs
  service use it for that log group (AccessDeniedException);
- CreateFlowLogs needs its VPC (or subnet) to exist (an unsuccessful item: InvalidVpcID.NotFound)
  and, into CloudWatch Logs (the default), a destination and a role (InvalidParameter:
  "LogDestination can't be empty ...", "DeliverLogsPermissionArn can't be empty ...") that
  vpc-flow-logs.amazonaws.com can assume (InvalidParameter: "Unable to assume given IAM role";
  the provider retries that for IAM's propagation, two minutes, before it fails); into S3, no
  role ("DeliverLogsPermissionArn is not applicable for s3 delivery"). Whether the logs then
  arrive is delivery.py's business.
"""

from __future__ import annotations

from tests.engine.standin_aws import delivery, lookups, policies
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.errors import AwsError, ProviderError, ec2

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


# Where a flow log attaches, in the order the provider looks (its resource id names the create).
FLOW_LOG_SOURCES = ("vpcId", "transitGatewayId", "transitGatewayAttachmentId", "subnetId", "eniId")


def create_flow_log(change: Change) -> None:
    source = next((str(change.get(key)) for key in FLOW_LOG_SOURCES if change.get(key)), "")
    action = f"creating Flow Log ({source})"
    kind = change.get("logDestinationType", delivery.CLOUDWATCH_LOGS)
    change.outputs.setdefault("logDestinationType", kind)
    role = change.get("iamRoleArn")

    def refuse(message: str) -> AwsError:
        return ec2(action, "CreateFlowLogs", "InvalidParameter", message)

    if kind == "s3" and role:
        raise refuse("DeliverLogsPermissionArn is not applicable for s3 delivery")
    if kind == delivery.CLOUDWATCH_LOGS:
        if not change.get("logDestination"):
            raise refuse("LogDestination can't be empty if LogGroupName is not provided.")
        if not role:
            raise refuse(
                "DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs."
            )
        if delivery.flow_logs_trust_problem(
            change.data, str(role), str(change.get("arn")), change.config.account
        ):
            raise refuse(f"Unable to assume given IAM role: '{role}'")
    vpc = change.get("vpcId")
    if vpc and not lookups.vpc_exists(change.data, change.config, str(vpc)):
        # CreateFlowLogs answers 200 with an unsuccessful item; the provider reports it so.
        raise ProviderError(
            f"{action}: {vpc}: api error InvalidVpcID.NotFound: The vpc ID '{vpc}' does not exist"
        )
