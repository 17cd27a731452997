"""Coverage: an AWS resource type no rule looks at is reported, so a new type is seen.

A rule covers a type when it lists it in `resource_types`; rules for every resource (tags,
region, encryption at rest) cover nothing in particular. A type the programs use that needs
no rule of its own is listed in `REVIEWED_UNCOVERED` with the reason, once; any other AWS type
(a queue, a table, a function a new project brings) gets an advisory finding until someone
writes its rule or reviews it into the list. Components, providers and stack references are
not AWS resources and are never reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Final

from program.policy.model import Enforcement, Resource, Rule, StackView
from shared import aws_types as t

_BUCKET_SIDE = "judged with its bucket by the s3-bucket-* rules"
_ROUTING = "routing only; exposure is judged on security groups, instances and listeners"

# Types the shipped programs use that no rule needs to cover, each with the reviewed reason.
REVIEWED_UNCOVERED: Final[Mapping[str, str]] = MappingProxyType(
    {
        t.BUCKET_ENCRYPTION: _BUCKET_SIDE,
        t.BUCKET_PUBLIC_ACCESS_BLOCK: _BUCKET_SIDE,
        t.BUCKET_OWNERSHIP: _BUCKET_SIDE,
        t.BUCKET_POLICY: _BUCKET_SIDE,
        t.BUCKET_VERSIONING: _BUCKET_SIDE,
        t.BUCKET_LIFECYCLE: _BUCKET_SIDE,
        t.BUCKET_LOGGING: _BUCKET_SIDE,
        t.KMS_ALIAS: "a name for the key, which the kms-* rules judge",
        t.SUBNET: "instances say whether they take a public IP (ec2-production-private)",
        t.INTERNET_GATEWAY: _ROUTING,
        t.ROUTE_TABLE: _ROUTING,
        t.ROUTE_TABLE_ASSOCIATION: _ROUTING,
        t.ROUTE: _ROUTING,
        t.VPC_ENDPOINT: "a private path to AWS services; it holds no data and opens no port",
        t.FLOW_LOG: "judged from its VPC (vpc-flow-logs) and its log group's rule",
        t.SECURITY_GROUP_EGRESS_RULE: "outbound only; the ingress rules judge what may come in",
        t.IAM_INSTANCE_PROFILE: "wraps a role, whose policies iam-no-wildcards judges",
        t.IAM_ROLE_POLICY_ATTACHMENT: "attaches an AWS-managed policy by ARN, not a document",
        t.AUTOSCALING_GROUP: "launches from a launch template, which the ec2-* rules judge",
        t.TARGET_GROUP: "where a listener forwards; the elb-* rules judge the entry points",
    }
)


def covered_types(rules: Iterable[Rule]) -> frozenset[str]:
    """The types some rule lists in its `resource_types` (rules for everything cover none)."""
    return frozenset(type_ for rule in rules for type_ in rule.resource_types)


def coverage_rule(rules: Iterable[Rule]) -> Rule:
    """The advisory rule that reports AWS types neither `rules` nor the reviewed list cover."""
    covered = covered_types(rules)

    def uncovered(resource: Resource, view: StackView) -> Iterator[str]:
        del view
        if (
            t.is_aws_resource(resource.type)
            and resource.type not in covered
            and resource.type not in REVIEWED_UNCOVERED
        ):
            yield f"no security rule looks at type {resource.type!r}"

    return Rule(
        id="resource-type-covered",
        description=(
            "Every AWS resource type is looked at by a security rule or reviewed as needing none."
        ),
        enforcement=Enforcement.ADVISORY,
        resource_types=(),
        check=uncovered,
        fix=(
            "write a rule for the type in program/policy/ (and register it in "
            "program/policy/registry.py), or add the type with its reason to "
            "REVIEWED_UNCOVERED in program/policy/coverage.py"
        ),
    )
