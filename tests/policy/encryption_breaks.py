"""Deliberate breaks on types no specific rule knows: a queue, a topic.

Encryption at rest is judged on them by the generic rule, and their type is reported as one no
rule looks at. The compliant environment holds neither (the coverage rule would report it), so
each break adds one next to the compliant resources, made by the stack's provider.
Production's encryption findings are the mandatory rule's, development's the advisory rule's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from program.policy import Resource
from tests.policy.baseline_parts import KEY_ARN, OTHER_KEY_ARN
from tests.policy.baseline_stack import Stack
from tests.policy.break_case import Break

QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
MANDATORY = "encryption-at-rest-customer-key"
ADVISORY = "encryption-at-rest-customer-key-advisory"


def added(stack: Stack, env: str, type_: str, name: str, props: dict[str, Any]) -> Stack:
    """`stack` plus a resource of `type_` made by the stack's provider."""
    provider = next(r for r in stack if r.type == "pulumi:providers:aws")
    resource = Resource(
        type=type_,
        name=name,
        props=props,
        urn=f"urn:pulumi:{env}::webapp::{type_}::{name}",
        provider=provider.urn,
        id=f"{name}-id",
    )
    return [*stack, resource]


def _adding(type_: str, suffix: str, **props: Any) -> Callable[[Stack, str], Stack]:
    return lambda stack, env: added(stack, env, type_, f"webapp-{env}-{suffix}", dict(props))


# (what, edit, resource): each break once per environment, under that environment's rule.
_CASES: list[tuple[str, Callable[[Stack, str], Stack], str]] = [
    (
        "an SQS queue without kmsMasterKeyId",
        _adding(QUEUE, "jobs", name="webapp-jobs"),
        "webapp-{env}-jobs",
    ),
    (
        "an SQS queue encrypted with another key",
        _adding(QUEUE, "jobs", name="webapp-jobs", kmsMasterKeyId=OTHER_KEY_ARN),
        "webapp-{env}-jobs",
    ),
    (
        "an SQS queue on the AWS-managed alias/aws/sqs key",
        _adding(QUEUE, "jobs", name="webapp-jobs", kmsMasterKeyId="alias/aws/sqs"),
        "webapp-{env}-jobs",
    ),
    (
        "an SNS topic without kmsMasterKeyId",
        _adding(TOPIC, "alerts", name="webapp-alerts"),
        "webapp-{env}-alerts",
    ),
]

ENCRYPTION_BREAKS = [
    Break(rule, what, edit, resource, (env,))
    for what, edit, resource in _CASES
    for rule, env in ((MANDATORY, "production"), (ADVISORY, "development"))
]

COVERAGE_BREAKS = [
    Break(
        "resource-type-covered",
        "an SQS queue (a type no rule looks at)",
        _adding(QUEUE, "jobs", name="webapp-jobs", kmsMasterKeyId=KEY_ARN),
        "webapp-{env}-jobs",
    ),
]
