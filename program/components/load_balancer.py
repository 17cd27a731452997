"""An internet-facing Application Load Balancer in front of the web servers' target group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.limits import TLS_POLICY

LISTENER_PORT = 80
HTTPS_PORT = 443
# Pulumi auto-names both from their logical names: `<name>-<7 random>`, at most 32 characters.
NAME_MAX = 32 - 8


@dataclass(frozen=True)
class LoadBalancerArgs:
    """The balancer and its target group (health-checked), which the web servers register with.

    The two names are logical names (`shared.naming.load_balancer_name`): AWS keeps balancer and
    target group names unique per account and region, so Pulumi generates the physical ones and
    a replacement (a new port, a new VPC) never collides with what it replaces.
    """

    balancer_name: str
    target_group_name: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    target_port: int
    health_check_path: str
    # What an internet-facing balancer must wait for (the network's public subnets' `ready`).
    wait_for: Sequence[pulumi.Resource] = ()
    # An ACM certificate of the region: HTTPS with a current TLS policy, HTTP only redirects.
    # None: plain HTTP (production reports it as an advisory finding).
    certificate_arn: str | None = None
    # The name the certificate is for (the URL); None: the balancer's own DNS name.
    domain_name: str | None = None
    # The SSE-S3 bucket that takes the access logs (its policy lets ELB write under the
    # prefix); None: no access logs.
    access_log_bucket: pulumi.Input[str] | None = None
    access_log_prefix: str = ""

    def __post_init__(self) -> None:
        for what, name in (
            ("balancer", self.balancer_name),
            ("target group", self.target_group_name),
        ):
            if not 1 <= len(name) <= NAME_MAX or name.startswith("-") or name.endswith("-"):
                raise ValueError(f"{what} name {name!r} must be 1-{NAME_MAX} chars, no edge '-'")
        if len(self.subnet_ids) < 2:
            raise ValueError("an Application Load Balancer needs subnets in two zones")
        if not self.health_check_path.startswith("/"):
            raise ValueError(f"health check path {self.health_check_path!r} must start with '/'")


class LoadBalancer(pulumi.ComponentResource):
    """ALB (with access logs when given a bucket), listeners (HTTPS and a redirect with a
    certificate, else HTTP), target group with a health check (the Auto Scaling group
    registers with it)."""

    dns_name: pulumi.Output[str]
    url: pulumi.Output[str]
    # The Auto Scaling group registers its instances here.
    target_group_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:LoadBalancer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        balancer = aws.lb.LoadBalancer(
            args.balancer_name,
            load_balancer_type="application",
            internal=False,
            subnets=list(args.subnet_ids),
            security_groups=[args.security_group_id],
            # Malformed headers never reach the application.
            drop_invalid_header_fields=True,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.access_log_bucket, prefix=args.access_log_prefix, enabled=True
            )
            if args.access_log_bucket is not None
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for)),
        )
        targets = aws.lb.TargetGroup(
            args.target_group_name,
            port=args.target_port,
            protocol="HTTP",
            target_type="instance",
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                path=args.health_check_path,
                port="traffic-port",
                matcher="200",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            opts=child,
        )
        forward = aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=targets.arn)
        if args.certificate_arn is None:
            http_action = forward
            self.url = pulumi.Output.concat("http://", balancer.dns_name)
        else:
            aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=balancer.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                certificate_arn=args.certificate_arn,
                ssl_policy=TLS_POLICY,
                default_actions=[forward],
                opts=child,
            )
            # Plain HTTP only ever answers with the way to HTTPS.
            http_action = aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                    protocol="HTTPS", port=str(HTTPS_PORT), status_code="HTTP_301"
                ),
            )
            host = args.domain_name or balancer.dns_name
            self.url = pulumi.Output.concat("https://", host)
        aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=balancer.arn,
            port=LISTENER_PORT,
            protocol="HTTP",
            default_actions=[http_action],
            opts=child,
        )
        self.dns_name = balancer.dns_name
        self.target_group_arn = targets.arn
        self.register_outputs(
            {"dns_name": self.dns_name, "url": self.url, "target_group_arn": self.target_group_arn}
        )
