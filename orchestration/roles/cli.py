"""`invoke roles`: each team's deploy role in an environment, from the offline plan.

Text (default): per team, the role name, its projects, the trust policy and the permission
policy, with the policy's size against AWS's limit per managed policy. `--json PATH|-`: the
documents as `{"<team>": {"role_name", "trust_policy", "policy"}}` (`-`: only the JSON on
standard output). Nothing is read from or written to AWS.
"""

from __future__ import annotations

import json
import re
import sys
from typing import TextIO

from orchestration.plan.cli import make_plan
from orchestration.plan.environment import PlanError
from orchestration.roles.authorization import AuthorizationError
from orchestration.roles.documents import TeamRole, roles_json, team_roles
from orchestration.roles.grants import RolesError
from orchestration.roles.split import MANAGED_POLICY_MAX, compact_size, split_policy
from shared.output_target import OutputTargetError, parse_optional
from shared.settings import SettingsError, load_settings
from shared.topology import TOPOLOGY, ContractError

_ACCOUNT = re.compile(r"^\d{12}$")


class RolesRefused(Exception):
    """`invoke roles` cannot answer; the text is the one line to show."""


def run_roles(
    environment: str,
    *,
    project: str | None = None,
    json_path: str | None = None,
    account: str | None = None,
    admins: bool = False,
    out: TextIO | None = None,
) -> int:
    """Print (or write as JSON) the deploy roles; RolesRefused with one line on bad input."""
    out = out or sys.stdout
    try:
        target = parse_optional(json_path, "roles' JSON")
        if account is not None and not _ACCOUNT.match(account):
            raise RolesRefused(f"--account {account!r}: give the 12-digit AWS account id")
        settings = load_settings(environment)
        if project is not None:
            TOPOLOGY.project(project)
        plan = make_plan(environment)
        roles = team_roles(
            settings,
            plan,
            projects=None if project is None else [project],
            account=account,
            admins=admins,
        )
    except (
        OutputTargetError,
        SettingsError,
        ContractError,
        PlanError,
        RolesError,
        AuthorizationError,
    ) as error:
        raise RolesRefused(str(error)) from None
    if target is not None:
        target.write(json.dumps(roles_json(roles), indent=2), out)
        if target.is_stdout:
            return 0
    for role in roles:
        print(describe(role), file=out)
    if target is not None:
        print(f"JSON written to {target.describe()}", file=out)
    return 0


def describe(role: TeamRole) -> str:
    """One team's role as text: what it is, then its two policies."""
    size = compact_size(role.policy)
    parts = len(split_policy(role.policy))
    attached = (
        "one managed policy"
        if parts == 1
        else f"{parts} managed policies of at most {MANAGED_POLICY_MAX:,}"
    )
    return "\n".join(
        [
            f"Team {role.team} ({', '.join(role.projects)}): role {role.role_name}",
            f"  permission policy: {len(role.policy['Statement'])} statements, {size:,} "
            f"characters without spaces; bootstrap attaches it as {attached}",
            "  trust policy:",
            _indented(role.trust_policy),
            "  permission policy:",
            _indented(role.policy),
            "",
        ]
    )


def _indented(document: object) -> str:
    return "\n".join("    " + line for line in json.dumps(document, indent=2).splitlines())
