"""`invoke bootstrap`: create what an environment's deploys need before any stack, with boto3.

Like `cdk bootstrap`, once per account, region and environment: the state bucket (versioning,
SSE-KMS with the state key and bucket key, Block Public Access, BucketOwnerEnforced, a TLS-only
policy, a lifecycle rule expiring old checkpoint versions) and the KMS key that encrypts the
bucket and the stacks' secrets (customer managed, rotation on, reached through its alias), when
the environment declares them; and in every environment the IAM its deploys need (`iam.py`):
GitHub's OIDC provider, the service-linked roles, one deploy role per team.

Credentials of another account than the environment's declared `account_id` are refused
first (`orchestration.state.account`). Everything is read and judged before anything is
written, so a refusal changes nothing:
- missing: created;
- existing and tagged as bootstrap's own: what differs from the requirements is put back;
- existing and not bootstrap's own: adopted only if it already meets every requirement,
  otherwise refused with what differs (a bucket of another account is always refused).
The bucket and the key are judged by the same rules as the application's (`program.policy`)
through the live readers `invoke verify` uses; the roles against what `invoke roles` prints.
Bootstrap never deletes a bucket, key or role; on its own roles it detaches what `invoke roles`
does not list, and a policy's oldest version makes room for a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TextIO

from orchestration.engine.interface import OrchestrationError
from orchestration.plan.cli import make_plan
from orchestration.plan.environment import EnvironmentPlan, PlanError
from orchestration.roles.authorization import AuthorizationError
from orchestration.roles.documents import TeamRole, team_roles
from orchestration.roles.grants import RolesError
from orchestration.roles.split import PolicyTooLarge
from orchestration.state.account import check_account
from orchestration.state.aws import aws_client, caller_account
from orchestration.state.bootstrap.apply import apply_bucket, apply_key
from orchestration.state.bootstrap.iam import apply_iam, judge_iam
from orchestration.state.bootstrap.judge import BootstrapFailed, Part, judge_bucket, judge_key
from orchestration.state.declaration import (
    KmsLocation,
    StateDeclaration,
    StateDeclarationError,
    StateLocation,
    declared_state,
    resolve_state,
)
from shared.aws_facts import partition_of
from shared.naming import state_key_alias
from shared.settings import EnvironmentSettings

Client = Callable[[str, str | None, str | None], Any]
__all__ = ["BootstrapFailed", "BootstrapRefused", "run_bootstrap"]


class BootstrapRefused(OrchestrationError):
    """An existing bucket or key is another account's or weaker than required; nothing changed."""


def run_bootstrap(
    settings: EnvironmentSettings,
    *,
    endpoint: str | None = None,
    check: bool = False,
    out: TextIO,
    client: Client = aws_client,
    lookup_account: Callable[[str, str | None], str] = caller_account,
    admins: bool = False,
) -> int:
    """Bootstrap (or with `check`, only report); the exit code. Refusals raise, changing nothing."""
    try:
        declaration = declared_state(settings)
    except StateDeclarationError as error:
        raise OrchestrationError(str(error)) from error
    env = settings.environment
    # Before anything is read or created: credentials of another account than the declared one
    # are refused, and the bucket and key are named for (and judged against) the declared one.
    account = check_account(settings, endpoint=endpoint, lookup=lookup_account)
    partition = partition_of(settings.region)
    parts: list[Part] = []
    state = (
        _judge_state(declaration, settings, account, endpoint, client)
        if (declaration.uses_aws)
        else None
    )
    if state is not None:
        parts += state.parts
    roles = _team_roles(settings, account=account, admins=admins)
    iam = judge_iam(
        client("iam", settings.region, endpoint),
        roles.plan,
        roles.roles,
        partition=partition,
        account=account,
    )
    parts += iam.parts
    print(
        f"Bootstrap of {env} (account {account}, {settings.region}; {declaration.describe()})",
        file=out,
    )
    if state is None:
        print(
            f"  No shared state: {env} keeps its state in .pulumi-state/ on this machine "
            f"(declare state_backend: s3 and secrets_provider: awskms in "
            f"shared/environments/{env}.yaml to share it); the IAM roles only.",
            file=out,
        )
    refusals = [part.refusal for part in parts if part.refusal]
    if refusals:
        raise BootstrapRefused(
            f"bootstrap of {env} refused, nothing was changed: {'; '.join(refusals)}"
        )
    if check:
        again = f"{env} --endpoint {endpoint}" if endpoint else env
        return _report_check(parts, again, out)
    if state is not None:
        state.apply(settings, declaration.history_days)
    apply_iam(iam, settings, partition=partition, account=account)
    _report_done(parts, out)
    if state is not None:
        backend = state.location.backend_url or ".pulumi-state/ (this machine)"
        print(
            f"Runs of {env} keep their state in {backend} with the secrets provider "
            f"{state.location.secrets_provider}.",
            file=out,
        )
    print("Bootstrap never deletes a bucket, key or role.", file=out)
    return 0


@dataclass
class _StateWork:
    """The state bucket and key, judged; `apply` makes or puts back what needs it."""

    location: StateLocation
    key_location: KmsLocation
    kms: Any
    key: Part
    s3: Any = None
    bucket: Part | None = None

    @property
    def parts(self) -> list[Part]:
        return [self.key] if self.bucket is None else [self.key, self.bucket]

    def apply(self, settings: EnvironmentSettings, history_days: int) -> None:
        if self.key.missing or self.key.differences:
            apply_key(self.kms, self.key, self.key_location, settings)
        if self.bucket is not None and self.location.bucket is not None:
            apply_bucket(
                self.s3,
                self.bucket,
                self.location.bucket,
                self.key,
                settings=settings,
                history_days=history_days,
            )


def _judge_state(
    declaration: StateDeclaration,
    settings: EnvironmentSettings,
    account: str,
    endpoint: str | None,
    client: Client,
) -> _StateWork:
    location = resolve_state(declaration, settings, account_id=account, endpoint=endpoint)
    key_location = location.key or KmsLocation(
        key=state_key_alias(settings), region=settings.region, endpoint=endpoint
    )
    kms = client("kms", key_location.region, key_location.endpoint)
    work = _StateWork(location, key_location, kms, judge_key(kms, key_location, settings, account))
    if location.bucket is not None:
        work.s3 = client("s3", location.bucket.region, location.bucket.endpoint)
        work.bucket = judge_bucket(
            work.s3,
            kms,
            location.bucket,
            work.key,
            settings=settings,
            history_days=declaration.history_days,
        )
    return work


@dataclass(frozen=True)
class _Roles:
    plan: EnvironmentPlan
    roles: list[TeamRole]


@cache
def _plan(settings: EnvironmentSettings) -> EnvironmentPlan:
    """The offline plan, once per settings in a process (it runs every program)."""
    return make_plan(settings.environment, settings=settings)


def _team_roles(settings: EnvironmentSettings, *, account: str, admins: bool) -> _Roles:
    """The environment's offline plan, and the team roles `invoke roles` derives from it."""
    try:
        plan = _plan(settings)
        return _Roles(plan, team_roles(settings, plan, account=account, admins=admins))
    except (PlanError, RolesError, AuthorizationError, PolicyTooLarge) as error:
        raise OrchestrationError(f"cannot derive the team roles: {error}") from error


# ---- reporting ------------------------------------------------------------------------------

_REQUIREMENTS = {
    "secrets key": "customer managed, symmetric, enabled, rotation on",
    "OIDC provider": "GitHub Actions' tokens, audience sts.amazonaws.com",
    "service-linked role": "made by AWS for the service",
    "deploy role": "the trust and permission policies `invoke roles` prints",
    "state bucket": (
        "versioning, SSE-KMS with the state key and bucket key, Block Public Access, "
        "BucketOwnerEnforced, TLS-only policy, lifecycle for old checkpoint versions"
    ),
}


def _kind(part: Part) -> str:
    return " ".join(part.what.split()[:2])


def _report_check(parts: Sequence[Part], env: str, out: TextIO) -> int:
    for part in parts:
        if part.missing:
            print(f"  missing      {part.what}: bootstrap would create it", file=out)
        elif part.differences or part.updates:
            changes = [*part.differences.values(), *part.updates]
            print(f"  would change {part.what}: {'; '.join(changes)}", file=out)
        else:
            print(f"  ready        {part.what}: {_REQUIREMENTS[_kind(part)]}", file=out)
    pending = [part for part in parts if not part.unchanged]
    if pending:
        print(
            f"Not ready: {len(pending)} of {len(parts)} need `invoke bootstrap --env {env}` "
            "(this check changed nothing).",
            file=out,
        )
        return 1
    print(
        "Ready: everything the declaration names is in place (this check changed nothing).",
        file=out,
    )
    return 0


def _report_done(parts: Sequence[Part], out: TextIO) -> None:
    for part in parts:
        if part.missing:
            arn = f" ({part.arn})" if part.arn else ""
            print(f"  created    {part.what}{arn}: {_REQUIREMENTS[_kind(part)]}", file=out)
        elif part.differences or part.updates:
            changes = [f"put back: {why}" for why in part.differences.values()] + part.updates
            print(f"  changed    {part.what}: {'; '.join(changes)}", file=out)
        else:
            how = "bootstrap's own" if part.ours else "adopted, meets every requirement"
            print(f"  unchanged  {part.what} ({how})", file=out)
    if all(part.unchanged for part in parts):
        print("Nothing changed: everything was already in place.", file=out)
