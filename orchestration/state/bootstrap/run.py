"""`invoke bootstrap`: create what an environment's state declaration names, with boto3.

Like `cdk bootstrap`, once per account, region and environment: the state bucket (versioning,
SSE-KMS with the state key and bucket key, Block Public Access, BucketOwnerEnforced, a TLS-only
policy, a lifecycle rule expiring old checkpoint versions) and the KMS key that encrypts the
bucket and the stacks' secrets (customer managed, rotation on, reached through its alias).

Credentials of another account than the environment's declared `account_id` are refused
first (`orchestration.state.account`). Everything is read and judged before anything is
written, so a refusal changes nothing:
- missing: created;
- existing and tagged as bootstrap's own: what differs from the requirements is put back;
- existing and not bootstrap's own: adopted only if it already meets every requirement,
  otherwise refused with what differs (a bucket of another account is always refused).
The bucket and the key are judged by the same rules as the application's (`program.policy`)
through the live readers `invoke verify` uses. Bootstrap never deletes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TextIO

from orchestration.engine.interface import OrchestrationError
from orchestration.state.account import check_account
from orchestration.state.aws import aws_client, caller_account
from orchestration.state.bootstrap.apply import apply_bucket, apply_key
from orchestration.state.bootstrap.judge import BootstrapFailed, Part, judge_bucket, judge_key
from orchestration.state.declaration import (
    KmsLocation,
    StateDeclarationError,
    declared_state,
    resolve_state,
)
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
) -> int:
    """Bootstrap (or with `check`, only report); the exit code. Refusals raise, changing nothing."""
    try:
        declaration = declared_state(settings)
    except StateDeclarationError as error:
        raise OrchestrationError(str(error)) from error
    env = settings.environment
    if not declaration.uses_aws:
        print(
            f"Nothing to bootstrap for {env}: it declares {declaration.describe()}, so its state "
            "stays in .pulumi-state/ on this machine. Declare state_backend: s3 and "
            f"secrets_provider: awskms in shared/environments/{env}.yaml to share it.",
            file=out,
        )
        return 0
    # Before anything is read or created: credentials of another account than the declared one
    # are refused, and the bucket and key are named for (and judged against) the declared one.
    account = check_account(settings, endpoint=endpoint, lookup=lookup_account)
    location = resolve_state(declaration, settings, account_id=account, endpoint=endpoint)
    key_location = location.key or KmsLocation(
        key=state_key_alias(settings), region=settings.region, endpoint=endpoint
    )
    kms = client("kms", key_location.region, key_location.endpoint)
    key = judge_key(kms, key_location, settings, account)
    parts = [key]
    bucket: Part | None = None
    s3 = None
    if location.bucket is not None:
        s3 = client("s3", location.bucket.region, location.bucket.endpoint)
        bucket = judge_bucket(
            s3,
            kms,
            location.bucket,
            key,
            settings=settings,
            history_days=declaration.history_days,
        )
        parts.append(bucket)
    print(
        f"Bootstrap of {env} (account {account}, {settings.region}; {declaration.describe()})",
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
    if key.missing or key.differences:
        apply_key(kms, key, key_location, settings)
    if bucket is not None and location.bucket is not None:
        apply_bucket(
            s3,
            bucket,
            location.bucket,
            key,
            settings=settings,
            history_days=declaration.history_days,
        )
    _report_done(parts, out)
    backend = location.backend_url or ".pulumi-state/ (this machine)"
    print(
        f"Runs of {env} keep their state in {backend} with the secrets provider "
        f"{location.secrets_provider}. Bootstrap never deletes anything.",
        file=out,
    )
    return 0


# ---- reporting ------------------------------------------------------------------------------

_REQUIREMENTS = {
    "secrets key": "customer managed, symmetric, enabled, rotation on",
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
