"""The EC2 instances running the web application, spread over the network's zones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from program.components.launch_spec import (
    METADATA_HOP_LIMIT,
    METADATA_TOKENS,
    ROOT_VOLUME_TYPE,
    LaunchSpec,
)
from shared.limits import MAX_INSTANCES


@dataclass(frozen=True)
class WebServersArgs:
    """Hardened instances served directly (development); replaceable, so never protected from
    termination (a protected instance cannot be replaced or destroyed)."""

    # Zone -> subnet id; instances go round-robin over the zones in this order.
    subnet_ids: Mapping[str, pulumi.Input[str]]
    count: int
    launch: LaunchSpec
    # Prefix of the EC2 `Name` tags, e.g. "webapp-development-web".
    name_tag: str

    def __post_init__(self) -> None:
        if not self.subnet_ids:
            raise ValueError("web servers need at least one subnet")
        if not 1 <= self.count <= MAX_INSTANCES:
            raise ValueError(f"instance count {self.count} must be 1..{MAX_INSTANCES}")


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
        launch = args.launch
        for zone, suffix in placements(list(args.subnet_ids), args.count):
            self.instances[suffix] = aws.ec2.Instance(
                f"{name}-{suffix}",
                ami=launch.ami_id,
                instance_type=launch.instance_type,
                subnet_id=args.subnet_ids[zone],
                vpc_security_group_ids=list(launch.security_group_ids),
                associate_public_ip_address=launch.public_ip,
                iam_instance_profile=launch.instance_profile_name,
                metadata_options=aws.ec2.InstanceMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens=METADATA_TOKENS,
                    http_put_response_hop_limit=METADATA_HOP_LIMIT,
                ),
                root_block_device=aws.ec2.InstanceRootBlockDeviceArgs(
                    encrypted=True,
                    kms_key_id=launch.kms_key_arn,
                    volume_type=ROOT_VOLUME_TYPE,
                    volume_size=launch.root_volume_gb,
                    delete_on_termination=True,
                ),
                monitoring=launch.detailed_monitoring,
                user_data=launch.user_data,
                # DEBUG, LOG_LEVEL or the app itself changed: replace the instance so the new
                # configuration runs from a clean first boot (user data runs only then).
                user_data_replace_on_change=True,
                tags={"Name": f"{args.name_tag}-{suffix}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(launch.wait_for)),
            )
        self.instance_ids = pulumi.Output.all(
            *(instance.id for instance in self.instances.values())
        )
        self.register_outputs({"instance_ids": self.instance_ids})
