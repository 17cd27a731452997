"""Compute layer: its own network with flow logs, and the web service (one public instance, or
an ALB in front of a fleet in private subnets)."""

import pulumi

from program.components.flow_logs import FlowLogs, FlowLogsArgs
from program.components.network import MIN_ZONES, Network, NetworkArgs
from program.components.web_service import WebService, WebServiceArgs
from program.stack import start
from shared import naming, topology
from shared.project_config import compute_config

stack = start(topology.COMPUTE, compute_config)
kms_key_arn = stack.require(topology.SECURITY, topology.KMS_KEY_ARN)

network = Network(
    stack.name("network"),
    NetworkArgs(
        stack.config.vpc_cidr,
        stack.standard_zones(MIN_ZONES),
        name_prefix=stack.name("network"),
        # Production's web servers live in private subnets (no route out but VPC endpoints).
        private_subnets=stack.settings.production,
    ),
    stack.opts,
)
FlowLogs(
    stack.name("flow-logs"),
    FlowLogsArgs(
        vpc_id=network.vpc_id,
        log_group_name=naming.log_group_name(stack.settings, "vpc-flow-logs"),
        retention_days=stack.config.flow_log_retention_days,
        kms_key_arn=kms_key_arn,
        role_name=naming.iam_role_name(stack.settings, "flow-logs"),
    ),
    stack.opts,
)
web = WebService(
    stack.name("web"),
    WebServiceArgs(
        settings=stack.settings,
        config=stack.config,
        vpc_id=network.vpc_id,
        subnet_ids=network.subnet_ids,
        bucket_name=stack.require(topology.STORAGE, topology.BUCKET_NAME),
        bucket_arn=stack.require(topology.STORAGE, topology.BUCKET_ARN),
        kms_key_arn=kms_key_arn,
        ami_id=stack.al2023_ami_id(stack.config.pinned_image),
        partition=stack.partition,
        internet_ready=network.internet_ready,
        private_subnet_ids=network.private_subnet_ids,
        private_route_table_id=network.private_route_table_id,
        private_ready=network.private_ready,
        log_bucket_name=stack.require(topology.STORAGE, topology.LOG_BUCKET_NAME),
    ),
    stack.opts,
)

pulumi.export(topology.APP_URL, web.url)
pulumi.export(topology.VPC_ID, network.vpc_id)
pulumi.export(topology.SECURITY_GROUP_ID, web.security_group_id)
pulumi.export(topology.INSTANCE_IDS, web.instance_ids)
pulumi.export(topology.LAUNCH_TEMPLATE_ID, web.launch_template_id)
