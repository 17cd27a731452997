"""TEST-ONLY stand-in: whether a principal may use a KMS key, as KMS decides it.

moto keeps key policies and grants but never evaluates them for another principal (its own
validator only applies Deny statements to the caller), so this judges them, thinly: a key
policy statement applies when its Effect, Action (`*` wildcards, case-insensitive), Principal
(the exact role ARN or service; delegating to the account root does not count, since the
principals asked about here, AWS services and service-linked roles, get no KMS rights from IAM)
and Condition (the operators below; a missing context key makes it not apply) match; an
explicit Deny wins; a grant to the principal for the operation allows it.
https://docs.aws.amazon.com/kms/latest/developerguide/policy-evaluation.html
https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any

from tests.engine.standin_aws.kinds.base import Op

Principal = Mapping[str, str]  # {"AWS": arn} or {"Service": "logs.<region>.amazonaws.com"}


def refused_actions(
    op: Op, key: str, principal: Principal, actions: tuple[str, ...], context: Mapping[str, str]
) -> list[str]:
    """The `actions` the key does not let `principal` do: all of them if the key is missing,
    disabled or pending deletion (every cryptographic operation fails then)."""
    action = f"reading KMS Key ({key})"
    kms = op.aws.client("kms")
    try:
        state = kms.describe_key(KeyId=key)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        return list(actions)
    if state.get("KeyState") != "Enabled":
        return list(actions)
    policy = op.call(action, "kms", "GetKeyPolicy", KeyId=state["KeyId"], PolicyName="default")
    document = json.loads(policy["Policy"])
    grants = op.call(action, "kms", "ListGrants", KeyId=state["KeyId"])["Grants"]
    granted = {
        operation
        for grant in grants
        if grant.get("GranteePrincipal") in principal.values()
        for operation in grant.get("Operations", [])
    }
    return [
        wanted
        for wanted in actions
        if wanted.removeprefix("kms:") not in granted
        and not _allowed(document, wanted, principal, context)
    ]


def _allowed(
    document: Mapping[str, Any], action: str, principal: Principal, context: Mapping[str, str]
) -> bool:
    found = document.get("Statement") or []
    statements = [found] if isinstance(found, Mapping) else found
    effects = {
        statement.get("Effect")
        for statement in statements
        if _listed_match(statement.get("Action"), action)
        and _principal_matches(statement.get("Principal"), principal)
        and _conditions_hold(statement.get("Condition") or {}, context)
    }
    return "Allow" in effects and "Deny" not in effects


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def _listed_match(patterns: Any, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in _listed(patterns))


def _principal_matches(block: Any, principal: Principal) -> bool:
    if block == "*":
        return True
    if not isinstance(block, Mapping):
        return False
    return any(
        value in _listed(block.get(kind)) or (kind == "AWS" and "*" in _listed(block.get(kind)))
        for kind, value in principal.items()
    )


def _holds(operator: str, actual: str, expected: list[str]) -> bool:
    base = operator.removeprefix("ForAnyValue:").removesuffix("IfExists")
    if base in ("StringEquals", "ArnEquals"):
        return actual in expected
    if base in ("StringEqualsIgnoreCase", "Bool"):
        return actual.lower() in (value.lower() for value in expected)
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, pattern) for pattern in expected)
    return False  # an operator not modelled: the statement does not apply


def _conditions_hold(block: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    keys = {key.lower(): value for key, value in context.items()}
    for operator, tests in block.items():
        for key, expected in tests.items():
            actual = keys.get(key.lower())
            if actual is None or not _holds(operator, actual, _listed(expected)):
                return False
    return True
