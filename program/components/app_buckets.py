"""The storage layer's buckets: the application's data and, in production, its access logs.

Deliberately a function, not a ComponentResource: both buckets stay top-level resources of the
stack, so their URNs are the ones deployed stacks already hold. A new parent would change every
URN below it, and Pulumi would replace the buckets (and their data) on the next deploy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pulumi

from program.components.encrypted_bucket import (
    AccessLogging,
    EncryptedBucket,
    EncryptedBucketArgs,
    Lifecycle,
    LogDelivery,
)
from shared import naming, topology
from shared.limits import LIFECYCLE_DAYS_MAX
from shared.settings import EnvironmentSettings

ACCESS_LOG_PREFIX = "access-logs/"


@dataclass(frozen=True)
class AppBucketsArgs:
    """Whose buckets they are, the data's key and lifecycle, and where its access logs go."""

    # The environment the buckets are named for (`shared.naming`: app, environment, region).
    settings: EnvironmentSettings
    account_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # The data bucket's and the load balancer's access logs go to a log bucket of their own
    # and are kept this many days; None: no access logs, no log bucket.
    access_log_retention_days: int | None = None
    # The account ELB writes access logs as (`StackContext.elb_log_writer_arn`): production's
    # load balancer logs go to the log bucket too. Unused where there is no log bucket.
    load_balancer_log_writer_arn: pulumi.Input[str] | None = None
    # Protected from deletion; False also lets a destroy empty them (nothing left behind).
    protect: bool = True

    def __post_init__(self) -> None:
        days = self.access_log_retention_days
        if days is not None and not 1 <= days <= LIFECYCLE_DAYS_MAX:
            raise ValueError(f"access logs must be kept 1..{LIFECYCLE_DAYS_MAX} days, not {days}")


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
    """Create the buckets; the access logs, if kept, in a bucket of their own."""
    settings, lifecycle = args.settings, args.lifecycle
    account_id = pulumi.Output.from_input(args.account_id)

    def bucket_name(component: str) -> pulumi.Output[str]:
        """Valid by construction and unique per account and region (`shared.naming`)."""
        return account_id.apply(lambda account: naming.bucket_name(settings, component, account))

    logs = access_logging = None
    if args.access_log_retention_days is not None:  # a separate bucket, locked down the same way
        logs = EncryptedBucket(
            naming.logical_name(settings, "logs"),
            EncryptedBucketArgs(
                bucket_name("logs"),
                # SSE-S3: the only default encryption S3 delivers server access logs into.
                None,
                dataclasses.replace(lifecycle, expiration_days=args.access_log_retention_days),
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
            force_destroy=not args.protect,  # unprotected: teardown leaves nothing behind
            protect=args.protect,
        ),
        opts=opts,
    )
    return AppBuckets(data=data, logs=logs)
