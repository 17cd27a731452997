"""Storage layer: the application bucket, encrypted with the security layer's key."""

import dataclasses

import pulumi
import pulumi_aws as aws

from program.components.encrypted_bucket import (
    AccessLogging,
    EncryptedBucket,
    EncryptedBucketArgs,
    Lifecycle,
    LogDelivery,
)
from program.provider import aws_provider, emulator_endpoint, provider_opts
from shared import naming, topology
from shared.project_config import storage_config
from shared.references import UpstreamStacks
from shared.settings import load_settings

ACCESS_LOG_PREFIX = "access-logs/"

settings = load_settings(pulumi.get_stack())
config = storage_config(settings)
provider = aws_provider(settings, topology.STORAGE, endpoint=emulator_endpoint())
lookup = pulumi.InvokeOutputOptions(provider=provider)
account_id = aws.get_caller_identity_output(opts=lookup).account_id
key_arn = UpstreamStacks(topology.STORAGE, settings.environment).require(
    topology.SECURITY, topology.KMS_KEY_ARN
)
lifecycle = Lifecycle(
    config.noncurrent_version_expiration_days, config.abort_incomplete_upload_days
)


def bucket_name(component: str) -> pulumi.Output[str]:
    """Valid by construction and unique per account and region (shared.naming)."""
    return account_id.apply(lambda account: naming.bucket_name(settings, component, account))


access_logging = None
if settings.production:  # access logs go to a separate bucket, locked down the same way
    logs = EncryptedBucket(
        naming.logical_name(settings, "logs"),
        EncryptedBucketArgs(
            bucket_name("logs"),
            key_arn,
            dataclasses.replace(lifecycle, expiration_days=config.access_log_retention_days),
            log_delivery=LogDelivery(account_id, [bucket_name("data")], ACCESS_LOG_PREFIX),
        ),
        opts=provider_opts(provider),
    )
    access_logging = AccessLogging(logs.bucket_name, ACCESS_LOG_PREFIX, depends_on=[logs])

data = EncryptedBucket(
    naming.logical_name(settings, "data"),
    EncryptedBucketArgs(
        bucket_name("data"),
        key_arn,
        lifecycle,
        access_logging=access_logging,
        force_destroy=not settings.production,  # development: teardown leaves nothing behind
        protect=settings.production,
    ),
    opts=provider_opts(provider),
)

pulumi.export(topology.BUCKET_NAME, data.bucket_name)
pulumi.export(topology.BUCKET_ARN, data.arn)
