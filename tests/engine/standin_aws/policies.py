"""TEST-ONLY stand-in AWS provider: judging the policies AWS evaluates for us.

Only what the stand-in needs to decide whether a service may use a KMS key, write into a bucket
or assume a role (`allowed`: resource and trust policies), and what a role's own policies let it
do (`identity_allows`). Statements are matched on Effect, Action/NotAction (with `*` wildcards,
case-insensitive as in IAM), Condition, and Principal (resource and trust policies) or
Resource/NotResource (identity policies: `*` and `?` wildcards, case-sensitive, `*` crossing
colons as in IAM). A resource policy's `Resource` is not matched (key policies say `*`; bucket
statements are checked for their principal and action only). An explicit Deny wins. A
condition operator the stand-in does not know makes its statement not apply, and so does a
condition key missing from the request context, as AWS treats a missing key for the positive
operators.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

Statement = Mapping[str, Any]


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an IAM ARN (a role, a service-linked role) or a service."""

    aws: str | None = None
    service: str | None = None


def allowed(
    document: Mapping[str, Any] | None,
    *,
    action: str,
    principal: Principal,
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether `document` alone lets `principal` perform `action` in `context`."""
    applicable = [
        statement
        for statement in statements(document)
        if _applies(statement, action, principal, context or {})
    ]
    if any(statement.get("Effect") == "Deny" for statement in applicable):
        return False
    return any(statement.get("Effect") == "Allow" for statement in applicable)


def identity_allows(
    documents: Iterable[Mapping[str, Any]],
    *,
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether identity policies `documents` together let their holder do `action` on
    `resource` (no permissions boundary or SCP: the stand-in's account has none)."""
    applicable = [
        statement
        for document in documents
        for statement in statements(document)
        if _matches_action(statement, action)
        and _matches_resource(statement, resource)
        and _conditions_hold(statement.get("Condition") or {}, context or {})
    ]
    if any(statement.get("Effect") == "Deny" for statement in applicable):
        return False
    return any(statement.get("Effect") == "Allow" for statement in applicable)


def statements(document: Mapping[str, Any] | None) -> Iterator[Statement]:
    if not document:
        return
    found = document.get("Statement") or []
    yield from [found] if isinstance(found, Mapping) else found


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _matches_action(statement: Statement, action: str) -> bool:
    wanted = action.lower()
    if "Action" in statement:
        return any(
            fnmatch.fnmatchcase(wanted, pattern.lower()) for pattern in _listed(statement["Action"])
        )
    if "NotAction" in statement:
        return not any(
            fnmatch.fnmatchcase(wanted, pattern.lower())
            for pattern in _listed(statement["NotAction"])
        )
    return False


def _matches_resource(statement: Statement, resource: str) -> bool:
    if "Resource" in statement:
        return any(fnmatch.fnmatchcase(resource, item) for item in _listed(statement["Resource"]))
    if "NotResource" in statement:
        return not any(
            fnmatch.fnmatchcase(resource, item) for item in _listed(statement["NotResource"])
        )
    return False


def _matches_principal(statement: Statement, principal: Principal) -> bool:
    block = statement.get("Principal")
    if block == "*":
        return True
    if not isinstance(block, Mapping):
        return False
    arns = _listed(block.get("AWS"))
    services = _listed(block.get("Service"))
    return bool(
        (principal.aws and ("*" in arns or principal.aws in arns))
        or (principal.service and principal.service in services)
    )


def _holds(operator: str, actual: str, expected: list[str]) -> bool:
    base = operator.removeprefix("ForAnyValue:").removesuffix("IfExists")
    if base in ("StringEquals", "ArnEquals"):
        return actual in expected
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in (value.lower() for value in expected)
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
    if base == "Bool":
        return actual.lower() in (value.lower() for value in expected)
    return False


def _conditions_hold(block: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    keys = {key.lower(): value for key, value in context.items()}
    for operator, tests in block.items():
        for key, expected in tests.items():
            actual = keys.get(key.lower())
            if actual is None or not _holds(operator, actual, _listed(expected)):
                return False
    return True


def _applies(
    statement: Statement, action: str, principal: Principal, context: Mapping[str, str]
) -> bool:
    return (
        _matches_action(statement, action)
        and _matches_principal(statement, principal)
        and _conditions_hold(statement.get("Condition") or {}, context)
    )
