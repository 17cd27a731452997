"""Compute layer: its own network and the web service (one instance, or an ALB and a fleet)."""

import pulumi

from program.components.network import MIN_ZONES, Network, NetworkArgs
from program.components.web_service import WebService, WebServiceArgs
from program.stack import start
from shared import topology
from shared.project_config import compute_config

stack = start(topology.COMPUTE, compute_config)

network = Network(
    stack.name("network"),
    NetworkArgs(
        stack.config.vpc_cidr, stack.standard_zones(MIN_ZONES), name_prefix=stack.name("network")
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
        kms_key_arn=stack.require(topology.SECURITY, topology.KMS_KEY_ARN),
        ami_id=stack.al2023_ami_id(stack.config.pinned_image),
        partition=stack.partition,
        internet_ready=network.internet_ready,
    ),
    stack.opts,
)

pulumi.export(topology.APP_URL, web.url)
pulumi.export(topology.VPC_ID, network.vpc_id)
pulumi.export(topology.SECURITY_GROUP_ID, web.security_group_id)
pulumi.export(topology.INSTANCE_IDS, web.instance_ids)
pulumi.export(topology.LAUNCH_TEMPLATE_ID, web.launch_template_id)
