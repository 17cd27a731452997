"""`invoke bootstrap`, part 2: create what is missing, put back what differs on its own parts.

The bucket is tagged right after it is created, so a bootstrap interrupted part-way is finished
by the next run instead of being refused as a weaker bucket.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orchestration.state.bootstrap.judge import (
    ABORT_UPLOAD_DAYS,
    BOOTSTRAP_MARK,
    LIFECYCLE_RULE_ID,
    MANAGED_BY_TAG,
    Part,
    failed,
    lifecycle_rules,
)
from orchestration.state.declaration import KmsLocation, S3Location
from shared.aws_facts import partition_of
from shared.naming import STATE_COMPONENT, tags
from shared.s3_policies import tls_only_statement
from shared.settings import EnvironmentSettings


def apply_key(kms: Any, key: Part, location: KmsLocation, settings: EnvironmentSettings) -> None:
    try:
        if key.missing:
            created = kms.create_key(
                Description=(
                    f"Pulumi state and secrets of {settings.app} {settings.environment} "
                    "(invoke bootstrap)"
                ),
                KeyUsage="ENCRYPT_DECRYPT",
                KeySpec="SYMMETRIC_DEFAULT",
                Tags=[{"TagKey": k, "TagValue": v} for k, v in _bootstrap_tags(settings).items()],
            )
            key.arn = str(created["KeyMetadata"]["Arn"])
            kms.enable_key_rotation(KeyId=key.arn)
            kms.create_alias(AliasName=location.key, TargetKeyId=key.arn)
        elif "kms-key-rotation" in key.differences:
            kms.enable_key_rotation(KeyId=key.arn)
    except (ClientError, BotoCoreError) as error:
        raise failed(key.what, error) from error


def apply_bucket(
    s3: Any,
    bucket: Part,
    location: S3Location,
    key: Part,
    *,
    settings: EnvironmentSettings,
    history_days: int,
) -> None:
    name = location.bucket
    arn = f"arn:{_partition(location.region)}:s3:::{name}"
    steps: dict[str, Callable[[], Any]] = {
        "s3-bucket-public-access-block": lambda: s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        ),
        "s3-bucket-owner-enforced": lambda: s3.put_bucket_ownership_controls(
            Bucket=name,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        ),
        "s3-bucket-encryption-customer-key": lambda: s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": key.arn,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        ),
        "s3-bucket-versioning": lambda: s3.put_bucket_versioning(
            Bucket=name, VersioningConfiguration={"Status": "Enabled"}
        ),
        "s3-bucket-tls-only": lambda: s3.put_bucket_policy(
            Bucket=name, Policy=json.dumps(tls_only_policy(arn))
        ),
    }
    try:
        if bucket.missing:
            create: dict[str, Any] = {"Bucket": name, "ObjectOwnership": "BucketOwnerEnforced"}
            if location.region and location.region != "us-east-1":
                create["CreateBucketConfiguration"] = {"LocationConstraint": location.region}
            s3.create_bucket(**create)
            # Marked first: a bootstrap interrupted after this point is finished by the next.
            s3.put_bucket_tagging(
                Bucket=name,
                Tagging={
                    "TagSet": [{"Key": k, "Value": v} for k, v in _bootstrap_tags(settings).items()]
                },
            )
        for rule_id, step in steps.items():
            if bucket.missing or rule_id in bucket.differences:
                step()
        if bucket.missing or bucket.updates:
            _put_lifecycle(s3, name, history_days)
    except (ClientError, BotoCoreError) as error:
        raise failed(bucket.what, error) from error


def _put_lifecycle(s3: Any, name: str, history_days: int) -> None:
    """Our rule replaces its previous self; other rules on the bucket are kept."""
    kept = [rule for rule in lifecycle_rules(s3, name) if rule.get("ID") != LIFECYCLE_RULE_ID]
    ours = {
        "ID": LIFECYCLE_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": history_days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_UPLOAD_DAYS},
    }
    s3.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={"Rules": [*kept, ours]}
    )


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """Deny every request to the bucket and its objects made without TLS."""
    return {"Version": "2012-10-17", "Statement": [tls_only_statement(bucket_arn)]}


def _bootstrap_tags(settings: EnvironmentSettings) -> dict[str, str]:
    return {**tags(settings, STATE_COMPONENT), MANAGED_BY_TAG: BOOTSTRAP_MARK}


def _partition(region: str | None) -> str:
    return partition_of(region) if region else "aws"
