"""The web tier: security groups, instance role, and one instance or a load-balanced fleet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from program.components.instance_role import InstanceRole, InstanceRoleArgs
from program.components.launch_spec import LaunchSpec
from program.components.load_balancer import (
    HTTPS_PORT,
    LISTENER_PORT,
    LoadBalancer,
    LoadBalancerArgs,
)
from program.components.network import NetworkRefs
from program.components.vpc_endpoints import PrivateEndpoints, PrivateEndpointsArgs
from program.components.web_fleet import WebFleet, WebFleetArgs
from program.components.web_security_group import Egress, WebSecurityGroup, WebSecurityGroupArgs
from program.components.web_servers import WebServers, WebServersArgs
from program.webapp.app import HEALTH_PATH
from program.webapp.user_data import AppEnvironment, render_user_data
from shared import naming, topology
from shared.settings import LOG_LEVELS, EnvironmentSettings

# Development's public instance reaches SSM, S3 and the package repositories on the internet.
HTTPS_OUT = Egress(443, "0.0.0.0/0", "HTTPS out: SSM, S3 and the package repositories")
# The description of the web servers' security group (immutable in EC2: a change replaces it).
WEB_GROUP_DESCRIPTION = "Web servers: the web port only (no SSH/RDP; SSM Session Manager instead)"


@dataclass(frozen=True)
class WebNames:
    """The web tier's physical names and tags, all from `shared.naming` (`WebNames.of`)."""

    role: str
    instance_profile: str
    # Security group name prefixes: the web servers', the load balancer's, the endpoints'.
    web_group_prefix: str
    lb_group_prefix: str
    endpoints_group_prefix: str
    # The load balancer's group's `Name` tag.
    lb_group_tag: str
    # Logical names Pulumi auto-names the balancer and its target group from.
    balancer: str
    target_group: str
    # Name prefixes of the fleet's launch template and Auto Scaling group.
    template_prefix: str
    autoscaling_group_prefix: str
    # What the fleet's instances and volumes are tagged with (`Name` comes from the component).
    tags: Mapping[str, str]

    @classmethod
    def of(cls, settings: EnvironmentSettings) -> WebNames:
        """The environment's names for the web tier."""
        return cls(
            role=naming.iam_role_name(settings, "web"),
            instance_profile=naming.instance_profile_name(settings, "web"),
            web_group_prefix=naming.security_group_name_prefix(settings, "web"),
            lb_group_prefix=naming.security_group_name_prefix(settings, "lb"),
            endpoints_group_prefix=naming.security_group_name_prefix(settings, "endpoints"),
            lb_group_tag=naming.logical_name(settings, "lb"),
            balancer=naming.load_balancer_name(settings, "web-lb"),
            target_group=naming.load_balancer_name(settings, "web-tg"),
            template_prefix=naming.name_prefix(settings, "web", naming.LAUNCH_TEMPLATE_NAME_MAX),
            autoscaling_group_prefix=naming.name_prefix(
                settings, "web", naming.AUTOSCALING_GROUP_NAME_MAX
            ),
            tags=naming.tags(settings, "web"),
        )


@dataclass(frozen=True)
class AppRuntime:
    """What the application is told of where it runs (its user data), besides bucket and key."""

    environment: str
    # The region the app's AWS clients call (and the VPC endpoints' services are in).
    region: str
    # The port the application listens on and the security groups admit; never SSH/RDP.
    port: int = LISTENER_PORT
    debug: bool = False
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a TCP port")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")

    @classmethod
    def of(cls, settings: EnvironmentSettings, port: int) -> AppRuntime:
        """The environment's runtime settings, the app listening on `port`."""
        return cls(settings.environment, settings.region, port, settings.debug, settings.log_level)


@dataclass(frozen=True)
class WebServiceArgs:
    """Where the web tier runs, what it runs, who may reach it, and the upstream layers' data."""

    network: NetworkRefs
    # A fleet behind a load balancer in the private subnets (with detailed monitoring);
    # otherwise one instance in a public subnet, served directly.
    load_balanced: bool
    names: WebNames
    app: AppRuntime
    ami_id: pulumi.Input[str]
    instance_type: str
    # Who may reach the web port (the load balancer's, or the lone instance's).
    allowed_cidrs: Sequence[str]
    # The storage layer's app bucket and the security layer's key (the servers' data, volumes).
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    instance_count: int = 1
    # The storage layer's log bucket (SSE-S3): the load balancer's access logs go there.
    log_bucket_name: pulumi.Input[str] | None = None
    # An ACM certificate for the load balancer (HTTPS), and the name it is for.
    certificate_arn: str | None = None
    domain_name: str | None = None

    def __post_init__(self) -> None:
        if self.load_balanced and (self.network.private is None or self.log_bucket_name is None):
            raise ValueError(
                "a load-balanced web tier runs in private subnets (a network with private "
                "subnets) and logs its load balancer (log_bucket_name)"
            )
        if not self.load_balanced and self.instance_count != 1:
            raise ValueError(
                f"without a load balancer one instance is served directly, not "
                f"{self.instance_count}"
            )
        if not self.load_balanced and self.certificate_arn is not None:
            raise ValueError("HTTPS (certificate_arn) needs the load balancer to serve it")
        if self.domain_name is not None and self.certificate_arn is None:
            raise ValueError(f"domain_name {self.domain_name!r} needs the certificate it is for")
        if not self.allowed_cidrs:
            raise ValueError("nobody could reach the web tier: allowed_cidrs is empty")


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
        network, names, app = args.network, args.names, args.app
        child = pulumi.ResourceOptions(parent=self)
        lb_group = endpoints = None
        if args.load_balanced:
            endpoints = PrivateEndpoints(
                f"{name}-endpoints",
                PrivateEndpointsArgs(
                    network=network,
                    region=app.region,
                    bucket_arn=args.bucket_arn,
                    security_group_name_prefix=names.endpoints_group_prefix,
                ),
                child,
            )
            lb_group = WebSecurityGroup(
                f"{name}-lb",
                WebSecurityGroupArgs(
                    network.vpc_id,
                    names.lb_group_prefix,
                    "Load balancer: HTTP(S) from the allowed ranges, out to the web servers only",
                    # HTTPS too with a certificate (HTTP then only redirects to it).
                    ports=(LISTENER_PORT, HTTPS_PORT) if args.certificate_arn else (LISTENER_PORT,),
                    source_cidrs=args.allowed_cidrs,
                    egress=[Egress(app.port, network.cidr_block, "to the web servers")],
                    name_tag=names.lb_group_tag,
                ),
                child,
            )
        web_group = WebSecurityGroup(
            name,
            WebSecurityGroupArgs(
                network.vpc_id,
                names.web_group_prefix,
                WEB_GROUP_DESCRIPTION,
                ports=(app.port,),
                source_cidrs=() if lb_group else args.allowed_cidrs,
                source_security_group_id=lb_group.group_id if lb_group else None,
                egress=endpoints.server_egress if endpoints else [HTTPS_OUT],
                name_tag=name,
            ),
            child,
        )
        role = InstanceRole(
            name,
            InstanceRoleArgs(names.role, names.instance_profile, args.bucket_arn, args.kms_key_arn),
            child,
        )
        user_data = pulumi.Output.all(args.bucket_name, args.kms_key_arn).apply(
            lambda values: render_user_data(
                AppEnvironment(
                    environment=app.environment,
                    debug=app.debug,
                    log_level=app.log_level,
                    port=app.port,
                    region=app.region,
                    bucket_name=values[0],
                    kms_key_arn=values[1],
                )
            )
        )
        private = network.private
        launch = LaunchSpec(
            instance_type=args.instance_type,
            ami_id=args.ami_id,
            security_group_ids=[web_group.group_id],
            instance_profile_name=role.profile_name,
            kms_key_arn=args.kms_key_arn,
            user_data=user_data,
            detailed_monitoring=args.load_balanced,
            # Behind the balancer no server has a public address; one alone needs one.
            public_ip=endpoints is None,
            # ...and for the rules that let it out (its group exists before they do).
            wait_for=[
                *(
                    [*endpoints.ready, *private.ready]
                    if endpoints and private
                    else network.public.ready
                ),
                *web_group.rules,
            ],
        )
        if lb_group is not None and private is not None:
            balancer = LoadBalancer(
                f"{name}-lb",
                LoadBalancerArgs(
                    names.balancer,
                    names.target_group,
                    network.vpc_id,
                    list(network.public.ids.values()),
                    lb_group.group_id,
                    app.port,
                    HEALTH_PATH,
                    wait_for=network.public.ready,
                    certificate_arn=args.certificate_arn,
                    domain_name=args.domain_name,
                    access_log_bucket=args.log_bucket_name,
                    access_log_prefix=topology.LOAD_BALANCER_LOG_PREFIX,
                ),
                child,
            )
            fleet = WebFleet(
                name,
                WebFleetArgs(
                    subnet_ids=list(private.ids.values()),
                    capacity=args.instance_count,
                    launch=launch,
                    target_group_arn=balancer.target_group_arn,
                    template_name_prefix=names.template_prefix,
                    group_name_prefix=names.autoscaling_group_prefix,
                    tags={**names.tags, "Name": name},
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
                    subnet_ids=network.public.ids,
                    count=args.instance_count,
                    launch=launch,
                    name_tag=name,
                ),
                child,
            )
            (instance,) = servers.instances.values()
            port = "" if app.port == LISTENER_PORT else f":{app.port}"
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
