"""Compute layer: its own network with flow logs, and the web service (one public instance, or
an ALB in front of a fleet in private subnets)."""

import pulumi

from program.components.flow_logs import FlowLogs, FlowLogsArgs
from program.components.network import MIN_ZONES, Network, NetworkArgs
from program.components.web_service import AppRuntime, WebNames, WebService, WebServiceArgs
from program.stack import start
from projects.compute.config import read_config
from shared import naming, topology

stack = start(topology.COMPUTE, read_config)
settings, config = stack.settings, stack.config
kms_key_arn = stack.require(topology.SECURITY, topology.KMS_KEY_ARN)

# Production's web servers live in private subnets (no route out but VPC endpoints).
zones = stack.standard_zones(MIN_ZONES)
network = Network(
    stack.name("network"),
    NetworkArgs(config.vpc_cidr, zones, private_subnets=settings.production),
    stack.opts,
)
FlowLogs(
    stack.name("flow-logs"),
    FlowLogsArgs(
        vpc_id=network.vpc_id,
        log_group_name=naming.log_group_name(settings, "vpc-flow-logs"),
        retention_days=config.flow_log_retention_days,
        kms_key_arn=kms_key_arn,
        role_name=naming.iam_role_name(settings, "flow-logs"),
    ),
    stack.opts,
)
web = WebService(
    stack.name("web"),
    WebServiceArgs(
        network=network.refs,
        load_balanced=settings.production,
        names=WebNames.of(settings),
        app=AppRuntime.of(settings, port=config.web_port),
        ami_id=stack.al2023_ami_id(config.pinned_image),
        instance_type=config.instance_type,
        instance_count=config.instance_count,
        allowed_cidrs=config.allowed_cidrs,
        bucket_name=stack.require(topology.STORAGE, topology.BUCKET_NAME),
        bucket_arn=stack.require(topology.STORAGE, topology.BUCKET_ARN),
        kms_key_arn=kms_key_arn,
        log_bucket_name=stack.require(topology.STORAGE, topology.LOG_BUCKET_NAME),
        certificate_arn=config.certificate_arn,
        domain_name=config.domain_name,
    ),
    stack.opts,
)

pulumi.export(topology.APP_URL, web.url)
pulumi.export(topology.VPC_ID, network.vpc_id)
pulumi.export(topology.SECURITY_GROUP_ID, web.security_group_id)
pulumi.export(topology.INSTANCE_IDS, web.instance_ids)
pulumi.export(topology.LAUNCH_TEMPLATE_ID, web.launch_template_id)
