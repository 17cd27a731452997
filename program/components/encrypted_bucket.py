"""An S3 bucket locked down per the security baseline, with its v7 side resources."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_aws.s3 import (
    BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs as AbortUploadArgs,
)
from pulumi_aws.s3 import (
    BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs as NoncurrentExpirationArgs,
)
from pulumi_aws.s3 import (
    BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs as SseArgs,
)

from shared.aws_facts import S3_LOG_DELIVERY_SERVICE, SSE_KMS, SSE_S3
from shared.limits import LIFECYCLE_DAYS_MAX
from shared.s3_policies import tls_only_statement


@dataclass(frozen=True)
class AccessLogging:
    """Where a bucket's server access logs go: a separate bucket, under a prefix."""

    target_bucket: pulumi.Input[str]
    target_prefix: str
    # Resources that must exist before logging is switched on (the target's bucket policy).
    depends_on: Sequence[pulumi.Resource] = ()


@dataclass(frozen=True)
class LogDelivery:
    """Lets S3 server access logging write into this bucket, for these source buckets only,
    and optionally Elastic Load Balancing, for this account's load balancers only."""

    account_id: pulumi.Input[str]
    source_bucket_names: Sequence[pulumi.Input[str]]
    prefix: str
    # The account ELB writes access logs as (`StackContext.elb_log_writer_arn`); None: none.
    load_balancer_writer_arn: pulumi.Input[str] | None = None
    # Where the load balancers' logs go (their `access_logs.prefix`: no leading or trailing
    # '/'); ELB appends `/AWSLogs/<account>/...`.
    load_balancer_prefix: str = "load-balancer"

    def __post_init__(self) -> None:
        prefix = self.load_balancer_prefix
        if not prefix or prefix.startswith("/") or prefix.endswith("/") or "AWSLogs" in prefix:
            raise ValueError(
                f"load balancer log prefix {prefix!r} must be non-empty, without a leading or "
                "trailing '/', and must not contain 'AWSLogs' (ELB adds it)"
            )


@dataclass(frozen=True)
class Lifecycle:
    """How long superseded versions, abandoned uploads and (optionally) objects are kept."""

    noncurrent_version_expiration_days: int = 30
    abort_incomplete_upload_days: int = 7
    # Current objects expire after this many days (log buckets); None keeps them.
    expiration_days: int | None = None

    def __post_init__(self) -> None:
        days = {
            "noncurrent_version_expiration_days": self.noncurrent_version_expiration_days,
            "abort_incomplete_upload_days": self.abort_incomplete_upload_days,
        }
        if self.expiration_days is not None:
            days["expiration_days"] = self.expiration_days
        for name, value in days.items():
            if not 1 <= value <= LIFECYCLE_DAYS_MAX:
                raise ValueError(f"{name} must be 1..{LIFECYCLE_DAYS_MAX} days, not {value}")


@dataclass(frozen=True)
class EncryptedBucketArgs:
    """A bucket's settings; the defaults are the locked-down, protected production ones.

    `kms_key_arn` None gives SSE-S3 (AES256), and only to a log target (`log_delivery`): S3
    server access logging (and ELB access logging) delivers only into buckets whose default
    encryption is SSE-S3. With SSE-KMS `PutBucketLogging` succeeds and no log ever arrives.
    """

    bucket_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None
    lifecycle: Lifecycle = Lifecycle()
    access_logging: AccessLogging | None = None
    log_delivery: LogDelivery | None = None
    force_destroy: bool = False
    protect: bool = True

    def __post_init__(self) -> None:
        if self.protect and self.force_destroy:
            raise ValueError(
                "a protected bucket must not be force-destroyed: force_destroy would delete "
                "every object the protection is there to keep"
            )
        if self.kms_key_arn is None and self.log_delivery is None:
            raise ValueError(
                "only a log target bucket (log_delivery) may use SSE-S3; every other bucket "
                "encrypts with the customer key (kms_key_arn)"
            )
        if self.access_logging and self.access_logging.target_prefix.startswith("/"):
            raise ValueError("access log target_prefix must not start with '/'")


def bucket_policy(
    bucket_arn: str,
    *,
    log_delivery: tuple[str, Sequence[str], str] | None = None,
    load_balancer_logs: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Deny every request without TLS; optionally let S3 deliver access logs of named buckets,
    and ELB those of the account's load balancers.

    `log_delivery` is (account id, source bucket names, key prefix); the sources' ARNs take
    the partition from `bucket_arn`. `load_balancer_logs` is (ELB's writer ARN, prefix), for
    the account of `log_delivery`.
    """
    statements: list[dict[str, Any]] = [tls_only_statement(bucket_arn)]
    if log_delivery is not None:
        account_id, sources, prefix = log_delivery
        partition = bucket_arn.split(":")[1]
        statements.append(
            {
                # With BucketOwnerEnforced there are no ACLs: log delivery is granted here.
                "Sid": "AllowServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": S3_LOG_DELIVERY_SERVICE},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{prefix}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": [f"arn:{partition}:s3:::{s}" for s in sources]},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            }
        )
        if load_balancer_logs is not None:
            writer, lb_prefix = load_balancer_logs
            statements.append(
                {
                    # AWS's statement for regions older than August 2022 (us-west-2): ELB's
                    # own account writes, only under this account's AWSLogs folder.
                    "Sid": "AllowLoadBalancerAccessLogDelivery",
                    "Effect": "Allow",
                    "Principal": {"AWS": writer},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{lb_prefix}/AWSLogs/{account_id}/*",
                }
            )
    return {"Version": "2012-10-17", "Statement": statements}


class EncryptedBucket(pulumi.ComponentResource):
    """SSE-KMS with the customer key and bucket key (a log target: SSE-S3), versioning, all four
    Block Public Access flags, BucketOwnerEnforced, a TLS-only policy, lifecycle rules and
    optional access logging.
    """

    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: EncryptedBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:storage:EncryptedBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            name,
            bucket=args.bucket_name,
            force_destroy=args.force_destroy,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[self._encryption_rule(args.kms_key_arn)],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=self._policy_document(bucket.arn, args.log_delivery),
            # A policy is only accepted once Block Public Access is in place to vet it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=self._lifecycle_rules(args.lifecycle),
            # Noncurrent-version rules need versioning to be on first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if args.access_logging is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket.id,
                target_bucket=args.access_logging.target_bucket,
                target_prefix=args.access_logging.target_prefix,
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[policy, *args.access_logging.depends_on]
                ),
            )
        self.bucket_name = bucket.bucket
        self.arn = bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})

    @staticmethod
    def _encryption_rule(
        kms_key_arn: pulumi.Input[str] | None,
    ) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
        if kms_key_arn is None:
            return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=SseArgs(sse_algorithm=SSE_S3)
            )
        return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=SseArgs(
                sse_algorithm=SSE_KMS, kms_master_key_id=kms_key_arn
            ),
            # One data key per bucket instead of per object: fewer KMS calls and costs.
            bucket_key_enabled=True,
        )

    @staticmethod
    def _policy_document(
        bucket_arn: pulumi.Output[str], delivery: LogDelivery | None
    ) -> pulumi.Output[str]:
        if delivery is None:
            return bucket_arn.apply(lambda arn: json.dumps(bucket_policy(arn)))
        return pulumi.Output.all(
            bucket_arn,
            delivery.account_id,
            pulumi.Output.all(*delivery.source_bucket_names),
            delivery.load_balancer_writer_arn,
        ).apply(
            lambda values: json.dumps(
                bucket_policy(
                    values[0],
                    log_delivery=(values[1], values[2], delivery.prefix),
                    load_balancer_logs=(values[3], delivery.load_balancer_prefix)
                    if values[3]
                    else None,
                )
            )
        )

    @staticmethod
    def _lifecycle_rules(lifecycle: Lifecycle) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
        every_object = aws.s3.BucketLifecycleConfigurationRuleFilterArgs()
        rules = [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-noncurrent-versions",
                status="Enabled",
                filter=every_object,
                noncurrent_version_expiration=NoncurrentExpirationArgs(
                    noncurrent_days=lifecycle.noncurrent_version_expiration_days
                ),
            ),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="abort-incomplete-multipart-uploads",
                status="Enabled",
                filter=every_object,
                abort_incomplete_multipart_upload=AbortUploadArgs(
                    days_after_initiation=lifecycle.abort_incomplete_upload_days
                ),
            ),
        ]
        if lifecycle.expiration_days is not None:
            rules.append(
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-current-objects",
                    status="Enabled",
                    filter=every_object,
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=lifecycle.expiration_days
                    ),
                )
            )
        return rules
