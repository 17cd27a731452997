"""TEST-ONLY stand-in: whether a resource policy (bucket, key or trust policy) lets a service
or an account do one action, as IAM evaluates it (AWS: "Policy evaluation logic").

The emulator stores policies without judging them. Statements match on Effect, Action (with
`*` wildcards, case-insensitive), Principal and Condition; `Resource` is not matched (the
caller asks about its own resource). An explicit Deny wins. A condition key missing from the
request context, or an operator not known here, makes its statement not apply, as AWS treats a
missing key for the positive operators.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any


def allows(
    document: str | None,
    action: str,
    *,
    service: str | None = None,
    account: str | None = None,
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether `document` lets `service` (a service principal) or `account` (an IAM ARN) do
    `action` in `context`."""
    found = json.loads(document or "{}").get("Statement") or []
    applicable = [
        statement
        for statement in ([found] if isinstance(found, Mapping) else found)
        if _any_match(statement.get("Action"), action.lower(), str.lower)
        and _principal(statement.get("Principal"), service, account)
        and _conditions(statement.get("Condition") or {}, context or {})
    ]
    if any(statement.get("Effect") == "Deny" for statement in applicable):
        return False
    return any(statement.get("Effect") == "Allow" for statement in applicable)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _any_match(patterns: Any, value: str, fold: Any = str) -> bool:
    return any(fnmatch.fnmatchcase(value, fold(pattern)) for pattern in _listed(patterns))


def _principal(block: Any, service: str | None, account: str | None) -> bool:
    if block == "*":
        return True
    if not isinstance(block, Mapping):
        return False
    arns = _listed(block.get("AWS"))
    return bool(
        (service and service in _listed(block.get("Service")))
        or (account and ("*" in arns or account in arns))
    )


_OPERATORS = {
    "StringEquals": lambda actual, expected: actual in expected,
    "ArnEquals": lambda actual, expected: actual in expected,
    "StringLike": lambda actual, expected: _any_match(expected, actual),
    "ArnLike": lambda actual, expected: _any_match(expected, actual),
}


def _conditions(block: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    keys = {key.lower(): value for key, value in context.items()}
    for operator, tests in block.items():
        holds = _OPERATORS.get(operator.removesuffix("IfExists"))
        for key, expected in tests.items():
            actual = keys.get(key.lower())
            if holds is None or actual is None or not holds(actual, _listed(expected)):
                return False
    return True
