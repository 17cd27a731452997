"""The AWS resource types the project knows: their Pulumi tokens and the facts about each.

The one home of the tokens the rules, the offline plan (its placeholder values and its report),
the orchestrator's guards and the live checks look for. Tokens are pulumi-aws v7's
(`aws.s3.Bucket` is the former BucketV2). Per type it also says:

- whether it holds data or keys (`STATEFUL_TYPES`): a deploy that would delete or replace one is
  refused unless the user says so (`--allow-delete`), and production protects it;
- its import id (`import_id`): the id `pulumi import` takes for a resource whose id AWS does not
  choose (a bucket is its name, a role its name ...), computed from the inputs of a create an
  interrupted update left pending; the ids of the other types (a key's UUID, an instance's
  `i-...`) exist only once AWS answered;
- whether it takes tags and receives the provider's default tags (`tag_support`), read from
  pulumi-aws itself rather than kept as a hand-written list that silently goes stale.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

# The engine's own types.
STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
PROVIDER_PREFIX = "pulumi:providers:"
AWS_PROVIDER = f"{PROVIDER_PREFIX}aws"

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ROUTE = "aws:ec2/route:Route"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
AUTOSCALING_GROUP = "aws:autoscaling/group:Group"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
IAM_POLICY = "aws:iam/policy:Policy"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
TARGET_GROUP_ATTACHMENT = "aws:lb/targetGroupAttachment:TargetGroupAttachment"
LISTENER = "aws:lb/listener:Listener"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def is_aws_resource(type_: str) -> bool:
    """True for resources the AWS provider manages (not providers, components or references)."""
    return type_.startswith("aws:")


@cache
def tag_support(type_: str) -> tuple[bool, bool]:
    """(takes `tags`, receives the provider's default tags) for an AWS type token.

    pulumi-aws exposes `tags_all` exactly where default tags apply; a few types take `tags`
    without it (an Auto Scaling group's tags are a list and ignore default tags). Unknown
    types count as untaggable: a rule cannot demand what the type does not support.
    """
    if not is_aws_resource(type_):
        return (False, False)
    try:
        module_part, class_name = type_.split(":")[1:3]
        module_name = module_part.split("/")[0]
        package = "pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}"
        resource_class = getattr(importlib.import_module(package), class_name)
    except (ValueError, ImportError, AttributeError):
        return (False, False)
    return (hasattr(resource_class, "tags"), hasattr(resource_class, "tags_all"))


# Deleting a key makes everything it encrypted unreadable; deleting a bucket loses its objects.
STATEFUL_TYPES = frozenset({KMS_KEY, BUCKET})

# The bucket's own configuration resources: imported by the bucket's name.
BUCKET_SIDE_RESOURCES = (
    BUCKET_VERSIONING,
    BUCKET_ENCRYPTION,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKET_OWNERSHIP,
    BUCKET_POLICY,
    BUCKET_LIFECYCLE,
    BUCKET_LOGGING,
)


def _field(name: str) -> Callable[[Mapping[str, Any]], str | None]:
    def read(inputs: Mapping[str, Any]) -> str | None:
        return _text(inputs.get(name))

    return read


def _role_policy(inputs: Mapping[str, Any]) -> str | None:
    role, name = _text(inputs.get("role")), _text(inputs.get("name"))
    return f"{role}:{name}" if role and name else None


# type token -> the import id from the resource's inputs (pulumi-aws's documented import ids).
_IMPORT_IDS: Mapping[str, Callable[[Mapping[str, Any]], str | None]] = {
    BUCKET: _field("bucket"),
    **dict.fromkeys(BUCKET_SIDE_RESOURCES, _field("bucket")),
    KMS_ALIAS: _field("name"),
    IAM_ROLE: _field("name"),
    IAM_INSTANCE_PROFILE: _field("name"),
    IAM_ROLE_POLICY: _role_policy,
}


def import_id(type_: str, inputs: Mapping[str, Any]) -> str | None:
    """The id to import a resource of `type_` by, from its inputs; None when AWS picks it."""
    derive = _IMPORT_IDS.get(type_)
    return derive(inputs) if derive is not None else None


def _text(value: Any) -> str | None:
    # A secret input is an encrypted envelope in the state, not text: no id from it.
    return value if isinstance(value, str) and value else None
