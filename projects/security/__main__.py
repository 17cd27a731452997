"""Security layer: the customer-managed KMS key the storage and compute layers encrypt with."""

import pulumi

from program.components.kms_key import KmsKey, KmsKeyArgs
from program.stack import start
from projects.security.config import read_config
from shared import naming, topology

stack = start(topology.SECURITY, read_config)
settings = stack.settings

key = KmsKey(
    stack.name("key"),
    KmsKeyArgs(
        alias_name=naming.kms_alias(settings, "data"),
        description=f"{settings.app} {settings.environment}: application data and volumes",
        deletion_window_in_days=stack.config.key_deletion_window_days,
        protect=settings.production,
        # Production's web servers are launched by an Auto Scaling group.
        autoscaling_launches=settings.production,
        # The compute layer's VPC flow logs are kept in a log group encrypted with the key.
        log_group_prefix=naming.log_group_prefix(settings),
    ),
    opts=stack.opts,
)

pulumi.export(topology.KMS_KEY_ARN, key.arn)
pulumi.export(topology.KMS_KEY_ID, key.key_id)
pulumi.export(topology.KMS_ALIAS_NAME, key.alias_name)
