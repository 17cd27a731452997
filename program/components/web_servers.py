"""The EC2 instances running the web application, spread over the network's zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.limits import MAX_INSTANCES


@dataclass(frozen=True)
class WebServersArgs:
    """Hardened instances served directly (development); replaceable, so never protected from
    termination (a protected instance cannot be replaced or destroyed)."""

    # Zone -> subnet id; instances go round-robin over the zones in this order.
    subnet_ids: Mapping[str, pulumi.Input[str]]
    count: int
    instance_type: str
    ami_id: pulumi.Input[str]
    security_group_ids: Sequence[pulumi.Input[str]]
    instance_profile_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    user_data: pulumi.Input[str]
    # Prefix of the EC2 `Name` tags, e.g. "webapp-production-web".
    name_tag: str
    detailed_monitoring: bool = True
    # Served straight from the instance, which also needs it for outbound HTTPS (no NAT gateway).
    public_ip: bool = True
    root_volume_gb: int = 8
    # What a public instance must wait for to boot with the internet (`Network.internet_ready`).
    wait_for: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        if not self.subnet_ids:
            raise ValueError("web servers need at least one subnet")
        if not 1 <= self.count <= MAX_INSTANCES:
            raise ValueError(f"instance count {self.count} must be 1..{MAX_INSTANCES}")
        if not self.security_group_ids:
            raise ValueError("web servers need a security group")
        if not 8 <= self.root_volume_gb <= 1024:
            raise ValueError(f"root volume {self.root_volume_gb} GB must be 8..1024")


def placements(zones: Sequence[str], count: int) -> list[tuple[str, str]]:
    """(zone, suffix) per instance: round-robin, numbered within the zone.

    Names come from the zone and the position in it, never from a global index, so raising
    the count only adds instances and never renames (replaces) an existing one.
    """
    seen: dict[str, int] = {}
    result = []
    for number in range(count):
        zone = zones[number % len(zones)]
        seen[zone] = seen.get(zone, 0) + 1
        result.append((zone, f"{zone}-{seen[zone]}"))
    return result


class WebServers(pulumi.ComponentResource):
    """IMDSv2-only instances with encrypted root volumes; rolled when user data changes."""

    instances: dict[str, aws.ec2.Instance]
    instance_ids: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: WebServersArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:WebServers", name, None, opts)
        self.instances = {}
        for zone, suffix in placements(list(args.subnet_ids), args.count):
            self.instances[suffix] = aws.ec2.Instance(
                f"{name}-{suffix}",
                ami=args.ami_id,
                instance_type=args.instance_type,
                subnet_id=args.subnet_ids[zone],
                vpc_security_group_ids=list(args.security_group_ids),
                associate_public_ip_address=args.public_ip,
                iam_instance_profile=args.instance_profile_name,
                metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    # 1: a token cannot leave the instance (e.g. into a container).
                    http_put_response_hop_limit=1,
                ),
                root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                    encrypted=True,
                    kms_key_id=args.kms_key_arn,
                    volume_type="gp3",
                    volume_size=args.root_volume_gb,
                    delete_on_termination=True,
                ),
                monitoring=args.detailed_monitoring,
                user_data=args.user_data,
                # DEBUG, LOG_LEVEL or the app itself changed: replace the instance so the new
                # configuration runs from a clean first boot (user data runs only then).
                user_data_replace_on_change=True,
                tags={"Name": f"{args.name_tag}-{suffix}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.wait_for)),
            )
        self.instance_ids = pulumi.Output.all(
            *(instance.id for instance in self.instances.values())
        )
        self.register_outputs({"instance_ids": self.instance_ids})
