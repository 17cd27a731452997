"""The storage layer's buckets: the application's data and, in production, its access logs.

Deliberately a function, not a ComponentResource: both buckets stay top-level resources of the
stack, so their URNs are the ones deployed stacks already hold. A new parent would change every
URN below it, and Pulumi would replace the buckets (and their data) on the next deploy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi

from program.components.encrypted_bucket import (
    AccessLogging,
    EncryptedBucket,
    EncryptedBucketArgs,
    Lifecycle,
    LogDelivery,
)
from shared import naming, topology
from shared.project_config import StorageConfig
from shared.settings import EnvironmentSettings

ACCESS_LOG_PREFIX = "access-logs/"


@dataclass(frozen=True)
class AppBucketsArgs:
    """The environment, the storage knobs, the account and the security layer's key."""

    settings: EnvironmentSettings
    config: StorageConfig
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    # The account ELB writes access logs as (`StackContext.elb_log_writer_arn`): production's
    # load balancer logs go to the log bucket too. Unused where there is no log bucket.
    load_balancer_log_writer_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class AppBuckets:
    """The data bucket, and the bucket its server access logs and the load balancer's access
    logs go to (production only)."""

    data: EncryptedBucket
    logs: EncryptedBucket | None

    @property
    def log_bucket_name(self) -> pulumi.Input[str]:
        """The log bucket's name; "" where there is none (consumers read it as "no logs")."""
        return self.logs.bucket_name if self.logs is not None else ""


def app_buckets(args: AppBucketsArgs, opts: pulumi.ResourceOptions | None = None) -> AppBuckets:
    """Create the buckets; production's are protected and its access logs kept separately."""
    settings, config = args.settings, args.config
    lifecycle = Lifecycle(
        config.noncurrent_version_expiration_days, config.abort_incomplete_upload_days
    )
    account_id = pulumi.Output.from_input(args.account_id)

    def bucket_name(component: str) -> pulumi.Output[str]:
        """Valid by construction and unique per account and region (`shared.naming`)."""
        return account_id.apply(lambda account: naming.bucket_name(settings, component, account))

    logs = access_logging = None
    if settings.production:  # access logs go to a separate bucket, locked down the same way
        logs = EncryptedBucket(
            naming.logical_name(settings, "logs"),
            EncryptedBucketArgs(
                bucket_name("logs"),
                # SSE-S3: the only default encryption S3 delivers server access logs into.
                None,
                dataclasses.replace(lifecycle, expiration_days=config.access_log_retention_days),
                log_delivery=LogDelivery(
                    account_id,
                    [bucket_name("data")],
                    ACCESS_LOG_PREFIX,
                    load_balancer_writer_arn=args.load_balancer_log_writer_arn,
                    load_balancer_prefix=topology.LOAD_BALANCER_LOG_PREFIX,
                ),
            ),
            opts=opts,
        )
        access_logging = AccessLogging(logs.bucket_name, ACCESS_LOG_PREFIX, depends_on=[logs])
    data = EncryptedBucket(
        naming.logical_name(settings, "data"),
        EncryptedBucketArgs(
            bucket_name("data"),
            args.kms_key_arn,
            lifecycle,
            access_logging=access_logging,
            force_destroy=not settings.production,  # development: teardown leaves nothing behind
            protect=settings.production,
        ),
        opts=opts,
    )
    return AppBuckets(data=data, logs=logs)
