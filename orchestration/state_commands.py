"""What `invoke bootstrap` and `invoke state ...` run, without invoke (tests call these directly).

Each one checks in the same order as the stack tasks (environment, declaration, credentials
and the declared account, backend) and raises OrchestrationError with one message for every
refusal, before anything is written.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from typing import TextIO

from orchestration.commands import (
    CliLocator,
    Paths,
    check_endpoint,
    ensure_cli,
    load_environment,
)
from orchestration.engine.interface import OrchestrationError
from orchestration.preflight import (
    CredentialResolver,
    botocore_resolves,
    check_aws_credentials,
    check_endpoint_variables,
    check_engine_variables,
)
from orchestration.state.account import check_account
from orchestration.state.aws import aws_client, caller_account
from orchestration.state.backend import (
    BACKEND_URL_VAR,
    SECRETS_PROVIDER_VAR,
    AccountLookup,
    Backend,
    local_backend,
    resolve_backend,
)
from orchestration.state.bootstrap.run import run_bootstrap
from orchestration.state.declaration import ENVIRONMENT_FILE
from orchestration.state.history import restore, show_history
from orchestration.state.migrate import Migration
from orchestration.state.ready import check_state_ready
from shared.settings import EnvironmentSettings

STATE_ACTIONS = ("migrate", "history", "restore")
DECLARED = "declared"


def bootstrap(
    environment: str,
    *,
    endpoint: str | None = None,
    check: bool = False,
    out: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    resolve_credentials: CredentialResolver = botocore_resolves,
    lookup_account: AccountLookup = caller_account,
    admins: bool = False,
) -> int:
    """`invoke bootstrap`: create (or with `check`, only report) the declared bucket and key,
    the service-linked roles and the teams' deploy roles (`admins`: trusted by the account's
    administrators too)."""
    settings = load_environment(environment)
    check_endpoint(endpoint)
    check_endpoint_variables(os.environ if environ is None else environ, endpoint)
    if endpoint is None:
        check_aws_credentials(environment, settings.region, resolve=resolve_credentials)
    return run_bootstrap(
        settings,
        endpoint=endpoint,
        check=check,
        out=out if out is not None else sys.stdout,
        lookup_account=lookup_account,
        admins=admins,
    )


def state(
    action: str,
    environment: str,
    *,
    project: str | None = None,
    to: str | None = None,
    version: str | None = None,
    endpoint: str | None = None,
    abandon: bool = False,
    paths: Paths | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    resolve_credentials: CredentialResolver = botocore_resolves,
    lookup_account: AccountLookup = caller_account,
    locate_cli: CliLocator = ensure_cli,
) -> int:
    """`invoke state ACTION`: migrate to the declared backend, list or restore checkpoints."""
    if action not in STATE_ACTIONS:
        raise OrchestrationError(
            f"unknown state action {action!r}: use one of {', '.join(STATE_ACTIONS)}"
        )
    paths = paths or Paths.for_repo()
    settings = load_environment(environment, project, paths.projects_dir)
    _check_options(action, project=project, to=to, version=version, abandon=abandon)
    check_endpoint(endpoint)
    environ = os.environ if environ is None else environ
    check_engine_variables(environ)
    check_endpoint_variables(environ, endpoint)
    printer = out if out is not None else sys.stdout
    if action == "migrate":
        settings = _with_target(settings, to)
    # The declaration decides, not an override left in the shell: that is what runs will use.
    declared_environ = {
        key: value
        for key, value in environ.items()
        if key not in {BACKEND_URL_VAR, SECRETS_PROVIDER_VAR}
    }
    if endpoint is None:
        check_aws_credentials(environment, settings.region, resolve=resolve_credentials)
    if settings.account_id is not None:
        check_account(settings, endpoint=endpoint, lookup=lookup_account)
    target = resolve_backend(
        settings,
        environ=declared_environ,
        state_dir=paths.state_dir,
        endpoint=endpoint,
        lookup_account=lookup_account,
    )
    if target.location is not None and (target.location.bucket or target.location.key):
        check_state_ready(target.location, settings)
    if action == "migrate":
        assert to is not None  # _with_target requires it
        return _migrate(
            settings,
            target,
            paths=paths,
            environ=environ,
            request=MigrateRequest(to.strip(), project, endpoint, abandon),
            out=printer,
            locate_cli=locate_cli,
        )
    bucket = target.location.bucket if target.location else None
    if bucket is None:
        raise OrchestrationError(
            f"{environment} keeps no state in S3 ({target.url}): checkpoint versions are kept by "
            f"the versioned state bucket only (declare state_backend: s3 in "
            f"{ENVIRONMENT_FILE.format(environment=environment)})"
        )
    assert project is not None  # _check_options requires it for history and restore
    s3 = aws_client("s3", bucket.region, bucket.endpoint)
    if action == "history":
        return show_history(s3, bucket, project, environment, out=printer)
    assert version is not None
    return restore(s3, bucket, project, environment, version, out=printer, endpoint=endpoint)


@dataclasses.dataclass(frozen=True)
class MigrateRequest:
    """`state migrate`'s options as given (the commands it prints repeat them)."""

    to: str
    project: str | None
    endpoint: str | None
    abandon: bool


def _migrate(
    settings: EnvironmentSettings,
    target: Backend,
    *,
    paths: Paths,
    environ: Mapping[str, str],
    request: MigrateRequest,
    out: TextIO,
    locate_cli: CliLocator,
) -> int:
    env = settings.environment
    if target.local_default:
        # Checked first: the passphrase question below only arises for a shared target.
        raise OrchestrationError(
            f"{env} declares no shared state backend: its state already is the local one "
            f"({paths.state_dir}), so there is nothing to migrate to. Declare state_backend: s3 "
            f"and secrets_provider: awskms in {ENVIRONMENT_FILE.format(environment=env)}, or "
            "name the target with --to s3 (or --to s3://<bucket>?region=<region>)"
        )
    source = local_backend(settings, environ=environ, state_dir=paths.state_dir)
    # Abandoning only removes from the target: it needs neither the source nor its passphrase.
    copying = not request.abandon
    if copying and target.secrets_provider == "passphrase" and source.generated_passphrase:
        raise OrchestrationError(
            f"{settings.environment} declares the passphrase secrets provider on a shared "
            "backend, but the local stacks use this machine's generated passphrase: declare "
            "secrets_provider: awskms (recommended), or set PULUMI_CONFIG_PASSPHRASE to the "
            "team's passphrase and migrate by hand with `pulumi stack migrate`"
        )
    if copying and not (paths.state_dir / ".pulumi").is_dir():
        print(f"Nothing to migrate: {paths.state_dir} holds no stacks.", file=out)
        return 0
    # Imported here: the Automation API is only needed once the CLI really runs.
    from orchestration.engine.cli_engine import pulumi_command_at  # noqa: PLC0415

    bin_dir = locate_cli(paths.tools_dir, lambda line: print(line, file=sys.stderr, flush=True))
    migration = Migration(
        source=source,
        target=target,
        projects_dir=paths.projects_dir,
        command=pulumi_command_at(bin_dir),
        pulumi_home=paths.pulumi_home,
        out=out,
        to=request.to,
        endpoint=request.endpoint,
    )
    if request.abandon:
        return migration.abandon()
    return migration.run(request.project)


def _with_target(settings: EnvironmentSettings, to: str | None) -> EnvironmentSettings:
    if to is None:
        raise OrchestrationError(
            "state migrate needs --to: `declared` (the backend the environment file declares) "
            "or a backend such as s3 or s3://<bucket>?region=<region>"
        )
    if to.strip() == DECLARED:
        return settings
    return dataclasses.replace(settings, state_backend=to.strip())


def _check_options(
    action: str, *, project: str | None, to: str | None, version: str | None, abandon: bool
) -> None:
    needs = {"migrate": (), "history": ("--project",), "restore": ("--project", "--version")}
    given = {"--project": project, "--to": to, "--version": version, "--abandon": abandon}
    missing = [flag for flag in needs[action] if not given[flag]]
    if missing:
        raise OrchestrationError(f"state {action} needs {' and '.join(missing)}")
    allowed = {
        "migrate": {"--project", "--to", "--abandon"},
        "history": {"--project"},
        "restore": {"--project", "--version"},
    }
    extra = [flag for flag, value in given.items() if value and flag not in allowed[action]]
    if extra:
        raise OrchestrationError(f"state {action} does not take {', '.join(extra)}")
