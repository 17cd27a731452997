"""Reading property values the way the engine delivers them.

Numbers arrive as floats, some booleans as strings ("true" in a launch template's EBS block),
policy documents and provider settings as JSON text. These helpers turn them into plain
Python values and keep the unknown marker intact so rules can skip what is not known yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from program.policy.model import UNKNOWN, Resource, StackView, is_unknown, json_value
from shared.aws_types import KMS_KEY
from shared.limits import KMS_KEY_ARN_PATTERN
from shared.topology import KMS_KEY_ARN

_AWS_MANAGED_KEY = re.compile(r"(^|:)alias/aws/")


def as_bool(value: Any) -> bool | None:
    """True/False from a boolean or its string form; None when absent or not a boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int, a whole float or numeric text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def as_list(value: Any) -> list[Any]:
    """A list from a list or a single value; empty for None or unknown."""
    if value is None or is_unknown(value):
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def policy_statements(document: Any) -> Iterator[Mapping[str, Any]]:
    """The statements of an IAM/bucket policy given as a JSON string or a mapping."""
    parsed = json_value(document)
    if not isinstance(parsed, Mapping):
        return
    for statement in as_list(parsed.get("Statement")):
        if isinstance(statement, Mapping):
            yield statement


def customer_key_problem(
    resource: Resource, view: StackView, key: Any, *, prop: str, what: str
) -> str | None:
    """Why `key` is not the customer-managed key this stack must use (None when it is).

    The customer key is the security stack's key (read through a StackReference) or a KMS key
    declared in the same stack. When neither is visible, any customer key ARN is accepted and
    AWS-managed keys (`alias/aws/...`) are refused. `prop` is the top-level property the key
    sits in, whose engine dependencies show which key a not-yet-known value came from.
    """
    if is_unknown(key):
        return None
    if not isinstance(key, str) or not key:
        return f"{what} names no KMS key, so AWS falls back to its own managed key"
    if _AWS_MANAGED_KEY.search(key):
        return f"{what} uses the AWS-managed key {key!r}, not the customer-managed key"
    expected = view.upstream.get(KMS_KEY_ARN, UNKNOWN)
    if isinstance(expected, str) and expected:
        wrong = key != expected
        return f"{what} uses {key!r}, not the security stack's key {expected!r}" if wrong else None
    local = any(
        key in (local.id, local.get("arn")) or local.urn in resource.dependencies.get(prop, ())
        for local in view.of_type(KMS_KEY)
    )
    if local or KMS_KEY_ARN_PATTERN.match(key):
        return None
    return f"{what} is {key!r}, which is not a customer-managed KMS key ARN"
