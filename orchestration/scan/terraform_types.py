"""Pulumi type tokens as Terraform resource types, and Pulumi's property names as Terraform's.

pulumi-aws is generated from the Terraform AWS provider, so every `aws:` resource is a
Terraform resource under another name, which the type table (`shared.aws_types`) gives per
type. It covers every type the programs use (a test evaluates both environments and reads
`program/components` to keep it so) and the types the web tier's launch template and Auto
Scaling group, HTTPS, VPC endpoints, flow logs and a WAF bring. A type the table lacks is
refused with a message saying where to add it: a scan that silently skipped a resource would
pass for the wrong reason.

Property names are Terraform's in snake_case, except where the bridge renamed a repeatable
block to a plural (`rule` -> `rules`, `default_action` -> `defaultActions`):
`RENAMED_ATTRIBUTES` turns those back, because Checkov's checks read Terraform's names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from shared import aws_types as t


class UnmappedType(Exception):
    """A resource type the translation does not know; the message says where to add it."""


# pulumi-aws token -> Terraform resource type, as the type table (`shared.aws_types`) says.
TERRAFORM_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {token: row.terraform for token, row in t.TYPES.items()}
)

# Where pulumi-aws's name is not Terraform's in snake_case: the bridge pluralises repeatable
# blocks (and a few lists). Per Terraform type, Pulumi's camelCase name -> Terraform's name, at
# any depth of the resource's properties.
_LB_LISTENER = {"defaultActions": "default_action", "targetGroups": "target_group"}
_LB_LISTENER_RULE = {"actions": "action", "conditions": "condition", "targetGroups": "target_group"}
_LIFECYCLE = {
    "rules": "rule",
    "transitions": "transition",
    "noncurrentVersionTransitions": "noncurrent_version_transition",
}
RENAMED_ATTRIBUTES: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "aws_s3_bucket_server_side_encryption_configuration": {"rules": "rule"},
        "aws_s3_bucket_lifecycle_configuration": _LIFECYCLE,
        "aws_s3_bucket_logging": {"targetGrants": "target_grant"},
        "aws_s3_bucket_replication_configuration": {"rules": "rule"},
        "aws_s3_bucket_notification": {
            "lambdaFunctions": "lambda_function",
            "queues": "queue",
            "topics": "topic",
        },
        "aws_route_table": {"routes": "route"},
        "aws_default_route_table": {"routes": "route"},
        "aws_instance": {
            "ebsBlockDevices": "ebs_block_device",
            "ephemeralBlockDevices": "ephemeral_block_device",
            "networkInterfaces": "network_interface",
        },
        "aws_autoscaling_group": {
            "tags": "tag",
            "vpcZoneIdentifiers": "vpc_zone_identifier",
            "initialLifecycleHooks": "initial_lifecycle_hook",
            "trafficSources": "traffic_source",
        },
        "aws_lb": {"subnetMappings": "subnet_mapping"},
        "aws_alb": {"subnetMappings": "subnet_mapping"},
        "aws_lb_listener": _LB_LISTENER,
        "aws_alb_listener": _LB_LISTENER,
        "aws_lb_listener_rule": _LB_LISTENER_RULE,
        "aws_alb_listener_rule": _LB_LISTENER_RULE,
        "aws_iam_role": {"inlinePolicies": "inline_policy"},
        "aws_acm_certificate": {"validationOptions": "validation_option"},
        "aws_vpc_endpoint": {"subnetConfigurations": "subnet_configuration"},
        "aws_wafv2_web_acl": {"rules": "rule", "customResponseBodies": "custom_response_body"},
    }
)

# Properties that are Terraform maps (string -> string), not nested blocks: they stay objects.
# Every other object-valued property is a block, which Terraform writes as a list of objects.
MAP_ATTRIBUTES: Final = frozenset({"tags", "tagsAll", "volumeTags"})

_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def terraform_type(token: str) -> str:
    """The Terraform resource type of a pulumi-aws type token; UnmappedType if unknown."""
    try:
        return TERRAFORM_TYPES[token]
    except KeyError:
        raise UnmappedType(
            f"the scan does not know the Pulumi type {token!r}: add it with its Terraform "
            f"resource type (the provider's documentation names it) to the type table, "
            f"TYPES in shared/aws_types/__init__.py"
        ) from None


def snake_case(name: str) -> str:
    """`kmsMasterKeyId` -> `kms_master_key_id`, `enableHttp2` -> `enable_http2`."""
    return _WORD_START.sub("_", name).lower()


def attribute_name(terraform_resource: str, pulumi_name: str) -> str:
    """Terraform's name of a property (at any depth) of a resource of that Terraform type."""
    renamed = RENAMED_ATTRIBUTES.get(terraform_resource, {}).get(pulumi_name)
    return renamed or snake_case(pulumi_name)
