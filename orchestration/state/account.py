"""The environment's declared AWS account against the caller's, checked before anything runs.

AWS's advice is one account per environment, and an environment file may name its own
(`account_id`, required for production: `shared.settings`). A task that reaches AWS or the
state asks STS whose credentials are in use (`orchestration.state.aws.caller_account`; with
`--endpoint`, the emulator's STS for its test credentials) and refuses any other account in one
line, before a bucket, key, stack or resource is read or written. The state bucket is then named
for the declared account (`orchestration.state.backend`), and the provider refuses any other
account too (`program.provider`: allowedAccountIds). Pure: the lookup is passed in.
"""

from __future__ import annotations

from orchestration.engine.interface import OrchestrationError
from orchestration.state.backend import AccountLookup
from orchestration.state.declaration import ENVIRONMENT_FILE
from shared.settings import EnvironmentSettings


class AccountMismatch(OrchestrationError):
    """The credentials in use belong to another account than the declared one; nothing ran."""


def check_account(
    settings: EnvironmentSettings, *, endpoint: str | None, lookup: AccountLookup
) -> str:
    """The caller's account id (STS); AccountMismatch unless it is the declared one, if any."""
    caller = lookup(settings.region, endpoint)
    declared = settings.account_id
    if declared is None or caller == declared:
        return caller
    env = settings.environment
    where = f"{ENVIRONMENT_FILE.format(environment=env)}: account_id"
    if endpoint is None:
        found = f"the AWS credentials in use belong to account {caller}"
        remedy = (
            f"use credentials of account {declared} (AWS_PROFILE, after `aws sso login` for "
            "SSO profiles, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
        )
    else:
        found = f"the emulator at {endpoint} answers as account {caller}"
        remedy = f"aim --endpoint at an emulator serving account {declared}"
    raise AccountMismatch(
        f"{env} is declared in AWS account {declared} ({where}), but {found}: {remedy}, or "
        f"correct {where}; nothing was run"
    )
