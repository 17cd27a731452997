"""IAM rule: the instance role's policies name their actions and resources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from program.policy.model import Enforcement, Resource, Rule, StackView, is_unknown
from program.policy.values import as_list, policy_statements
from shared import aws_types as t


def _documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    if resource.type == t.IAM_ROLE:
        for inline in as_list(resource.get("inlinePolicies")):
            if isinstance(inline, Mapping):
                yield f"inline policy {inline.get('name')!r}", inline.get("policy")
    else:
        yield "policy", resource.get("policy")


def _statement_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    if statement.get("Effect") != "Allow":
        return
    sid = f"statement {statement['Sid']!r}" if statement.get("Sid") else "a statement"
    for action in as_list(statement.get("Action")):
        if action == "*" or (isinstance(action, str) and action.endswith(":*")):
            yield f"{sid} allows every action ({action!r})"
    if "*" in as_list(statement.get("Resource")):
        yield f"{sid} applies to every resource ('*')"
    for broad in ("NotAction", "NotResource"):
        if broad in statement:
            yield f"{sid} allows with {broad}, which grants everything not listed"


def _wildcard_problems(resource: Resource, _: StackView) -> Iterator[str]:
    for where, document in _documents(resource):
        if is_unknown(document):
            continue
        for statement in policy_statements(document):
            for problem in _statement_problems(statement):
                yield f"{where}: {problem}"


RULES = (
    Rule(
        id="iam-no-wildcards",
        description="Instance-role policies grant named actions on named resources, never '*'.",
        enforcement=Enforcement.MANDATORY,
        resource_types=(t.IAM_ROLE, t.IAM_ROLE_POLICY, t.IAM_POLICY),
        check=_wildcard_problems,
        fix=(
            "list the exact actions (e.g. s3:GetObject) and the exact ARNs (this bucket's "
            "objects, this key)"
        ),
        references=("CKV_AWS_63", "CKV_AWS_355", "AVD-AWS-0057"),
    ),
)
