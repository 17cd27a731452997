"""KMS rules: the customer key rotates, cannot be deleted on short notice, and its policy lets
nobody use it directly or hand it out through grants."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from program.policy.model import Enforcement, Resource, Rule, StackView, is_unknown
from program.policy.values import as_bool, as_int, as_list, policy_statements
from shared import aws_types as t
from shared.limits import (
    KEY_DELETION_WINDOW_DEFAULT,
    KEY_DELETION_WINDOW_MAX,
    KEY_DELETION_WINDOW_MIN,
    PRODUCTION_KEY_DELETION_WINDOW,
)


def _rotation_problems(key: Resource, _: StackView) -> Iterator[str]:
    rotation = key.get("enableKeyRotation")
    if not is_unknown(rotation) and as_bool(rotation) is not True:
        yield "automatic key rotation is off"


def _deletion_window_problems(key: Resource, view: StackView) -> Iterator[str]:
    raw = key.get("deletionWindowInDays")
    if is_unknown(raw):
        return
    days = KEY_DELETION_WINDOW_DEFAULT if raw is None else as_int(raw)
    if days is None or not KEY_DELETION_WINDOW_MIN <= days <= KEY_DELETION_WINDOW_MAX:
        window = f"{KEY_DELETION_WINDOW_MIN}..{KEY_DELETION_WINDOW_MAX}"
        yield f"deletion window {raw!r} is outside {window} days"
    elif view.settings.production and days != PRODUCTION_KEY_DELETION_WINDOW:
        yield (
            f"deletion window is {days} days; production keys need {PRODUCTION_KEY_DELETION_WINDOW}"
        )


# What uses the key's material: nobody may do it except through a service (or as a
# service-linked role, which only its AWS service can assume).
CRYPTO_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
GRANT_ACTION = "kms:CreateGrant"
_SERVICE_LINKED_ROLE = ":role/aws-service-role/"


def _allows(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's actions (wildcards as in IAM, any case) cover `action`."""
    wanted = action.lower()
    return any(
        fnmatch.fnmatchcase(wanted, str(pattern).lower())
        for pattern in as_list(statement.get("Action"))
    )


def _condition(statement: Mapping[str, Any], key: str) -> list[Any]:
    """The values a statement's conditions (any operator) require of `key`."""
    conditions = statement.get("Condition")
    if not isinstance(conditions, Mapping):
        return []
    return [
        value
        for tests in conditions.values()
        if isinstance(tests, Mapping)
        for name, values in tests.items()
        if name.lower() == key.lower()
        for value in as_list(values)
    ]


def _principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(arn) for arn in as_list(principal.get("AWS"))]
    return []  # service principals are judged by the service's own conditions


def _statement_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    if statement.get("Effect") != "Allow":
        return
    principals = _principals(statement)
    if "*" in principals:
        yield "a statement allows any principal ('*')"
        return
    if _allows(statement, GRANT_ACTION) and not any(
        as_bool(value) for value in _condition(statement, "kms:GrantIsForAWSResource")
    ):
        yield (
            f"a statement lets {', '.join(principals) or 'a service'} create grants for anything "
            "(kms:CreateGrant without kms:GrantIsForAWSResource), so a grant could hand the key "
            "to any principal"
        )
    direct = [arn for arn in principals if _SERVICE_LINKED_ROLE not in arn]
    crypto = [action for action in CRYPTO_ACTIONS if _allows(statement, action)]
    if direct and crypto and not _condition(statement, "kms:ViaService"):
        yield (
            f"a statement lets {', '.join(direct)} use the key directly ({', '.join(crypto)} "
            "without kms:ViaService), so a leaked credential could decrypt the data"
        )


def _key_policy_problems(key: Resource, _: StackView) -> Iterator[str]:
    policy = key.get("policy")
    if is_unknown(policy):
        return
    if policy is None:
        yield (
            "has no key policy: KMS's default lets every IAM principal the account allows "
            "kms:* use and administer the key"
        )
        return
    seen = set()
    for statement in policy_statements(policy):
        for problem in _statement_problems(statement):
            if problem not in seen:
                seen.add(problem)
                yield problem


RULES = (
    Rule(
        id="kms-key-rotation",
        description="Customer-managed KMS keys rotate automatically.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.KMS_KEY,),
        check=_rotation_problems,
        fix="set enable_key_rotation=True on the key",
        references=("CKV_AWS_7", "AVD-AWS-0065", "AWSGuard cmk-backing-key-rotation-enabled"),
    ),
    Rule(
        id="kms-key-deletion-window",
        description="KMS keys wait 7..30 days before deletion (30 in production).",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.KMS_KEY,),
        check=_deletion_window_problems,
        fix="set deletion_window_in_days between 7 and 30, and to 30 in production",
    ),
    Rule(
        id="kms-key-policy-least-privilege",
        description=(
            "Key policies name their administrative actions, allow the key's use only through "
            "a service (kms:ViaService) and grants only for AWS resources."
        ),
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.KMS_KEY,),
        check=_key_policy_problems,
        fix=(
            "list the administrative actions (no kms:* or kms:Create*), condition use on "
            "kms:ViaService and kms:CreateGrant on kms:GrantIsForAWSResource "
            "(program/components/kms_key.py: key_policy)"
        ),
        references=("CKV_AWS_33", "AWS KMS key policy best practices"),
    ),
)
