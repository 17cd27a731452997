"""Each team's deploy role in an environment: its name, trust policy and permission policy.

The trust is GitHub Actions' OIDC token of this repository's jobs in the environment's GitHub
environment (`repo:<org>/<repo>:environment:<env>`, audience `sts.amazonaws.com`; the deploy
workflow runs each project's job there), and optionally the account's administrators (the
account itself as principal: only identities whose own policies allow `sts:AssumeRole` on the
role, which is what an administrator has, can assume it from a shell).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from orchestration.plan.environment import EnvironmentPlan
from orchestration.roles.policy import team_policy
from shared.aws_facts import partition_of
from shared.github import OIDC_AUDIENCE, OIDC_PROVIDER_HOST, oidc_subject
from shared.naming import deploy_role_name
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY

# The account in a principal ARN when it is not known (`invoke roles` without --account):
# a principal cannot hold a wildcard, and this cannot be mistaken for an account id.
UNKNOWN_ACCOUNT = "<account>"


@dataclass(frozen=True)
class TeamRole:
    """One team's deploy role, as `invoke roles` shows it and bootstrap creates it."""

    team: str
    projects: tuple[str, ...]
    role_name: str
    trust_policy: dict[str, Any]
    policy: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "role_name": self.role_name,
            "trust_policy": self.trust_policy,
            "policy": self.policy,
        }


def trust_policy(
    settings: EnvironmentSettings, *, account: str | None, admins: bool = False
) -> dict[str, Any]:
    """GitHub's OIDC token of this repository's jobs in the environment; optionally admins."""
    partition = partition_of(settings.region)
    owner = account or UNKNOWN_ACCOUNT
    statements: list[dict[str, Any]] = [
        {
            "Sid": "GitHubActionsOfThisEnvironment",
            "Effect": "Allow",
            "Principal": {
                "Federated": f"arn:{partition}:iam::{owner}:oidc-provider/{OIDC_PROVIDER_HOST}"
            },
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{OIDC_PROVIDER_HOST}:aud": OIDC_AUDIENCE,
                    f"{OIDC_PROVIDER_HOST}:sub": oidc_subject(settings.environment),
                }
            },
        }
    ]
    if admins:
        statements.append(
            {
                "Sid": "AdministratorsOfThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{owner}:root"},
                "Action": "sts:AssumeRole",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def team_roles(
    settings: EnvironmentSettings,
    plan: EnvironmentPlan,
    *,
    projects: Iterable[str] | None = None,
    account: str | None = None,
    admins: bool = False,
) -> list[TeamRole]:
    """The roles of the teams owning `projects` (default: every project), in deploy order."""
    chosen = set(TOPOLOGY.names if projects is None else projects)
    teams: dict[str, list[str]] = {}
    for name in TOPOLOGY.deploy_order():
        teams.setdefault(TOPOLOGY.project(name).team, []).append(name)
    wanted = [team for team, owned in teams.items() if chosen & set(owned)]
    return [
        TeamRole(
            team=team,
            projects=tuple(teams[team]),
            role_name=deploy_role_name(settings, team),
            trust_policy=trust_policy(settings, account=account, admins=admins),
            policy=team_policy(settings, plan.stacks, team, account=account or "*"),
        )
        for team in wanted
    ]


def roles_json(roles: Sequence[TeamRole]) -> dict[str, Any]:
    """`{"<team>": {"role_name", "trust_policy", "policy"}}`."""
    return {role.team: role.to_json() for role in roles}
