"""What every web server launches with, whether Pulumi or an Auto Scaling group launches it.

One place for the hardening both `WebServers` (development's instance) and `WebFleet`
(production's launch template) apply: IMDSv2 only with hop limit 1, a gp3 root volume encrypted
with the customer key, the instance profile, no SSH key, and the public resources to wait for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

# IMDSv2 only; hop limit 1: a token cannot leave the instance (e.g. into a container).
METADATA_TOKENS = "required"
METADATA_HOP_LIMIT = 1
ROOT_VOLUME_TYPE = "gp3"
ROOT_VOLUME_GB_RANGE = (8, 1024)


@dataclass(frozen=True)
class LaunchSpec:
    """The image, type, network identity and boot configuration of a web server."""

    instance_type: str
    ami_id: pulumi.Input[str]
    security_group_ids: Sequence[pulumi.Input[str]]
    instance_profile_name: pulumi.Input[str]
    # Encrypts the root volume (the security stack's customer key).
    kms_key_arn: pulumi.Input[str]
    # The rendered user data, plain text.
    user_data: pulumi.Input[str]
    detailed_monitoring: bool = True
    # The network has no NAT gateway: a server in a public subnet needs a public address for
    # outbound HTTPS (SSM, S3, packages); one in a private subnet has none and reaches them
    # through VPC endpoints. Its security group decides who may reach it.
    public_ip: bool = True
    root_volume_gb: int = 8
    # What a server must wait for to find its way out at first boot: the network's
    # public subnets' `ready` (public) or the VPC endpoints (private).
    wait_for: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if not self.security_group_ids:
            raise ValueError("web servers need a security group")
        low, high = ROOT_VOLUME_GB_RANGE
        if not low <= self.root_volume_gb <= high:
            raise ValueError(f"root volume {self.root_volume_gb} GB must be {low}..{high}")
