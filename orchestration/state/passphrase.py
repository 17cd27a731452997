"""The secrets passphrase of the passphrase provider: given by the user, or generated once.

For the local default backend and a non-production environment the passphrase is generated once
into `.pulumi-state/passphrase` (mode 600) so the first run needs no setup; anywhere else it must
be given (`PULUMI_CONFIG_PASSPHRASE` or `PULUMI_CONFIG_PASSPHRASE_FILE`). A generated file that
disappears while stacks encrypted with it exist is never silently replaced.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from orchestration.engine.interface import BackendError
from shared.settings import EnvironmentSettings

# Names of variables, not secrets.
PASSPHRASE_VAR = "PULUMI_CONFIG_PASSPHRASE"  # noqa: S105
PASSPHRASE_FILE_VAR = "PULUMI_CONFIG_PASSPHRASE_FILE"  # noqa: S105
PASSPHRASE_FILE_NAME = "passphrase"  # noqa: S105 - a file name
_PRIVATE_DIR = 0o700


def passphrase_vars(
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
    elif stacks := local_stacks(state_dir):
        # A new passphrase could never decrypt these stacks' secrets: refuse to generate one.
        raise BackendError(
            f"{path} is missing, but stacks encrypted with the passphrase it held exist in "
            f"{state_dir} ({', '.join(stacks)}): restore the file from your backup, or set "
            f"{PASSPHRASE_VAR} to that passphrase. A new one cannot decrypt them; if it is lost "
            f"for good, their secrets are too (remove {state_dir} only to start over: the "
            "resources in the cloud are then no longer managed)"
        )
    return {PASSPHRASE_FILE_VAR: str(path)}


def local_stacks(state_dir: Path) -> list[str]:
    """`project/stack` of every checkpoint in the local file backend (project-scoped layout)."""
    stacks = (state_dir / ".pulumi" / "stacks").glob("*/*")
    # `<stack>.json`, or `<stack>.json.gz` with PULUMI_SELF_MANAGED_STATE_GZIP; not .bak/.attrs.
    return sorted(
        f"{path.parent.name}/{path.name.split('.')[0]}"
        for path in stacks
        if path.name.endswith((".json", ".json.gz"))
    )


def ensure_generated_passphrase(state_dir: Path) -> Path:
    """`<state_dir>/passphrase`, created once with a random passphrase and mode 600."""
    private_dir(state_dir)
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


def private_dir(path: Path) -> None:
    path.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)
