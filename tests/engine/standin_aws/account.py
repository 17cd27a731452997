"""TEST-ONLY stand-in AWS provider: the account it answers as, and what AWS made there itself.

The provider configuration (region, default tags, account id), and the ids of the resources
every account has without a program creating them (the default VPC, its subnets, route table
and security groups, the AWS-managed prefix lists), derived from the account and region so
every part of the stand-in names them alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.aws_facts import (
    AUTOSCALING_SERVICE_ROLE_PATH,
    dns_suffix,
    partition_of,
    zone_names,
)
from tests.engine.standin_aws import ACCOUNT_ID

# -- provider configuration ----------------------------------------------------------------


@dataclass(frozen=True)
class ProviderConfig:
    """What Configure accepted; the parts that shape outputs."""

    region: str
    default_tags: Mapping[str, Any] = field(default_factory=dict)
    account: str = ACCOUNT_ID

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    @property
    def dns_suffix(self) -> str:
        return dns_suffix(self.partition)


def digest(*parts: str) -> str:
    return hashlib.sha256("#".join(parts).encode()).hexdigest()


def default_vpc_id(config: ProviderConfig) -> str:
    return "vpc-" + digest(config.account, config.region, "default-vpc")[:17]


def default_subnet_id(config: ProviderConfig, zone: str) -> str:
    return "subnet-" + digest(config.account, zone, "default-subnet")[:17]


def default_subnet_cidr(zone: str) -> str:
    """A default subnet's /20 of the default VPC's 172.31.0.0/16, one per zone in order."""
    return f"172.31.{16 * zone_names(zone[:-1]).index(zone)}.0/20"


def default_route_table_id(config: ProviderConfig) -> str:
    """The default VPC's main route table (its only route out: 0.0.0.0/0 to its gateway)."""
    return "rtb-" + digest(config.account, config.region, "default-route-table")[:17]


def endpoint_service(region: str, service: str) -> str:
    """A regional AWS service's VPC endpoint service name: com.amazonaws.<region>.<service>."""
    return f"com.amazonaws.{region}.{service}"


# Services with an AWS-managed prefix list (what gateway endpoints route to); a VPC endpoint of
# either service reports it as `prefixListId`, whatever the endpoint's type.
PREFIX_LIST_SERVICES = ("s3", "dynamodb")


def service_prefix_list(region: str, service_name: str) -> str | None:
    """The AWS-managed prefix list of an endpoint service in a region (one per service)."""
    if service_name not in {endpoint_service(region, name) for name in PREFIX_LIST_SERVICES}:
        return None
    return "pl-" + digest(region, service_name, "prefix-list")[:8]


def default_security_group_of(vpc_id: str) -> str:
    """The id of a VPC's default security group: derived from the VPC id, so the VPC's
    `defaultSecurityGroupId` and an `ec2.DefaultSecurityGroup` adopting it agree."""
    return "sg-" + digest(vpc_id, "default-sg")[:17]


# The service-linked role Auto Scaling launches instances with (and so uses KMS keys as).
AUTOSCALING_ROLE_PATH = AUTOSCALING_SERVICE_ROLE_PATH
