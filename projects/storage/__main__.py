"""Storage layer: the application bucket, encrypted with the security layer's key, and (in
production) the log bucket the data bucket's and the load balancer's access logs go to."""

import pulumi

from program.components.app_buckets import AppBucketsArgs, app_buckets
from program.components.encrypted_bucket import Lifecycle
from program.stack import start
from projects.storage.config import read_config
from shared import topology

stack = start(topology.STORAGE, read_config)
settings, config = stack.settings, stack.config

buckets = app_buckets(
    AppBucketsArgs(
        settings=settings,
        account_id=stack.account_id,
        kms_key_arn=stack.require(topology.SECURITY, topology.KMS_KEY_ARN),
        lifecycle=Lifecycle(
            config.noncurrent_version_expiration_days, config.abort_incomplete_upload_days
        ),
        # Production keeps access logs, and its buckets protected.
        access_log_retention_days=config.access_log_retention_days if settings.production else None,
        load_balancer_log_writer_arn=stack.elb_log_writer_arn,
        protect=settings.production,
    ),
    stack.opts,
)

pulumi.export(topology.BUCKET_NAME, buckets.data.bucket_name)
pulumi.export(topology.BUCKET_ARN, buckets.data.arn)
pulumi.export(topology.LOG_BUCKET_NAME, buckets.log_bucket_name)
