"""Compute layer: its own network and the web service (servers, and an ALB for several)."""

import pulumi
import pulumi_aws as aws

from program.components.network import Network, NetworkArgs
from program.components.web_service import WebService, WebServiceArgs
from program.provider import aws_provider, emulator_endpoint, provider_opts
from shared import naming, topology
from shared.project_config import compute_config
from shared.references import UpstreamStacks
from shared.settings import load_settings

AL2023_AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
ZONES = 2

settings = load_settings(pulumi.get_stack())
config = compute_config(settings)
provider = aws_provider(settings, topology.COMPUTE, endpoint=emulator_endpoint())
lookup = pulumi.InvokeOutputOptions(provider=provider)
upstream = UpstreamStacks(topology.COMPUTE, settings.environment)
# Standard zones only (no Local/Wavelength Zones); sorted, so the first two stay the first two.
zones = aws.get_availability_zones(
    filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    opts=pulumi.InvokeOptions(provider=provider),
).names

network_name = naming.logical_name(settings, "network")
network = Network(
    network_name,
    NetworkArgs(config.vpc_cidr, sorted(zones)[:ZONES], name_prefix=network_name),
    provider_opts(provider),
)
web = WebService(
    naming.logical_name(settings, "web"),
    WebServiceArgs(
        settings=settings,
        config=config,
        vpc_id=network.vpc_id,
        subnet_ids=network.subnet_ids,
        bucket_name=upstream.require(topology.STORAGE, topology.BUCKET_NAME),
        bucket_arn=upstream.require(topology.STORAGE, topology.BUCKET_ARN),
        kms_key_arn=upstream.require(topology.SECURITY, topology.KMS_KEY_ARN),
        ami_id=aws.ssm.get_parameter_output(name=AL2023_AMI, opts=lookup).value,
        partition=aws.get_partition_output(opts=lookup).partition,
    ),
    provider_opts(provider),
)

pulumi.export(topology.APP_URL, web.url)
pulumi.export(topology.VPC_ID, network.vpc_id)
pulumi.export(topology.SECURITY_GROUP_ID, web.security_group_id)
pulumi.export(topology.INSTANCE_IDS, web.instance_ids)
