"""Production's web servers: a launch template and the Auto Scaling group that runs it.

What AWS recommends for instances behind a load balancer. The group keeps its capacity across
the zones' subnets, registers its instances with the target group and replaces any the load
balancer's health check finds unhealthy. When the launch template changes (DEBUG, LOG_LEVEL, the
app, the image), the template gets a new version and the group an instance refresh: a rolling
replacement that keeps at least half the capacity healthy, so a change rolls without downtime
and never strands an instance. The instances carry no termination protection: the group must be
able to terminate them (an instance with `disable_api_termination` is never replaced cleanly).

The root volumes are encrypted with the customer key, so the key policy must let the Auto
Scaling service-linked role use it (`program.components.kms_key`), or no instance launches.
"""

from __future__ import annotations

import base64
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

# The root device of Amazon Linux 2023 images.
ROOT_DEVICE = "/dev/xvda"
# An instance refresh replaces instances while at least this share of the capacity is healthy.
MIN_HEALTHY_PERCENTAGE = 50
ROLLING = "Rolling"


@dataclass(frozen=True)
class WebFleetArgs:
    """What the instances launch with, where they run and which target group serves them."""

    subnet_ids: Sequence[pulumi.Input[str]]
    capacity: int
    launch: LaunchSpec
    target_group_arn: pulumi.Input[str]
    # `shared.naming.name_prefix`es: AWS keeps both names unique, so none is fixed.
    template_name_prefix: str
    group_name_prefix: str
    # Tags the group's instances and volumes carry (the provider's default tags do not reach
    # what the group launches), `Name` included.
    tags: Mapping[str, str]
    health_check_grace_seconds: int = 300

    def __post_init__(self) -> None:
        if not self.subnet_ids:
            raise ValueError("an Auto Scaling group needs at least one subnet")
        if not 1 <= self.capacity <= MAX_INSTANCES:
            raise ValueError(f"capacity {self.capacity} must be 1..{MAX_INSTANCES}")


def encode_user_data(text: str) -> str:
    """Launch templates take user data base64-encoded."""
    return base64.b64encode(text.encode()).decode()


class WebFleet(pulumi.ComponentResource):
    """Launch template (IMDSv2, CMK root volume, no SSH) and a rolling Auto Scaling group."""

    launch_template_id: pulumi.Output[str]
    group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: WebFleetArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:WebFleet", name, None, opts)
        launch = args.launch
        template = aws.ec2.LaunchTemplate(
            name,
            name_prefix=args.template_name_prefix,
            description="Web servers: IMDSv2 only, root volume on the customer key, no SSH",
            image_id=launch.ami_id,
            instance_type=launch.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(
                name=launch.instance_profile_name
            ),
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address=str(launch.public_ip).lower(),
                    security_groups=list(launch.security_group_ids),
                    delete_on_termination="true",
                )
            ],
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens=METADATA_TOKENS,
                http_put_response_hop_limit=METADATA_HOP_LIMIT,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true",
                        kms_key_id=launch.kms_key_arn,
                        volume_type=ROOT_VOLUME_TYPE,
                        volume_size=launch.root_volume_gb,
                        delete_on_termination="true",
                    ),
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=launch.detailed_monitoring),
            user_data=pulumi.Output.from_input(launch.user_data).apply(encode_user_data),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="volume", tags=dict(args.tags)
                )
            ],
            # New instances (a scale-out, a replaced unhealthy one) launch from the new version.
            update_default_version=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        group = aws.autoscaling.Group(
            name,
            name_prefix=args.group_name_prefix,
            min_size=args.capacity,
            max_size=args.capacity,
            desired_capacity=args.capacity,
            vpc_zone_identifiers=list(args.subnet_ids),
            # The version number, not $Latest: a new version changes this input, and a changed
            # launch template is what starts the instance refresh.
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            target_group_arns=[args.target_group_arn],
            health_check_type="ELB",
            health_check_grace_period=args.health_check_grace_seconds,
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy=ROLLING,
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=MIN_HEALTHY_PERCENTAGE
                ),
            ),
            tags=[
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=True)
                for key, value in sorted(args.tags.items())
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(launch.wait_for)),
        )
        self.launch_template_id = template.id
        self.group_name = group.name
        self.register_outputs(
            {"launch_template_id": self.launch_template_id, "group_name": self.group_name}
        )
