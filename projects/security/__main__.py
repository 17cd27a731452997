"""Security layer: the customer-managed KMS key the storage and compute layers encrypt with."""

import pulumi
import pulumi_aws as aws

from program.components.kms_key import KmsKey, KmsKeyArgs
from program.provider import aws_provider, emulator_endpoint, provider_opts
from shared import naming, topology
from shared.project_config import security_config
from shared.settings import load_settings

settings = load_settings(pulumi.get_stack())
config = security_config(settings)
provider = aws_provider(settings, topology.SECURITY, endpoint=emulator_endpoint())
lookup = pulumi.InvokeOutputOptions(provider=provider)

key = KmsKey(
    naming.logical_name(settings, "key"),
    KmsKeyArgs(
        alias_name=naming.kms_alias(settings, "data"),
        account_id=aws.get_caller_identity_output(opts=lookup).account_id,
        partition=aws.get_partition_output(opts=lookup).partition,
        region=settings.region,
        description=f"{settings.app} {settings.environment}: application data and volumes",
        deletion_window_in_days=config.key_deletion_window_days,
        protect=settings.production,
    ),
    opts=provider_opts(provider),
)

pulumi.export(topology.KMS_KEY_ARN, key.arn)
pulumi.export(topology.KMS_KEY_ID, key.key_id)
pulumi.export(topology.KMS_ALIAS_NAME, key.alias_name)
