"""The web tier: security groups, instance role, web servers and, for several, a load balancer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from program.components.instance_role import InstanceRole, InstanceRoleArgs
from program.components.load_balancer import LISTENER_PORT, LoadBalancer, LoadBalancerArgs
from program.components.web_security_group import Egress, WebSecurityGroup, WebSecurityGroupArgs
from program.components.web_servers import WebServers, WebServersArgs
from program.webapp.app import HEALTH_PATH
from program.webapp.user_data import AppEnvironment, render_user_data
from shared import naming
from shared.project_config import ComputeConfig
from shared.settings import EnvironmentSettings

HTTPS_OUT = Egress(443, "0.0.0.0/0", "HTTPS out: SSM, S3 and the package repositories")


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

    @property
    def load_balanced(self) -> bool:
        """More than one instance gets a load balancer; production always has at least two."""
        return self.config.instance_count > 1


class WebService(pulumi.ComponentResource):
    """Serves the web application and says where: `url`.

    One instance is reached directly on the web port from the allowed ranges. Several sit
    behind an internet-facing ALB (HTTP, health check on the app's health path) that alone
    may reach them. Either way: no SSH/RDP, egress HTTPS only, IMDSv2, encrypted root volumes.
    """

    url: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    instance_ids: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: WebServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:WebService", name, None, opts)
        settings, config = args.settings, args.config
        child = pulumi.ResourceOptions(parent=self)
        lb_group = None
        if args.load_balanced:
            lb_group = WebSecurityGroup(
                f"{name}-lb",
                WebSecurityGroupArgs(
                    args.vpc_id,
                    naming.security_group_name_prefix(settings, "lb"),
                    "Load balancer: HTTP from the allowed ranges, out to the web servers only",
                    port=LISTENER_PORT,
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
                "Web servers: the web port only (no SSH/RDP; SSM Session Manager instead)",
                port=config.web_port,
                source_cidrs=() if lb_group else config.allowed_cidrs,
                source_security_group_id=lb_group.group_id if lb_group else None,
                egress=[HTTPS_OUT],
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
        servers = WebServers(
            name,
            WebServersArgs(
                subnet_ids=args.subnet_ids,
                count=config.instance_count,
                instance_type=config.instance_type,
                ami_id=args.ami_id,
                security_group_ids=[web_group.group_id],
                instance_profile_name=role.profile_name,
                kms_key_arn=args.kms_key_arn,
                user_data=user_data,
                name_tag=name,
                detailed_monitoring=settings.production,
                termination_protection=settings.production,
                wait_for=args.internet_ready,
            ),
            child,
        )
        if lb_group is not None:
            self.url = LoadBalancer(
                f"{name}-lb",
                LoadBalancerArgs(
                    naming.load_balancer_name(settings, "web-lb"),
                    naming.load_balancer_name(settings, "web-tg"),
                    args.vpc_id,
                    list(args.subnet_ids.values()),
                    lb_group.group_id,
                    {key: instance.id for key, instance in servers.instances.items()},
                    config.web_port,
                    HEALTH_PATH,
                    wait_for=args.internet_ready,
                ),
                child,
            ).url
        else:
            (instance,) = servers.instances.values()
            port = "" if config.web_port == LISTENER_PORT else f":{config.web_port}"
            self.url = pulumi.Output.concat("http://", instance.public_dns, port)
        self.security_group_id = web_group.group_id
        self.instance_ids = servers.instance_ids
        self.register_outputs(
            {
                "url": self.url,
                "security_group_id": self.security_group_id,
                "instance_ids": self.instance_ids,
            }
        )
