"""The web servers' IAM role: SSM management plus exactly this bucket's objects and this key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

SSM_MANAGED_POLICY = "AmazonSSMManagedInstanceCore"
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")
# SSE-KMS objects: PutObject needs a data key, GetObject a decrypt. Nothing for the root volume:
# EBS encrypts it with the permissions and grants of whoever launches the instance (the
# deployer, or the Auto Scaling service-linked role), never with the instance's own role.
OBJECT_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class InstanceRoleArgs:
    """Physical names plus the two resources the instances may touch."""

    role_name: str
    profile_name: str
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]

    def __post_init__(self) -> None:
        for what, name, limit in (
            ("role", self.role_name, 64),
            ("instance profile", self.profile_name, 128),
        ):
            if not name or len(name) > limit:
                raise ValueError(f"{what} name {name!r} must be 1-{limit} characters")


def assume_role_policy() -> dict[str, Any]:
    """Only EC2 may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Ec2AssumesRole",
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def instance_policy(bucket_arn: str, kms_key_arn: str) -> dict[str, Any]:
    """Least privilege: named actions on this bucket's objects and this key; no `*` resource."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AppBucketObjects",
                "Effect": "Allow",
                "Action": list(OBJECT_ACTIONS),
                "Resource": f"{bucket_arn}/*",
            },
            {
                "Sid": "AppKeyForObjects",
                "Effect": "Allow",
                "Action": list(OBJECT_KEY_ACTIONS),
                "Resource": kms_key_arn,
            },
        ],
    }


class InstanceRole(pulumi.ComponentResource):
    """Role, managed SSM policy attachment, inline least-privilege policy, instance profile."""

    role_name: pulumi.Output[str]
    profile_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: InstanceRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webapp:compute:InstanceRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The provider's partition (aws, aws-cn, aws-us-gov): the managed policy's ARN.
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
        role = aws.iam.Role(
            name,
            name=args.role_name,
            description="Web servers: SSM management, the app bucket's objects, the app key",
            assume_role_policy=json.dumps(assume_role_policy()),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-ssm",
            role=role.name,
            policy_arn=pulumi.Output.concat(
                "arn:", partition.partition, ":iam::aws:policy/", SSM_MANAGED_POLICY
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-app",
            role=role.name,
            name="app-bucket-and-key",
            policy=pulumi.Output.all(args.bucket_arn, args.kms_key_arn).apply(
                lambda arns: json.dumps(instance_policy(arns[0], arns[1]))
            ),
            opts=child,
        )
        profile = aws.iam.InstanceProfile(
            name,
            name=args.profile_name,
            role=role.name,
            opts=child,
        )
        self.role_name = role.name
        self.profile_name = profile.name
        self.register_outputs({"role_name": self.role_name, "profile_name": self.profile_name})
