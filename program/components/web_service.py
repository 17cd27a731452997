"""The web tier: security groups, instance role, and one instance or a load-balanced fleet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from program.components.instance_role import InstanceRole, InstanceRoleArgs
from program.components.launch_spec import LaunchSpec
from program.components.load_balancer import (
    HTTPS_PORT,
    LISTENER_PORT,
    LoadBalancer,
    LoadBalancerArgs,
)
from program.components.vpc_endpoints import PrivateEndpoints, PrivateEndpointsArgs
from program.components.web_fleet import WebFleet, WebFleetArgs
from program.components.web_security_group import Egress, WebSecurityGroup, WebSecurityGroupArgs
from program.components.web_servers import WebServers, WebServersArgs
from program.webapp.app import HEALTH_PATH
from program.webapp.user_data import AppEnvironment, render_user_data
from shared import naming, topology
from shared.project_config import ComputeConfig
from shared.settings import EnvironmentSettings

# Development's public instance reaches SSM, S3 and the package repositories on the internet.
HTTPS_OUT = Egress(443, "0.0.0.0/0", "HTTPS out: SSM, S3 and the package repositories")
# The description of the web servers' security group (immutable in EC2: a change replaces it).
WEB_GROUP_DESCRIPTION = "Web servers: the web port only (no SSH/RDP; SSM Session Manager instead)"


@dataclass(frozen=True)
class WebServiceArgs:
    """The environment, the project's knobs, the network, and what the upstream layers export."""

    settings: EnvironmentSettings
    config: ComputeConfig
    vpc_id: pulumi.Input[str]
    # Zone -> public subnet id.
    subnet_ids: Mapping[str, pulumi.Input[str]]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    ami_id: pulumi.Input[str]
    partition: pulumi.Input[str] = "aws"
    # What public resources must wait for: the network's `internet_ready`.
    internet_ready: Sequence[pulumi.Resource] = ()
    # Zone -> private subnet id, and their route table: where a load-balanced fleet runs.
    private_subnet_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    private_route_table_id: pulumi.Input[str] | None = None
    # What a private server must wait for: the network's `private_ready`.
    private_ready: Sequence[pulumi.Resource] = ()
    # The storage layer's log bucket (SSE-S3): the load balancer's access logs go there.
    log_bucket_name: pulumi.Input[str] | None = None

    @property
    def load_balanced(self) -> bool:
        """Production runs a fleet behind a load balancer; other environments one instance."""
        return self.settings.production

    def __post_init__(self) -> None:
        if self.load_balanced and (
            not self.private_subnet_ids
            or self.private_route_table_id is None
            or self.log_bucket_name is None
        ):
            raise ValueError(
                "a load-balanced web tier runs in private subnets (private_subnet_ids, "
                "private_route_table_id) and logs its load balancer (log_bucket_name)"
            )


class WebService(pulumi.ComponentResource):
    """Serves the web application and says where: `url`.

    Development: one instance with a public address, reached directly on the web port from
    the allowed ranges, HTTPS out to the internet.
    Production: an internet-facing ALB in the public subnets (health check on the app's health
    path, access logs into the log bucket) in front of an Auto Scaling group in the private
    subnets, without public addresses and without a route out of the VPC: S3 and Systems
    Manager through VPC endpoints, HTTPS out only to them. The group rolls its instances when
    their launch template changes; only the ALB may reach them. Either way: no SSH/RDP, IMDSv2,
    root volumes on the customer key, no termination protection (replacing an instance must
    always work).
    """

    url: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    # The instances Pulumi manages (development's); production's belong to the group.
    instance_ids: pulumi.Output[list[str]]
    # What production's instances launch from ("" in development).
    launch_template_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: WebServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:WebService", name, None, opts)
        settings, config = args.settings, args.config
        child = pulumi.ResourceOptions(parent=self)
        lb_group = endpoints = None
        if args.load_balanced:
            endpoints = PrivateEndpoints(
                f"{name}-endpoints",
                PrivateEndpointsArgs(
                    vpc_id=args.vpc_id,
                    vpc_cidr=config.vpc_cidr,
                    region=settings.region,
                    subnet_ids=args.private_subnet_ids,
                    route_table_id=args.private_route_table_id or "",
                    bucket_arn=args.bucket_arn,
                    partition=args.partition,
                    security_group_name_prefix=naming.security_group_name_prefix(
                        settings, "endpoints"
                    ),
                ),
                child,
            )
            lb_group = WebSecurityGroup(
                f"{name}-lb",
                WebSecurityGroupArgs(
                    args.vpc_id,
                    naming.security_group_name_prefix(settings, "lb"),
                    "Load balancer: HTTP(S) from the allowed ranges, out to the web servers only",
                    # HTTPS too with a certificate (HTTP then only redirects to it).
                    ports=(LISTENER_PORT, HTTPS_PORT)
                    if config.certificate_arn
                    else (LISTENER_PORT,),
                    source_cidrs=config.allowed_cidrs,
                    egress=[Egress(config.web_port, config.vpc_cidr, "to the web servers")],
                    name_tag=naming.logical_name(settings, "lb"),
                ),
                child,
            )
        web_group = WebSecurityGroup(
            name,
            WebSecurityGroupArgs(
                args.vpc_id,
                naming.security_group_name_prefix(settings, "web"),
                WEB_GROUP_DESCRIPTION,
                ports=(config.web_port,),
                source_cidrs=() if lb_group else config.allowed_cidrs,
                source_security_group_id=lb_group.group_id if lb_group else None,
                egress=endpoints.server_egress if endpoints else [HTTPS_OUT],
                name_tag=name,
            ),
            child,
        )
        role = InstanceRole(
            name,
            InstanceRoleArgs(
                naming.iam_role_name(settings, "web"),
                naming.instance_profile_name(settings, "web"),
                args.bucket_arn,
                args.kms_key_arn,
                args.partition,
            ),
            child,
        )
        user_data = pulumi.Output.all(args.bucket_name, args.kms_key_arn).apply(
            lambda values: render_user_data(
                AppEnvironment(
                    environment=settings.environment,
                    debug=settings.debug,
                    log_level=settings.log_level,
                    port=config.web_port,
                    region=settings.region,
                    bucket_name=values[0],
                    kms_key_arn=values[1],
                )
            )
        )
        launch = LaunchSpec(
            instance_type=config.instance_type,
            ami_id=args.ami_id,
            security_group_ids=[web_group.group_id],
            instance_profile_name=role.profile_name,
            kms_key_arn=args.kms_key_arn,
            user_data=user_data,
            detailed_monitoring=settings.production,
            # Behind the balancer no server has a public address; one alone needs one.
            public_ip=endpoints is None,
            # ...and for the rules that let it out (its group exists before they do).
            wait_for=[
                *([*endpoints.ready, *args.private_ready] if endpoints else args.internet_ready),
                *web_group.rules,
            ],
        )
        if lb_group is not None:
            balancer = LoadBalancer(
                f"{name}-lb",
                LoadBalancerArgs(
                    naming.load_balancer_name(settings, "web-lb"),
                    naming.load_balancer_name(settings, "web-tg"),
                    args.vpc_id,
                    list(args.subnet_ids.values()),
                    lb_group.group_id,
                    config.web_port,
                    HEALTH_PATH,
                    wait_for=args.internet_ready,
                    certificate_arn=config.certificate_arn,
                    domain_name=config.domain_name,
                    access_log_bucket=args.log_bucket_name,
                    access_log_prefix=topology.LOAD_BALANCER_LOG_PREFIX,
                ),
                child,
            )
            fleet = WebFleet(
                name,
                WebFleetArgs(
                    subnet_ids=list(args.private_subnet_ids.values()),
                    capacity=config.instance_count,
                    launch=launch,
                    target_group_arn=balancer.target_group_arn,
                    template_name_prefix=naming.name_prefix(
                        settings, "web", naming.LAUNCH_TEMPLATE_NAME_MAX
                    ),
                    group_name_prefix=naming.name_prefix(
                        settings, "web", naming.AUTOSCALING_GROUP_NAME_MAX
                    ),
                    tags={**naming.tags(settings, "web"), "Name": name},
                ),
                child,
            )
            self.url = balancer.url
            self.instance_ids = pulumi.Output.from_input([])
            self.launch_template_id = fleet.launch_template_id
        else:
            servers = WebServers(
                name,
                WebServersArgs(
                    subnet_ids=args.subnet_ids,
                    count=config.instance_count,
                    launch=launch,
                    name_tag=name,
                ),
                child,
            )
            (instance,) = servers.instances.values()
            port = "" if config.web_port == LISTENER_PORT else f":{config.web_port}"
            self.url = pulumi.Output.concat("http://", instance.public_dns, port)
            self.instance_ids = servers.instance_ids
            self.launch_template_id = pulumi.Output.from_input("")
        self.security_group_id = web_group.group_id
        self.register_outputs(
            {
                "url": self.url,
                "security_group_id": self.security_group_id,
                "instance_ids": self.instance_ids,
                "launch_template_id": self.launch_template_id,
            }
        )
