"""Storage layer: the application bucket, encrypted with the security layer's key."""

import pulumi

from program.components.app_buckets import AppBucketsArgs, app_buckets
from program.stack import start
from shared import topology
from shared.project_config import storage_config

stack = start(topology.STORAGE, storage_config)

buckets = app_buckets(
    AppBucketsArgs(
        settings=stack.settings,
        config=stack.config,
        account_id=stack.account_id,
        kms_key_arn=stack.require(topology.SECURITY, topology.KMS_KEY_ARN),
    ),
    stack.opts,
)

pulumi.export(topology.BUCKET_NAME, buckets.data.bucket_name)
pulumi.export(topology.BUCKET_ARN, buckets.data.arn)
