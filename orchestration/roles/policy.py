"""A team's permission policy, derived from its project's offline plan in one environment.

The plan says which resource types the project deploys, which it names (and how), which
provider functions its program calls, which roles it passes to which service, and which
customer key it uses through a service. The table (`actions.py`) gives each type's actions,
the Service Authorization Reference (`authorization.py`) where each may be scoped
(`grants.py`), and `state_access.py` the team's part of the shared state. Nothing of another
project's types is in it: a type is only ever granted to the project that plans it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from orchestration.plan.environment import StackPlan
from orchestration.plan.placeholders import PLACEHOLDER_ACCOUNT_ID
from orchestration.roles.actions import CENSUS_ACTIONS, INVOKES, PROVIDER_ACTIONS, TYPE_ACTIONS
from orchestration.roles.grants import Condition, Grant, RolesError, Scope, statements
from orchestration.roles.state_access import (
    READ_BUCKET,
    READ_OBJECTS,
    USE_KEY,
    WRITE_OBJECTS,
    state_grants,
)
from shared import aws_types as t
from shared.aws_facts import dns_suffix, partition_of
from shared.naming import tags
from shared.settings import EnvironmentSettings
from shared.topology import KMS_KEY_ARN, TOPOLOGY

# The public parameters AWS publishes (the Amazon Linux image id) have no account in their ARN:
# `*` matches the empty account (and the linter wants one).
_PUBLIC_PARAMETER = "arn:{partition}:ssm:{region}:*:parameter{name}"
_PASS_ROLE = "iam:PassRole"  # noqa: S105 - an IAM action's name


def every_action() -> set[str]:
    """Every action a generated policy may hold (what the Reference extract must cover)."""
    found = {
        *PROVIDER_ACTIONS,
        *CENSUS_ACTIONS,
        *READ_BUCKET,
        *READ_OBJECTS,
        *WRITE_OBJECTS,
        *USE_KEY,
        _PASS_ROLE,
    }
    for row in TYPE_ACTIONS.values():
        found.update(row.actions)
        if row.key_use is not None:
            found.update(row.key_use.actions)
    for actions, _source in INVOKES.values():
        found.update(actions)
    return found


def project_grants(
    settings: EnvironmentSettings, stack: StackPlan, *, account: str = "*"
) -> list[Grant]:
    """What `stack`'s project needs; RolesError naming what the table lacks.

    `account` `*`: the ARNs leave the account open (the offline answer); bootstrap passes the
    caller's account.
    """
    scope = _scope(settings, stack, account)
    grants: list[Grant] = []
    for type_ in sorted(_aws_types(stack)):
        row = TYPE_ACTIONS[type_]
        creating = set(row.write) | set(row.tag)
        for action in row.actions:
            if action != _PASS_ROLE:
                tagging = action in row.tag and action not in row.write
                grants += scope.grants(action, creating=action in creating, tagging=tagging)
    grants += [Grant(action, "*") for action in _called_actions(stack)]
    grants += _parameter_grants(stack, scope)
    grants += _pass_role_grants(stack, scope)
    grants += _key_use_grants(settings, stack, scope)
    grants += state_grants(
        settings, stack.project, partition=scope.partition, account=scope.account
    )
    return grants


def team_policy(
    settings: EnvironmentSettings, stacks: Iterable[StackPlan], team: str, *, account: str = "*"
) -> dict[str, Any]:
    """The permission policy of `team`: what each of its projects' stacks needs, folded."""
    grants = [
        grant
        for stack in stacks
        if TOPOLOGY.project(stack.project).team == team
        for grant in project_grants(settings, stack, account=account)
    ]
    return {"Version": "2012-10-17", "Statement": statements(grants, _sid(team))}


def _aws_types(stack: StackPlan) -> set[str]:
    types = {resource.type for resource in stack.resources if t.is_aws_resource(resource.type)}
    unknown = sorted(types - set(TYPE_ACTIONS))
    if unknown:
        raise RolesError(
            f"project {stack.project} deploys {unknown[0]}, which has no row of IAM actions: "
            "add one to orchestration/roles/rows_*.py (Pike's mapping of its Terraform type)"
        )
    return types


def _scope(settings: EnvironmentSettings, stack: StackPlan, account: str) -> Scope:
    component_tags = tags(settings, stack.project)
    scope = Scope(
        partition=partition_of(settings.region),
        region=settings.region,
        account=account,
        tags={key: component_tags[key] for key in ("Environment", "Component")},
    )
    for resource in stack.resources:
        row = TYPE_ACTIONS.get(resource.type)
        if row is None:
            continue
        for kind, key in row.names:
            value = resource.props.get(key)
            # An input computed at deploy time (`UNKNOWN` to the plan) names nothing here.
            if isinstance(value, str):
                scope.named[kind].add(value.replace(PLACEHOLDER_ACCOUNT_ID, account))
        for position, kind in enumerate(row.creates):
            scope.creators[kind].update(row.write)
            scope.creators[kind].update(row.tag)
            if position == 0:
                scope.primary.add(kind)
    return scope


def _called_actions(stack: StackPlan) -> set[str]:
    """The provider's own calls and those of the functions the program calls (no resource)."""
    found = {*PROVIDER_ACTIONS, *CENSUS_ACTIONS}
    for token, _arguments in stack.calls:
        if token not in INVOKES:
            raise RolesError(
                f"project {stack.project} calls {token}, which has no row of IAM actions: add "
                "it to INVOKES in orchestration/roles/actions.py"
            )
        found.update(action for action in INVOKES[token][0] if action != "ssm:GetParameter")
    return found


def _parameter_grants(stack: StackPlan, scope: Scope) -> list[Grant]:
    names = {
        str(arguments.get("name"))
        for token, arguments in stack.calls
        if "ssm:GetParameter" in INVOKES.get(token, ((), ""))[0]
    }
    return [
        Grant(
            "ssm:GetParameter",
            _PUBLIC_PARAMETER.format(partition=scope.partition, region=scope.region, name=name),
        )
        for name in sorted(names)
    ]


def _pass_role_grants(stack: StackPlan, scope: Scope) -> list[Grant]:
    """iam:PassRole on each of the project's roles, to the services its trust policy names."""
    grants = []
    for resource in stack.resources:
        if resource.type != t.IAM_ROLE:
            continue
        services = sorted(_trusted_services(resource.props.get("assumeRolePolicy")))
        name = resource.props.get("name")
        if not services or not isinstance(name, str):
            continue
        condition: Condition = (("StringEquals", "iam:PassedToService", tuple(services)),)
        arn = scope.arn("iam:role", name)
        grants.append(Grant(_PASS_ROLE, arn, condition))
    return grants


def _trusted_services(policy: Any) -> set[str]:
    document = json.loads(policy) if isinstance(policy, str) else policy
    if not isinstance(document, Mapping):
        return set()
    found: set[str] = set()
    for statement in _as_list(document.get("Statement")):
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        if isinstance(principal, Mapping):
            found.update(str(service) for service in _as_list(principal.get("Service")))
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _key_use_grants(settings: EnvironmentSettings, stack: StackPlan, scope: Scope) -> list[Grant]:
    """The customer key of the project that exports it, through the services that use it."""
    owner = next(name for name in TOPOLOGY.names if KMS_KEY_ARN in TOPOLOGY.project(name).exports)
    key_tags = tags(settings, owner)
    grants = []
    for type_ in sorted(_aws_types(stack)):
        use = TYPE_ACTIONS[type_].key_use
        if use is None:
            continue
        via = f"{use.service}.{settings.region}.{dns_suffix(scope.partition)}"
        condition: Condition = (
            ("StringEquals", "aws:ResourceTag/Environment", (key_tags["Environment"],)),
            ("StringEquals", "aws:ResourceTag/Component", (key_tags["Component"],)),
            ("StringEquals", "kms:ViaService", (via,)),
        )
        arn = f"arn:{scope.partition}:kms:{scope.region}:{scope.account}:key/*"
        for action in use.actions:
            extra: Condition = ()
            if action == "kms:CreateGrant":
                # EBS makes the grant for the volume; nobody else may be given one.
                extra = (("Bool", "kms:GrantIsForAWSResource", ("true",)),)
            grants.append(Grant(action, arn, tuple(sorted(condition + extra))))
    return grants


def _sid(team: str) -> str:
    """A statement id prefix: letters and digits only (`data-eng` -> `DataEng`)."""
    return "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", team) if part)
