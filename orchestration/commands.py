"""What each invoke task runs, without invoke: checks in a fixed order, then the runner.

`run()` is the one entry point the tasks use (and the engine tests, with their own paths,
environment variables and CLI). The checks run cheapest and most local first, and nothing is
written before all of them pass:

1. the environment exists (SettingsError's message, listing the known ones) and so does the project;
   no variable in the shell weakens the engine's state keeping or, without `--endpoint`, aims
   AWS calls elsewhere (`AWS_ENDPOINT_URL...`, `orchestration.preflight`);
2. the environment's state declaration and any override are valid
   (`orchestration.state.declaration`);
3. AWS credentials resolve, for operations that reach AWS and for state kept in S3/KMS (skipped
   with an emulator endpoint), and where the environment declares its `account_id` they belong
   to that account (STS, the emulator's with `--endpoint`: `orchestration.state.account`);
4. the backend and secrets provider resolve (the passphrase where one is used; the declared or
   the caller's account id for the derived state bucket) and the declared state bucket and key
   answer and meet bootstrap's requirements, and no interrupted `invoke state migrate` left the
   backend half-filled (`orchestration.state.ready`: otherwise one message naming `invoke
   bootstrap`, or what to fix; `orchestration.state.migration_journal`);
5. the Pulumi CLI matching the SDK is there (installed by `orchestration.engine.pulumi_install`).

Before 2, a run that executes programs checks the selected projects' knobs, and a deploy
refuses a production that would serve plain HTTP (`orchestration.preflight`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from orchestration.engine.interface import EngineUnavailable, OrchestrationError
from orchestration.preflight import (
    CredentialResolver,
    botocore_resolves,
    check_aws_credentials,
    check_endpoint_variables,
    check_engine_variables,
)
from orchestration.runner import (
    DEFAULT_MAX_WORKERS,
    DEFAULT_PARALLEL,
    Ask,
    Orchestrator,
    RunReport,
)
from orchestration.runner.census import CensusReader
from orchestration.state.account import check_account
from orchestration.state.backend import (
    STATE_DIR_NAME,
    AccountLookup,
    Backend,
    plan_state,
    resolve_backend,
)
from orchestration.state.census import Census
from orchestration.state.declaration import StateLocation
from orchestration.state.migration_journal import refuse_unfinished_migration
from shared.paths import PROJECTS_DIR, REPO_ROOT
from shared.settings import EnvironmentSettings, SettingsError, load_settings
from shared.topology import TOPOLOGY, ContractError

TOOLS_DIR_NAME = ".tools"
POLICY_PACK_DIR_NAME = "policy-pack"
STACK_CONFIG_DIR_NAME = "stack-config"
# Generated stack files of backends other than the local default, one folder per backend.
BACKEND_CONFIG_DIR_NAME = "backends"

# (tools dir, progress callback) -> the `bin` directory holding `pulumi`.
CliLocator = Callable[[Path, Callable[[str], None]], Path]
# What a task does with the orchestrator: a run report, or an exit code (outputs).
Action = Callable[[Orchestrator], RunReport | int]
# (declared state location, settings) -> None; raises when the bucket or key is not ready.
StateCheck = Callable[[StateLocation, EnvironmentSettings], None]
# (backend, --endpoint) -> None; raises when a migration into the backend is unfinished.
MigrationCheck = Callable[[Backend, str | None], None]


class NothingDeployed(OrchestrationError):
    """A read-only run found no stack to read on the local default backend (nothing written)."""


def caller_account(region: str, endpoint: str | None) -> str:
    """`state_aws.caller_account`, imported only by the runs that need it (boto3 is heavy)."""
    from orchestration.state import aws as state_aws  # noqa: PLC0415

    return state_aws.caller_account(region, endpoint)


def check_state_ready(location: StateLocation, settings: EnvironmentSettings) -> None:
    """`ready.check_state_ready`, imported only by the runs that need it (boto3 is heavy)."""
    from orchestration.state import ready  # noqa: PLC0415

    ready.check_state_ready(location, settings)


def census_reader(settings: EnvironmentSettings, endpoint: str | None) -> CensusReader:
    """`census.take_census` for the environment, imported only when a run takes one."""

    def read(projects: Sequence[str]) -> Census:
        from orchestration.state.census import take_census  # noqa: PLC0415

        return take_census(settings, projects, endpoint=endpoint)

    return read


@dataclass(frozen=True)
class Paths:
    """Where the engine finds the projects, keeps state and tools; injectable for tests."""

    projects_dir: Path
    state_dir: Path
    tools_dir: Path
    policy_pack: Path
    # None: the user's own PULUMI_HOME (or ~/.pulumi).
    pulumi_home: Path | None = None

    @property
    def stack_config_dir(self) -> Path:
        """Generated stack files (committed ones plus each stack's secrets salt)."""
        return self.state_dir / STACK_CONFIG_DIR_NAME

    @classmethod
    def for_repo(cls, repo_root: Path = REPO_ROOT, *, pulumi_home: Path | None = None) -> Paths:
        """The repo's own layout."""
        return cls(
            projects_dir=repo_root / "projects",
            state_dir=repo_root / STATE_DIR_NAME,
            tools_dir=repo_root / TOOLS_DIR_NAME,
            policy_pack=repo_root / POLICY_PACK_DIR_NAME,
            pulumi_home=pulumi_home,
        )


def ensure_cli(tools_dir: Path, progress: Callable[[str], None]) -> Path:
    """The installer's `ensure_pulumi_cli`, its failure turned into one clear message."""
    # Imported here: the installer is only needed once an engine really runs.
    from orchestration.engine.pulumi_install import (  # noqa: PLC0415
        PulumiCliUnavailable,
        ensure_pulumi_cli,
    )

    try:
        return ensure_pulumi_cli(tools_dir, progress)
    except PulumiCliUnavailable as error:
        raise EngineUnavailable(str(error)) from error


def terminal_ask() -> Ask | None:
    """`input` when stdin is a terminal, else None (the runner then needs --yes/--confirm)."""
    return input if sys.stdin.isatty() else None


def check_endpoint(endpoint: str | None) -> None:
    """OrchestrationError unless `endpoint` (an emulator's `--endpoint`) is absent or a URL."""
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise OrchestrationError(
            f"--endpoint {endpoint!r} is not a URL: give the emulator's address, such as "
            "http://localhost:4566"
        )


def load_environment(
    environment: str, project: str | None = None, projects_dir: Path = PROJECTS_DIR
) -> EnvironmentSettings:
    """The environment's settings; OrchestrationError naming the known environments/projects.

    The project folders must match the topology, so a project nobody registered (or a
    registered one whose folder is gone) stops every command with the file to edit.
    """
    try:
        settings = load_settings(environment)
        TOPOLOGY.check_folders(projects_dir)
        if project is not None:
            TOPOLOGY.project(project)
    except (SettingsError, ContractError) as error:
        raise OrchestrationError(str(error)) from error
    return settings


@dataclass(frozen=True)
class Checks:
    """What opening an orchestrator asks of the machine; a test replaces what it must not reach.

    locate_cli: the Pulumi CLI's bin dir (installing it if need be); resolve_credentials: whether
    AWS credentials resolve for a region; lookup_account: the account id behind them;
    check_state: that the declared state bucket and key answer and are sound; check_migration:
    that no interrupted `invoke state migrate` left the backend half-filled.
    """

    locate_cli: CliLocator = ensure_cli
    resolve_credentials: CredentialResolver = botocore_resolves
    lookup_account: AccountLookup = caller_account
    check_state: StateCheck = check_state_ready
    check_migration: MigrationCheck = refuse_unfinished_migration


def open_orchestrator(
    settings: EnvironmentSettings,
    *,
    paths: Paths,
    endpoint: str | None = None,
    policy: bool | None = None,
    aws: bool = True,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    ask: Ask | None = None,
    checks: Checks = Checks(),
    max_workers: int = DEFAULT_MAX_WORKERS,
    parallel: int = DEFAULT_PARALLEL,
    read_only: bool = False,
    credentials_hint: str | None = None,
) -> Orchestrator:
    """An orchestrator over the Pulumi CLI engine, after checks 2-5 (see the module doc).

    `read_only`: the operation only reads stacks (outputs), so it writes nothing: on the local
    default backend with no stack yet it raises NothingDeployed before the CLI is located or
    the state folder and passphrase are created. `credentials_hint`: what the message for
    missing credentials offers instead (default: the offline plan and --endpoint).
    `policy`: True runs the repo's policy pack with up/preview, False and None do not.
    Engine output and summaries go to `out`; installer progress goes to `err`, so `out` can
    carry machine-readable output.
    """
    diagnostics = err if err is not None else sys.stderr
    check_endpoint(endpoint)
    policy_packs: tuple[Path, ...] = ()
    if policy:
        if not (paths.policy_pack / "PulumiPolicy.yaml").is_file():
            raise OrchestrationError(
                f"the policy pack is missing at {paths.policy_pack}: restore it, or pass "
                "--no-policy to run without the security baseline"
            )
        policy_packs = (paths.policy_pack,)
    environ = os.environ if environ is None else environ
    state_plan = plan_state(settings, environ)
    if (aws or state_plan.uses_aws) and endpoint is None:
        check_aws_credentials(
            settings.environment,
            settings.region,
            resolve=checks.resolve_credentials,
            alternative=credentials_hint,
        )
    if settings.account_id is not None and (aws or state_plan.uses_aws):
        check_account(settings, endpoint=endpoint, lookup=checks.lookup_account)
    backend = resolve_backend(
        settings,
        environ=environ,
        state_dir=paths.state_dir,
        endpoint=endpoint,
        lookup_account=checks.lookup_account,
    )
    for notice in backend.notices:
        print(notice, file=diagnostics, flush=True)
    if backend.location is not None and (backend.location.bucket or backend.location.key):
        checks.check_state(backend.location, settings)
    # A half-migrated backend lacks some stacks: a deploy would create their resources again.
    checks.check_migration(backend, endpoint)
    if read_only and backend.holds_no_stack():
        raise NothingDeployed(
            f"Nothing to show: no stack of {settings.environment} exists yet in "
            f"{backend.local_state_dir} (`invoke deploy --env {settings.environment}` creates "
            "them)."
        )
    # Imported here: the engine is only needed once one really runs.
    from orchestration.engine.cli_engine import (  # noqa: PLC0415
        AutomationEngine,
        pulumi_command_at,
    )

    bin_dir = checks.locate_cli(
        paths.tools_dir, lambda line: print(line, file=diagnostics, flush=True)
    )
    pulumi_command = pulumi_command_at(bin_dir)
    # Every check passed: now the local state folder and generated passphrase may be written.
    backend.prepare()
    config_dir = paths.stack_config_dir
    if backend.config_key is not None:
        config_dir = config_dir / BACKEND_CONFIG_DIR_NAME / backend.config_key
    engine = AutomationEngine(
        projects_dir=paths.projects_dir,
        config_dir=config_dir,
        backend=backend,
        pulumi_command=pulumi_command,
        pulumi_home=paths.pulumi_home,
        policy_packs=policy_packs,
        endpoint=endpoint,
    )
    return Orchestrator(
        engine,
        settings,
        out=out,
        ask=ask,
        max_workers=max_workers,
        endpoint=endpoint,
        parallel=parallel,
        census=census_reader(settings, endpoint) if aws else None,
    )


# Builds the orchestrator once the environment is known to exist (open_orchestrator's signature).
Opener = Callable[..., Orchestrator]


def run(
    environment: str,
    action: Action,
    *,
    project: str | None = None,
    endpoint: str | None = None,
    policy: bool | None = None,
    aws: bool = True,
    paths: Paths | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    ask: Ask | None = None,
    checks: Checks = Checks(),
    opener: Opener | None = None,
    parallel: int | None = None,
    check_project_knobs: bool = False,
    allow_http: bool | None = None,
    read_only: bool = False,
    credentials_hint: str | None = None,
) -> int:
    """Check, open the orchestrator, run `action`; the exit code.

    `check_project_knobs`: the operation runs programs (deploy, preview), so the knobs of the
    projects it selects are validated first (`orchestration.preflight`). `allow_http`: the
    operation deploys (None: it does not), so a production that would serve plain HTTP is
    refused (False) or deployed with a warning line (True) (`preflight.check_https`).

    `policy`: True runs the policy pack (deploy, preview), False skips it with a loud warning,
    None means the operation has none. `aws`: whether the operation reaches AWS (credential
    check). `parallel`: how many stacks read-only work handles at once (None: one per CPU).
    `read_only`: the operation writes nothing (outputs): with no stack to read it says so in
    one line and returns 0 (refused, exit 1, when `project` names one). `credentials_hint`: see
    open_orchestrator.
    Raises OrchestrationError (one message; nothing was run) for every refusal: unknown
    environment or project, backend/passphrase, credentials, CLI, preflight, guards.
    """
    if parallel is not None and parallel < 1:
        raise OrchestrationError(
            f"--parallel {parallel}: give at least 1 (1 works on the stacks one after another)"
        )
    paths = paths or Paths.for_repo()
    settings = load_environment(environment, project, paths.projects_dir)
    shell = os.environ if environ is None else environ
    check_engine_variables(shell)
    check_endpoint(endpoint)
    check_endpoint_variables(shell, endpoint)
    diagnostics = err if err is not None else sys.stderr
    if check_project_knobs or allow_http is not None:
        # Imported here: reading knobs loads the Pulumi SDK, which other runs do not need.
        from orchestration.preflight import check_https, check_knobs  # noqa: PLC0415

        selected = [project] if project else TOPOLOGY.names
        configs = check_knobs(settings, selected, paths.projects_dir)
        if allow_http is not None:
            check_https(settings, configs, allow_http=allow_http, warn=diagnostics)
    if policy is False:
        print(
            "WARNING: --no-policy: the security baseline policy pack is NOT enforced in this run.",
            file=diagnostics,
            flush=True,
        )
    # Looked up at call time so a test can replace open_orchestrator on the module.
    open_with = opener or open_orchestrator
    try:
        orchestrator = open_with(
            settings,
            paths=paths,
            endpoint=endpoint,
            policy=policy,
            aws=aws,
            environ=environ,
            out=out,
            err=diagnostics,
            ask=ask,
            checks=checks,
            parallel=DEFAULT_PARALLEL if parallel is None else parallel,
            read_only=read_only,
            credentials_hint=credentials_hint,
        )
    except NothingDeployed as nothing:
        if project is not None:
            raise
        print(nothing, file=diagnostics, flush=True)
        return 0
    result = action(orchestrator)
    return result if isinstance(result, int) else result.exit_code
