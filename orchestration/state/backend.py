"""Where the stacks' state lives and how its secrets are encrypted, resolved once per environment.

The environment file declares both (`orchestration.state.declaration`: `state_backend`,
`secrets_provider`);
without a declaration the state is a local file backend inside the repo (`.pulumi-state/`,
git-ignored) and secrets use a passphrase. `PULUMI_BACKEND_URL` still overrides the declared
backend (used unchanged) and `WEBAPP_SECRETS_PROVIDER` the declared secrets provider; the run
says so. Every micro-stack of an environment uses the one secrets provider, so each consumer can
decrypt what its producers export. For the local default backend and a non-production
environment the passphrase is generated once into `.pulumi-state/passphrase` (mode 600) so the
first run needs no setup; a passphrase anywhere else must be given. Resolving only checks (and,
for the `s3` short form of an environment that declares no account_id, asks AWS for the
caller's account id); `Backend.prepare()` writes, once every other check before a run has
passed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from orchestration.engine.interface import BackendError
from orchestration.state.declaration import (
    ENVIRONMENT_FILE,
    PASSPHRASE,
    BackendKind,
    SecretsKind,
    StateDeclaration,
    StateDeclarationError,
    StateLocation,
    declared_state,
    parse_secrets_provider,
    resolve_secrets,
    resolve_state,
)
from orchestration.state.passphrase import (
    PASSPHRASE_FILE_VAR,
    ensure_generated_passphrase,
    local_stacks,
    passphrase_vars,
    private_dir,
)
from shared.emulator import emulator_credentials
from shared.references import organization_for
from shared.settings import EnvironmentSettings

BACKEND_URL_VAR = "PULUMI_BACKEND_URL"
# The backend for environments whose file declares none (CI sets it from a repository variable):
# unlike PULUMI_BACKEND_URL it never overrides a declaration.
UNDECLARED_BACKEND_VAR = "WEBAPP_UNDECLARED_BACKEND_URL"
# Set on GitHub's runners: their disk is gone after the job, so local state would be too.
GITHUB_ACTIONS_VAR = "GITHUB_ACTIONS"
# Overrides the declared secrets provider (Pulumi itself has no such variable).
SECRETS_PROVIDER_VAR = "WEBAPP_SECRETS_PROVIDER"
# A clone that never created a stack has no secrets configuration for it in its stack file:
# the Pulumi CLI then takes the one recorded in the stack's state instead of inventing one.
FALLBACK_SECRETS_VAR = "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"
# Emulators return no response checksums; the AWS SDK in the CLI would warn on every read.
CHECKSUM_VALIDATION_VAR = "AWS_RESPONSE_CHECKSUM_VALIDATION"
# Names of variables, not secrets.
# Names the Pulumi Cloud organization for fully qualified stack names (see shared.references).
ORGANIZATION_VAR = "PULUMI_ORGANIZATION"

STATE_DIR_NAME = ".pulumi-state"
_CONFIG_KEY_LENGTH = 12

# (region, emulator endpoint or None) -> the AWS account id of the caller's credentials.
AccountLookup = Callable[[str, str | None], str]


@dataclass(frozen=True)
class Backend:
    """How the engine reaches one environment's stacks."""

    environment: str
    url: str
    organization: str
    # The repo's own state folder when it holds the state (not a URL the user chose).
    local_state_dir: Path | None = None
    # Passphrase variables the user did not set (the generated passphrase file).
    secrets_env: Mapping[str, str] = field(default_factory=dict)
    # "passphrase" or an awskms:// URL: what new stacks are created with.
    secrets_provider: str = PASSPHRASE
    # The declared bucket and key in AWS (None where an override replaced the declaration):
    # what the preflight checks and `invoke bootstrap` creates.
    location: StateLocation | None = None
    # True when the URL came from PULUMI_BACKEND_URL (the user's shell already has it).
    url_from_environment: bool = False
    # The state lives at an AWS emulator (`--endpoint`): the CLI gets its dummy credentials.
    emulated: bool = False
    # Lines the run prints first (overrides in effect).
    notices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "secrets_env", MappingProxyType(dict(self.secrets_env)))

    @property
    def local_default(self) -> bool:
        """Whether the state is the repo's `.pulumi-state/` (this machine's own)."""
        return self.local_state_dir is not None

    @property
    def generated_passphrase(self) -> Path | None:
        """The passphrase file this backend generates (None: the user gives one)."""
        given = self.secrets_env.get(PASSPHRASE_FILE_VAR)
        return Path(given) if given else None

    def holds_no_stack(self) -> bool:
        """Whether this is the local default backend and it holds no stack at all yet.

        A read-only run then has nothing to read, and must not create the state folder or the
        generated passphrase to find that out.
        """
        return self.local_state_dir is not None and not local_stacks(self.local_state_dir)

    def prepare(self) -> None:
        """Create what resolving only planned: the local state folder, the passphrase file.

        Called once every check before a run has passed, so a refused run writes nothing.
        """
        if self.local_state_dir is not None:
            private_dir(self.local_state_dir)
        if self.generated_passphrase is not None:
            ensure_generated_passphrase(self.generated_passphrase.parent)

    @property
    def config_key(self) -> str | None:
        """None for the local default; else a short key naming this backend (for generated files).

        Each backend keeps its own generated stack files: a stack's secrets configuration on one
        backend means nothing on another.
        """
        if self.local_default:
            return None
        return hashlib.sha256(self.url.encode()).hexdigest()[:_CONFIG_KEY_LENGTH]

    def env_vars(self) -> dict[str, str]:
        """What the Pulumi CLI's environment needs on top of the user's."""
        credentials = emulator_credentials()
        emulator = (
            {
                "AWS_ACCESS_KEY_ID": credentials.access_key,
                "AWS_SECRET_ACCESS_KEY": credentials.secret_key,
                **({"AWS_SESSION_TOKEN": credentials.token} if credentials.token else {}),
                CHECKSUM_VALIDATION_VAR: "when_required",
            }
            if self.emulated
            else {}
        )
        return {
            BACKEND_URL_VAR: self.url,
            FALLBACK_SECRETS_VAR: "true",
            **self.secrets_env,
            **emulator,
        }

    def manual_env(self) -> dict[str, str]:
        """What a user's shell needs to run plain `pulumi` against these stacks."""
        url = {} if self.url_from_environment else {BACKEND_URL_VAR: self.url}
        fallback = {} if self.local_default else {FALLBACK_SECRETS_VAR: "true"}
        return {**url, **fallback, **self.secrets_env}


def default_backend_url(state_dir: Path) -> str:
    """`file://<absolute state dir>`."""
    return state_dir.resolve().as_uri()


@dataclass(frozen=True)
class StatePlan:
    """The declaration plus the overrides in the user's environment, checked (no AWS yet)."""

    declaration: StateDeclaration
    url_override: str | None = None
    # The override of the secrets provider, checked like a declaration.
    secrets_override: tuple[SecretsKind, str | None] | None = None
    # The variable `url_override` came from.
    url_source: str = BACKEND_URL_VAR

    @property
    def uses_aws(self) -> bool:
        """Whether the run reaches S3 or KMS for its state (so AWS credentials must resolve)."""
        if self.url_override is not None:
            backend_aws = self.url_override.startswith("s3://")
        else:
            backend_aws = self.declaration.backend in {BackendKind.S3_DERIVED, BackendKind.S3_URL}
        kind = self.secrets_override[0] if self.secrets_override else self.declaration.secrets
        return backend_aws or kind is not SecretsKind.PASSPHRASE

    @property
    def needs_account(self) -> bool:
        """Whether the derived bucket name (and so the AWS account id) is needed."""
        return self.url_override is None and self.declaration.needs_account


def plan_state(settings: EnvironmentSettings, environ: Mapping[str, str]) -> StatePlan:
    """Check the environment's declaration and the overrides; BackendError saying what is wrong."""
    secrets = environ.get(SECRETS_PROVIDER_VAR, "").strip()
    try:
        declaration = declared_state(settings)
        override = (
            parse_secrets_provider(secrets, settings, SECRETS_PROVIDER_VAR) if secrets else None
        )
    except StateDeclarationError as error:
        raise BackendError(str(error)) from error
    url_override = environ.get(BACKEND_URL_VAR, "").strip() or None
    source = BACKEND_URL_VAR
    if url_override is None and declaration.backend is BackendKind.LOCAL:
        url_override = environ.get(UNDECLARED_BACKEND_VAR, "").strip() or None
        source = UNDECLARED_BACKEND_VAR
    return StatePlan(declaration, url_override, override, url_source=source)


def resolve_backend(
    settings: EnvironmentSettings,
    *,
    environ: Mapping[str, str],
    state_dir: Path,
    endpoint: str | None = None,
    lookup_account: AccountLookup | None = None,
) -> Backend:
    """The backend and secrets provider for `settings.environment`; BackendError saying what to set.

    Only checks and reads (and asks AWS for the account id when the `s3` short form needs it
    and the environment declares none):
    `Backend.prepare()` creates the state folder and the generated passphrase once the run is
    cleared to start.
    """
    plan = plan_state(settings, environ)
    account_id = None
    if plan.needs_account:
        # The declared account names the bucket (the caller was checked to be in it first:
        # orchestration.state.account); an environment declaring none uses the caller's.
        account_id = settings.account_id
        if account_id is None:
            if lookup_account is None:
                raise BackendError(
                    f"{settings.environment}: the derived state bucket needs the AWS account id"
                )
            account_id = lookup_account(settings.region, endpoint)
    declaration = plan.declaration
    if plan.url_override is not None:
        # The declared backend is not used, so it is neither resolved nor checked.
        declaration = dataclasses.replace(declaration, backend=BackendKind.LOCAL, backend_url=None)
    declared = resolve_state(declaration, settings, account_id=account_id, endpoint=endpoint)
    provider, key = declared.secrets_provider, declared.key
    if plan.secrets_override is not None:
        kind, url = plan.secrets_override
        provider, _ = resolve_secrets(kind, url, settings, endpoint=endpoint)
        key = None
    default_url = default_backend_url(state_dir)
    url = plan.url_override or declared.backend_url or default_url
    local_default = url == default_url
    if local_default and environ.get(GITHUB_ACTIONS_VAR) == "true":
        raise BackendError(
            f"{settings.environment} would keep its state on this GitHub Actions runner, which "
            f"is discarded after the job: declare state_backend in "
            f"{ENVIRONMENT_FILE.format(environment=settings.environment)}, or set the "
            f"repository variable the workflows pass as {UNDECLARED_BACKEND_VAR}"
        )
    # What the preflight checks and `invoke bootstrap` creates: the declared parts only.
    location = StateLocation(
        backend_url=None if plan.url_override else declared.backend_url,
        secrets_provider=provider,
        bucket=None if plan.url_override else declared.bucket,
        key=key,
    )
    try:
        organization = organization_for(url, environ.get(ORGANIZATION_VAR) or None)
    except ValueError as error:
        raise BackendError(str(error)) from error
    secrets_env = (
        passphrase_vars(settings, environ, state_dir, local_default=local_default)
        if provider == PASSPHRASE
        else {}
    )
    return Backend(
        environment=settings.environment,
        url=url,
        organization=organization,
        local_state_dir=state_dir if local_default else None,
        secrets_env=secrets_env,
        secrets_provider=provider,
        location=location,
        url_from_environment=plan.url_override is not None,
        emulated=endpoint is not None and _at_endpoint(location, endpoint),
        notices=_override_notices(
            settings,
            plan,
            backend=(url, plan.declaration.backend_url or default_url),
            secrets=(provider, declared.secrets_provider),
        ),
    )


def local_backend(
    settings: EnvironmentSettings, *, environ: Mapping[str, str], state_dir: Path
) -> Backend:
    """The local default backend whatever the environment declares: what `state migrate` reads.

    Its passphrase is the one its stacks were made with: the generated file for a
    non-production environment, else the one the user gives.
    """
    return Backend(
        environment=settings.environment,
        url=default_backend_url(state_dir),
        organization=organization_for(default_backend_url(state_dir)),
        local_state_dir=state_dir,
        secrets_env=passphrase_vars(settings, environ, state_dir, local_default=True),
    )


def _at_endpoint(location: StateLocation, endpoint: str) -> bool:
    found = [part.endpoint for part in (location.bucket, location.key) if part and part.endpoint]
    return any(url.rstrip("/") == endpoint.rstrip("/") for url in found)


def _override_notices(
    settings: EnvironmentSettings,
    plan: StatePlan,
    *,
    backend: tuple[str, str],
    secrets: tuple[str, str],
) -> tuple[str, ...]:
    """What the overrides changed: (used, declared) backend URL and secrets provider."""
    where = ENVIRONMENT_FILE.format(environment=settings.environment)
    declared = plan.declaration
    notices = []
    derived = declared.backend is BackendKind.S3_DERIVED
    if plan.url_override and plan.url_source == UNDECLARED_BACKEND_VAR:
        notices.append(
            f"NOTE: {where} declares no state backend: using {UNDECLARED_BACKEND_VAR} "
            f"({backend[0]})"
        )
    elif plan.url_override and (derived or backend[0] != backend[1]):
        notices.append(
            f"NOTE: {BACKEND_URL_VAR} overrides the state backend declared in {where} "
            f"({declared.backend_url or declared.backend.value}): using {backend[0]}"
        )
    if plan.secrets_override and secrets[0] != secrets[1]:
        notices.append(
            f"NOTE: {SECRETS_PROVIDER_VAR} overrides the secrets provider declared in {where} "
            f"({declared.secrets_url or declared.secrets.value}): using {secrets[0]}"
        )
    return tuple(notices)
