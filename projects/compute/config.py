"""The compute project's knobs: the network, the web servers, their image and certificate.

Each value is validated against the environment it is for (production is stricter), so a bad
value fails before anything is created, with one message naming the key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from shared.config_reading import (
    ConfigGetter,
    build_config,
    check_range,
    config_error,
    config_reader,
)
from shared.limits import (
    ACM_CERTIFICATE_ARN_PATTERN,
    ADMIN_PORTS,
    AL2023_IMAGE_NAME_PATTERN,
    DNS_NAME_PATTERN,
    LOG_RETENTION_DAYS,
    MAX_INSTANCES,
    PRODUCTION_LOG_RETENTION_MIN_DAYS,
    PRODUCTION_MIN_INSTANCES,
)
from shared.settings import EnvironmentSettings
from shared.topology import COMPUTE

_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
# `compute:image`: follow AWS's latest Amazon Linux 2023 instead of a pinned AMI name.
LATEST_IMAGE = "latest"
IMAGE_EXAMPLE = "al2023-ami-2023.12.20261021.0-kernel-6.1-x86_64"


@dataclass(frozen=True)
class ComputeConfig:
    """Knobs of the compute (EC2 web application) project."""

    # Who may reach the web port (the load balancer in production, the instance in development).
    allowed_cidrs: tuple[str, ...]
    instance_type: str = "t3.micro"
    instance_count: int = 1
    # The port the application listens on and the security groups admit; never SSH/RDP.
    web_port: int = 80
    vpc_cidr: str = "10.0.0.0/16"
    # The image the web servers boot: an Amazon Linux 2023 AMI name (pinned: only a change of
    # this value rolls the servers), or `latest` (AWS's newest AL2023 at every deploy, so a new
    # release rolls them on the next deploy). None: not set (development then takes `latest`;
    # production must choose).
    image: str | None = None
    # Production's load balancer serves HTTPS with this ACM certificate (of the environment's
    # region) and HTTP only redirects; without one it serves plain HTTP, an advisory finding.
    certificate_arn: str | None = None
    # The DNS name the certificate is for, pointed at the load balancer (the app's URL).
    domain_name: str | None = None
    # How long the VPC flow logs are kept (a CloudWatch Logs retention period, in days).
    flow_log_retention_days: int = 365

    KEYS: ClassVar[tuple[str, ...]] = (
        "allowedCidrs",
        "instanceType",
        "instanceCount",
        "webPort",
        "vpcCidr",
        "image",
        "certificateArn",
        "domainName",
        "flowLogRetentionDays",
    )

    @property
    def pinned_image(self) -> str | None:
        """The AMI name the servers are pinned to; None when they follow the latest AL2023."""
        return None if self.image in (None, LATEST_IMAGE) else self.image

    def __post_init__(self) -> None:
        if not _INSTANCE_TYPE.match(self.instance_type):
            raise config_error(
                COMPUTE, "instanceType", f"{self.instance_type!r} is not an EC2 instance type"
            )
        check_range(COMPUTE, "instanceCount", self.instance_count, 1, MAX_INSTANCES)
        check_range(COMPUTE, "webPort", self.web_port, 1, 65535)
        if self.web_port in ADMIN_PORTS:
            raise config_error(
                COMPUTE,
                "webPort",
                f"{self.web_port} is the {ADMIN_PORTS[self.web_port]} port; administration "
                "goes through SSM Session Manager, so no admin port is ever opened",
            )
        if self.image not in (None, LATEST_IMAGE) and not AL2023_IMAGE_NAME_PATTERN.match(
            self.image
        ):
            raise config_error(
                COMPUTE,
                "image",
                f"{self.image!r} is neither {LATEST_IMAGE!r} nor an Amazon Linux 2023 AMI name "
                f"such as {IMAGE_EXAMPLE!r}",
            )
        self._check_https()
        if self.flow_log_retention_days not in LOG_RETENTION_DAYS:
            raise config_error(
                COMPUTE,
                "flowLogRetentionDays",
                f"{self.flow_log_retention_days} is not a CloudWatch Logs retention period; "
                f"use one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
            )
        if not self.allowed_cidrs:
            raise config_error(COMPUTE, "allowedCidrs", "is empty, so nobody could reach the app")
        for cidr in self.allowed_cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise config_error(
                    COMPUTE, "allowedCidrs", f"{cidr!r} is not a CIDR range such as 203.0.113.0/24"
                ) from None
            if network.version != 4:
                raise config_error(
                    COMPUTE, "allowedCidrs", f"{cidr!r}: only IPv4 ranges are supported"
                )
        try:
            vpc = ipaddress.ip_network(self.vpc_cidr, strict=True)
        except ValueError:
            raise config_error(
                COMPUTE, "vpcCidr", f"{self.vpc_cidr!r} is not a CIDR range"
            ) from None
        if vpc.version != 4 or not 16 <= vpc.prefixlen <= 22:
            raise config_error(
                COMPUTE,
                "vpcCidr",
                f"{self.vpc_cidr!r} must be an IPv4 range from /16 to /22 (room for /24 subnets)",
            )

    def _check_https(self) -> None:
        if self.certificate_arn is not None and not ACM_CERTIFICATE_ARN_PATTERN.match(
            self.certificate_arn
        ):
            raise config_error(
                COMPUTE,
                "certificateArn",
                f"{self.certificate_arn!r} is not an ACM certificate ARN such as "
                "arn:aws:acm:us-west-2:111122223333:certificate/<uuid>",
            )
        if self.domain_name is not None:
            if not DNS_NAME_PATTERN.match(self.domain_name):
                raise config_error(
                    COMPUTE, "domainName", f"{self.domain_name!r} is not a DNS name (lowercase)"
                )
            if self.certificate_arn is None:
                raise config_error(
                    COMPUTE,
                    "domainName",
                    "needs compute:certificateArn: the name is served over HTTPS only",
                )

    def plain_http_knob(self, settings: EnvironmentSettings) -> str | None:
        """The knob that would give `settings`' load balancer HTTPS, when it serves plain HTTP.

        Only production has a load balancer; without `certificateArn` it serves HTTP on 80
        (orchestration.preflight refuses to deploy that unless asked to).
        """
        if settings.production and self.certificate_arn is None:
            return "certificateArn"
        return None

    def check_environment(self, settings: EnvironmentSettings) -> ComputeConfig:
        """Refuse what the environment does not allow; return self for chaining."""
        if self.certificate_arn is not None:
            match = ACM_CERTIFICATE_ARN_PATTERN.match(self.certificate_arn)
            region = match.group("region") if match else None
            if region != settings.region:
                raise config_error(
                    COMPUTE,
                    "certificateArn",
                    f"is a certificate of {region}, but the load balancer is in "
                    f"{settings.region}: ACM certificates are regional, use one of "
                    f"{settings.region}",
                    settings,
                )
            if not settings.production:
                raise config_error(
                    COMPUTE,
                    "certificateArn",
                    f"is set, but {settings.environment} has no load balancer to serve HTTPS "
                    "(its one instance is served directly); remove it",
                    settings,
                )
        if settings.production and self.instance_count < PRODUCTION_MIN_INSTANCES:
            raise config_error(
                COMPUTE,
                "instanceCount",
                f"is {self.instance_count}, but production runs at least "
                f"{PRODUCTION_MIN_INSTANCES} instances behind the load balancer (one per subnet)",
                settings,
                str(PRODUCTION_MIN_INSTANCES),
            )
        if settings.production and self.image is None:
            raise config_error(
                COMPUTE,
                "image",
                "is not set, but production chooses its image: pin an Amazon Linux 2023 AMI "
                f"name (README: moving the production image), or {LATEST_IMAGE!r} to roll onto "
                "every new release",
                settings,
                IMAGE_EXAMPLE,
            )
        if settings.production and self.flow_log_retention_days < PRODUCTION_LOG_RETENTION_MIN_DAYS:
            raise config_error(
                COMPUTE,
                "flowLogRetentionDays",
                f"is {self.flow_log_retention_days}, but production keeps its flow logs at least "
                f"{PRODUCTION_LOG_RETENTION_MIN_DAYS} days (rule cloudwatch-log-group-encrypted)",
                settings,
                str(PRODUCTION_LOG_RETENTION_MIN_DAYS),
            )
        if not settings.production and self.instance_count != 1:
            raise config_error(
                COMPUTE,
                "instanceCount",
                f"is {self.instance_count}, but {settings.environment} serves one instance "
                "directly (only production runs a load-balanced Auto Scaling group)",
                settings,
                "1",
            )
        return self


def read_config(
    settings: EnvironmentSettings,
    get: ConfigGetter | None = None,
    keys: Iterable[str] | None = None,
) -> ComputeConfig:
    """The compute project's knobs for `settings.environment`."""
    read = config_reader(COMPUTE, settings, get, keys, ComputeConfig.KEYS)
    values: dict[str, Any] = {"allowed_cidrs": read.string_list("allowedCidrs", required=True)}
    for name, key, parse in (
        ("instance_type", "instanceType", read.string),
        ("instance_count", "instanceCount", read.integer),
        ("web_port", "webPort", read.integer),
        ("vpc_cidr", "vpcCidr", read.string),
        ("image", "image", read.string),
        ("certificate_arn", "certificateArn", read.string),
        ("domain_name", "domainName", read.string),
        ("flow_log_retention_days", "flowLogRetentionDays", read.integer),
    ):
        value = parse(key)
        if value is not None:
            values[name] = value
    return build_config(ComputeConfig, values, settings).check_environment(settings)


# The keys `compute:<key>` this project reads.
KEYS = ComputeConfig.KEYS
