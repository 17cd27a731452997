"""Where the stacks' state lives and how its secrets are encrypted, resolved once per environment.

The default backend is a local file backend inside the repo (`.pulumi-state/`, git-ignored); a
`PULUMI_BACKEND_URL` in the user's environment (S3, Pulumi Cloud, another directory) replaces it
unchanged. Every micro-stack of an environment uses the one passphrase secrets provider, so each
consumer can decrypt what its producers export. For the local default backend and a
non-production environment the passphrase is generated once into `.pulumi-state/passphrase`
(mode 600) so the first run needs no setup; everywhere else it must be given. Resolving only
checks; `Backend.prepare()` writes, once every other check before a run has passed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from orchestration.engine import OrchestrationError
from shared.references import organization_for
from shared.settings import EnvironmentSettings

BACKEND_URL_VAR = "PULUMI_BACKEND_URL"
# Names of variables, not secrets.
PASSPHRASE_VAR = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105
PASSPHRASE_FILE_VAR = "PULUMI_CONFIG_PASSPHRASE_FILE"  # noqa: S105
# Names the Pulumi Cloud organization for fully qualified stack names (see shared.references).
ORGANIZATION_VAR = "PULUMI_ORGANIZATION"

STATE_DIR_NAME = ".pulumi-state"
PASSPHRASE_FILE_NAME = "passphrase"  # noqa: S105 - a file name
SECRETS_PROVIDER = "passphrase"
_PRIVATE_DIR = 0o700


class BackendError(OrchestrationError):
    """The backend or the secrets passphrase cannot be used as configured."""


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

    def prepare(self) -> None:
        """Create what resolving only planned: the local state folder, the passphrase file.

        Called once every check before a run has passed, so a refused run writes nothing.
        """
        if self.local_state_dir is not None:
            _private_dir(self.local_state_dir)
        if self.generated_passphrase is not None:
            ensure_generated_passphrase(self.generated_passphrase.parent)

    def env_vars(self) -> dict[str, str]:
        """What the Pulumi CLI's environment needs on top of the user's."""
        return {BACKEND_URL_VAR: self.url, **self.secrets_env}

    def manual_env(self) -> dict[str, str]:
        """What a user's shell needs to run plain `pulumi` against these stacks."""
        url = {BACKEND_URL_VAR: self.url} if self.local_default else {}
        return {**url, **self.secrets_env}


def default_backend_url(state_dir: Path) -> str:
    """`file://<absolute state dir>`."""
    return state_dir.resolve().as_uri()


def resolve_backend(
    settings: EnvironmentSettings, *, environ: Mapping[str, str], state_dir: Path
) -> Backend:
    """The backend and passphrase for `settings.environment`; BackendError saying what to set.

    Only checks and reads: `Backend.prepare()` creates the state folder and the generated
    passphrase once the run is cleared to start.
    """
    default_url = default_backend_url(state_dir)
    url = environ.get(BACKEND_URL_VAR, "").strip() or default_url
    local_default = url == default_url
    try:
        organization = organization_for(url, environ.get(ORGANIZATION_VAR) or None)
    except ValueError as error:
        raise BackendError(str(error)) from error
    return Backend(
        environment=settings.environment,
        url=url,
        organization=organization,
        local_state_dir=state_dir if local_default else None,
        secrets_env=_passphrase_vars(settings, environ, state_dir, local_default=local_default),
    )


def _passphrase_vars(
    settings: EnvironmentSettings,
    environ: Mapping[str, str],
    state_dir: Path,
    *,
    local_default: bool,
) -> dict[str, str]:
    env = settings.environment
    if PASSPHRASE_VAR in environ:
        if settings.production and not environ[PASSPHRASE_VAR]:
            raise BackendError(
                f"{PASSPHRASE_VAR} is set but empty: {env} needs a real passphrase to encrypt "
                "its secrets"
            )
        return {}
    given_file = environ.get(PASSPHRASE_FILE_VAR, "").strip()
    if given_file:
        _readable_passphrase(Path(given_file), PASSPHRASE_FILE_VAR)
        return {}
    if settings.production or not local_default:
        where = "a production environment" if settings.production else "a shared backend"
        raise BackendError(
            f"{env} is {where}: set {PASSPHRASE_VAR} (or {PASSPHRASE_FILE_VAR}) to the "
            f"passphrase that encrypts its stacks' secrets, the same one for every project "
            f"(a passphrase is generated automatically only for non-production environments "
            f"on the local default backend)"
        )
    path = state_dir / PASSPHRASE_FILE_NAME
    if path.exists():
        _check_generated(path)
    return {PASSPHRASE_FILE_VAR: str(path)}


def ensure_generated_passphrase(state_dir: Path) -> Path:
    """`<state_dir>/passphrase`, created once with a random passphrase and mode 600."""
    _private_dir(state_dir)
    path = state_dir / PASSPHRASE_FILE_NAME
    if not path.exists():
        # mkstemp creates the file with mode 600; linking it into place means a concurrent run
        # either wins the link or reads the complete file the other run linked.
        descriptor, temporary = tempfile.mkstemp(prefix=".passphrase-", dir=state_dir)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(32) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    _check_generated(path)
    return path


def _check_generated(path: Path) -> None:
    _readable_passphrase(path, "the generated passphrase file")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise BackendError(
            f"{path} holds the secrets passphrase but other users can read it (mode "
            f"{mode:03o}): run `chmod 600 {path}`"
        )


def _readable_passphrase(path: Path, what: str) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BackendError(f"{what} {path} cannot be read: {error.strerror or error}") from error
    if not text.strip():
        raise BackendError(f"{what} {path} is empty: it must hold the secrets passphrase")


def _private_dir(path: Path) -> None:
    path.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
