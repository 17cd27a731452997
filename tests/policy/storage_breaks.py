"""Deliberate breaks of the data layer's controls: S3 buckets and the KMS key."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.bucket_policies import tls_only_policy
from tests.policy.baseline_parts import KEY_ARN, OTHER_KEY_ARN
from tests.policy.baseline_stack import Stack, change, change_resource, drop
from tests.policy.break_case import Break


def _encryption(bucket_key: bool = True, **default: object) -> Callable[[Stack, str], Stack]:
    by_default = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN, **default}
    rule = {
        "applyServerSideEncryptionByDefault": {k: v for k, v in by_default.items() if v},
        "bucketKeyEnabled": bucket_key,
    }
    return lambda stack, env: change(stack, f"webapp-{env}-data-encryption", rules=[rule])


def _public_access(flag: str) -> Callable[[Stack, str], Stack]:
    return lambda stack, env: change(stack, f"webapp-{env}-data-public-access", **{flag: False})


def _key_statement(statement: dict[str, object]) -> Callable[[Stack, str], Stack]:
    """The compliant key policy plus one more Allow statement."""

    def edit(stack: Stack, env: str) -> Stack:
        key = next(r for r in stack if r.name == f"webapp-{env}-key")
        document = json.loads(key.get("policy"))
        document["Statement"].append({"Effect": "Allow", "Resource": "*", **statement})
        return change(stack, f"webapp-{env}-key", policy=json.dumps(document))

    return edit


STORAGE_BREAKS = [
    Break(
        "s3-bucket-name-valid",
        "capitals and underscore",
        lambda s, env: change(s, f"webapp-{env}-data", bucket="Webapp_Data"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-name-valid",
        "auto-named from a 60-character logical name",
        lambda s, env: change_resource(
            change(s, f"webapp-{env}-data", bucket=None), f"webapp-{env}-data", name="x" * 60
        ),
        "x" * 60,
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "no encryption configuration",
        lambda s, env: drop(s, f"webapp-{env}-data-encryption"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "SSE-S3 instead of SSE-KMS",
        _encryption(sseAlgorithm="AES256", kmsMasterKeyId=None),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "the AWS-managed aws/s3 key",
        _encryption(kmsMasterKeyId="alias/aws/s3"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "a key other than the security stack's",
        _encryption(kmsMasterKeyId=OTHER_KEY_ARN),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "bucket key off",
        _encryption(bucket_key=False),
        "webapp-{env}-data",
    ),
    *(
        Break(
            "s3-bucket-public-access-block",
            f"{flag} off",
            _public_access(flag),
            "webapp-{env}-data",
        )
        for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls")
    ),
    Break(
        "s3-bucket-encryption-customer-key",
        "SSE-KMS on the log target bucket (no log would be delivered)",
        lambda s, env: change(
            s,
            f"webapp-{env}-logs-encryption",
            rules=[
                {
                    "applyServerSideEncryptionByDefault": {
                        "sseAlgorithm": "aws:kms",
                        "kmsMasterKeyId": KEY_ARN,
                    },
                    "bucketKeyEnabled": True,
                }
            ],
        ),
        "webapp-{env}-logs",
        environments=("production",),
    ),
    Break(
        "s3-bucket-public-access-block",
        "restrict_public_buckets off",
        lambda s, env: change(s, f"webapp-{env}-data-public-access", restrictPublicBuckets=False),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-public-access-block",
        "no public access block",
        lambda s, env: drop(s, f"webapp-{env}-data-public-access"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-owner-enforced",
        "ACLs left on",
        lambda s, env: change(
            s, f"webapp-{env}-data-ownership", rule={"objectOwnership": "ObjectWriter"}
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-tls-only",
        "no bucket policy",
        lambda s, env: drop(s, f"webapp-{env}-data-tls"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-tls-only",
        "a policy that denies nothing over plain HTTP",
        lambda s, env: change(
            s,
            f"webapp-{env}-data-tls",
            policy=tls_only_policy("b").replace('"Deny"', '"Allow"'),
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-versioning",
        "versioning suspended",
        lambda s, env: change(
            s, f"webapp-{env}-data-versioning", versioningConfiguration={"status": "Suspended"}
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-versioning",
        "no versioning resource",
        lambda s, env: drop(s, f"webapp-{env}-data-versioning"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-lifecycle",
        "no lifecycle configuration",
        lambda s, env: drop(s, f"webapp-{env}-data-lifecycle"),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-lifecycle",
        "a disabled rule",
        lambda s, env: change(
            s,
            f"webapp-{env}-data-lifecycle",
            rules=[
                {
                    "id": "x",
                    "status": "Disabled",
                    "noncurrentVersionExpiration": {"noncurrentDays": 30.0},
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7.0},
                }
            ],
        ),
        "webapp-{env}-data",
    ),
    Break(
        "s3-bucket-access-logging",
        "no access logging in production",
        lambda s, env: drop(s, f"webapp-{env}-data-access-logs"),
        "webapp-{env}-data",
        environments=("production",),
    ),
    Break(
        "kms-key-rotation",
        "rotation off",
        lambda s, env: change(s, f"webapp-{env}-key", enableKeyRotation=False),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-deletion-window",
        "a 5-day window",
        lambda s, env: change(s, f"webapp-{env}-key", deletionWindowInDays=5.0),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-deletion-window",
        "a 20-day window in production",
        lambda s, env: change(s, f"webapp-{env}-key", deletionWindowInDays=20.0),
        "webapp-{env}-key",
        environments=("production",),
    ),
    Break(
        "kms-key-policy-least-privilege",
        "administrators may create grants for anything (kms:Create*)",
        _key_statement(
            {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": ["kms:Create*"]}
        ),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-policy-least-privilege",
        "a principal may decrypt directly, not through a service",
        _key_statement(
            {"Principal": {"AWS": "arn:aws:iam::123456789012:role/app"}, "Action": "kms:Decrypt"}
        ),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-policy-least-privilege",
        "the key open to everyone",
        _key_statement({"Principal": "*", "Action": "kms:DescribeKey"}),
        "webapp-{env}-key",
    ),
    Break(
        "kms-key-policy-least-privilege",
        "no key policy: KMS's default lets IAM grant everything",
        lambda s, env: change(s, f"webapp-{env}-key", policy=None),
        "webapp-{env}-key",
    ),
]
