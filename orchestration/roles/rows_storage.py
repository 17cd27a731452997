"""Table rows: the customer key, the buckets and the log group (see `actions.py`)."""

from __future__ import annotations

from orchestration.roles.model import LOGS_KMS, PIKE, KeyUse, TypeActions
from shared import aws_types as t

# Who writes a bucket's policy (or its lifecycle) can give itself its objects, or expire them:
# granted outright, the policy says what the team can do (the linter's "resource policy
# privilege escalation" finding), and the objects are its own bucket's only.
_OBJECTS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


def _s3_side(
    file: str, get: str, put: str, delete: str | None = None, *, objects: bool = False
) -> TypeActions:
    """A bucket's configuration resource: read and put its part, and delete it where S3 can."""
    return TypeActions(
        read=(get, *_OBJECTS[:1]) if objects else (get,),
        write=(put, *_OBJECTS[1:2]) if objects else (put,),
        delete=((delete or put), *_OBJECTS[2:]) if objects else (delete or put,),
        tag=(),
        source=PIKE + f"resource/s3/{file}.json",
        names=(("s3:bucket", "bucket"), ("s3:object", "bucket")) if objects else _BUCKET,
        creates=("s3:bucket",),
    )


_BUCKET = (("s3:bucket", "bucket"),)


STORAGE: dict[str, TypeActions] = {
    t.KMS_KEY: TypeActions(
        read=(
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListResourceTags",
        ),
        write=(
            "kms:CreateKey",
            "kms:PutKeyPolicy",
            "kms:EnableKeyRotation",
            "kms:DisableKeyRotation",
            "kms:UpdateKeyDescription",
            "kms:EnableKey",
            "kms:DisableKey",
        ),
        delete=("kms:ScheduleKeyDeletion",),
        tag=("kms:TagResource", "kms:UntagResource"),
        source=PIKE + "resource/kms/aws_kms_key.json",
        creates=("kms:key",),
    ),
    t.KMS_ALIAS: TypeActions(
        read=("kms:ListAliases",),
        write=("kms:CreateAlias", "kms:UpdateAlias"),
        delete=("kms:DeleteAlias",),
        tag=(),
        source=PIKE + "resource/kms/aws_kms_alias.json",
        creates=("kms:alias",),
        names=(("kms:alias", "name"),),
    ),
    t.BUCKET: TypeActions(
        # Pike's plan list; object reads (GetObject, GetObjectAcl) dropped: the provider reads
        # no objects of a bucket it manages.
        read=(
            "s3:ListBucket",
            "s3:GetBucketTagging",
            "s3:GetBucketWebsite",
            "s3:GetBucketLogging",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketVersioning",
            "s3:GetBucketAcl",
            "s3:GetBucketPolicy",
            "s3:GetReplicationConfiguration",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetEncryptionConfiguration",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketCORS",
            "s3:GetLifecycleConfiguration",
            "s3:GetBucketLocation",
        ),
        write=("s3:CreateBucket",),
        delete=("s3:DeleteBucket",),
        tag=("s3:PutBucketTagging",),
        source=PIKE + "resource/s3/aws_s3_bucket.json",
        creates=("s3:bucket",),
        names=(("s3:bucket", "bucket"),),
    ),
    t.BUCKET_ENCRYPTION: _s3_side(
        "aws_s3_bucket_server_side_encryption_configuration",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
    ),
    t.BUCKET_PUBLIC_ACCESS_BLOCK: _s3_side(
        "aws_s3_bucket_public_access_block",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
    ),
    t.BUCKET_OWNERSHIP: _s3_side(
        "aws_s3_bucket_ownership_controls",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
    ),
    t.BUCKET_POLICY: _s3_side(
        "aws_s3_bucket_policy",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        objects=True,
    ),
    t.BUCKET_VERSIONING: _s3_side(
        "aws_s3_bucket_versioning", "s3:GetBucketVersioning", "s3:PutBucketVersioning"
    ),
    t.BUCKET_LIFECYCLE: _s3_side(
        "aws_s3_bucket_lifecycle_configuration",
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        objects=True,
    ),
    t.BUCKET_LOGGING: _s3_side(
        "aws_s3_bucket_logging", "s3:GetBucketLogging", "s3:PutBucketLogging"
    ),
    t.LOG_GROUP: TypeActions(
        read=("logs:DescribeLogGroups", "logs:ListTagsForResource"),
        write=(
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteRetentionPolicy",
            "logs:AssociateKmsKey",
            "logs:DisassociateKmsKey",
        ),
        delete=("logs:DeleteLogGroup",),
        tag=("logs:TagResource", "logs:UntagResource"),
        source=PIKE + "resource/logs/aws_cloudwatch_log_group.json",
        creates=("logs:log-group",),
        names=(("logs:log-group", "name"),),
        key_use=KeyUse(
            "logs",
            (
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncryptFrom",
                "kms:ReEncryptTo",
                "kms:GenerateDataKey",
                "kms:DescribeKey",
            ),
            LOGS_KMS,
        ),
    ),
}
