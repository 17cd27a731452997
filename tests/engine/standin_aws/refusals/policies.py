"""TEST-ONLY stand-in: whether a resource policy (bucket, key or trust policy) lets a principal
do one action, as IAM evaluates it; the emulator stores policies without judging them.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

A statement applies when its Action (`*` wildcards, case-insensitive), Principal (one of
`principal`'s {"AWS": arn, "Service": name}; `*` matches any) and Condition match; `Resource`
is not matched (the caller asks about its own resource). An explicit Deny wins. A condition
key missing from the context, or an operator not known here, makes its statement not apply.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any


def allows(
    document: str | None,
    action: str,
    principal: Mapping[str, str | None],
    context: Mapping[str, str],
) -> bool:
    found = json.loads(document or "{}").get("Statement") or []
    effects = {
        statement.get("Effect")
        for statement in ([found] if isinstance(found, Mapping) else found)
        if _match(statement.get("Action"), action.lower(), str.lower)
        and _principal(statement.get("Principal"), principal)
        and _conditions(statement.get("Condition") or {}, context)
    }
    return "Allow" in effects and "Deny" not in effects


def _listed(value: Any) -> list[str]:
    return (
        [] if value is None else [str(v) for v in (value if isinstance(value, list) else [value])]
    )


def _match(patterns: Any, value: str, fold: Any = str) -> bool:
    return any(fnmatch.fnmatchcase(value, fold(pattern)) for pattern in _listed(patterns))


def _principal(block: Any, principal: Mapping[str, str | None]) -> bool:
    if block == "*":
        return True
    listed = (
        {kind: _listed(ids) for kind, ids in block.items()} if isinstance(block, Mapping) else {}
    )
    return any(
        value and (value in listed.get(kind, []) or (kind == "AWS" and "*" in listed.get(kind, [])))
        for kind, value in principal.items()
    )


def _holds(operator: str, actual: str, expected: list[str]) -> bool:
    base = operator.removeprefix("ForAnyValue:").removesuffix("IfExists")
    if base in ("StringEquals", "ArnEquals"):
        return actual in expected
    if base in ("StringEqualsIgnoreCase", "Bool"):
        return actual.lower() in (value.lower() for value in expected)
    return base in ("StringLike", "ArnLike") and _match(expected, actual)


def _conditions(block: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    keys = {key.lower(): value for key, value in context.items()}
    return all(
        keys.get(key.lower()) is not None and _holds(operator, keys[key.lower()], _listed(expected))
        for operator, tests in block.items()
        for key, expected in tests.items()
    )
