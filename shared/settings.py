"""Environment-wide settings: one frozen dataclass per environment, read from the repo.

`shared/config/common.yaml` holds the values every environment shares (the AWS region among
them, so it is written exactly once); `shared/environments/<env>.yaml` holds what differs.
Adding an environment is adding one file there. Values are validated here, once, so a
Pulumi program, a task or a test never has to second-guess them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.limits import REGION_PATTERN
from shared.yaml_files import read_mapping

PACKAGE_DIR = Path(__file__).resolve().parent
COMMON_FILE = PACKAGE_DIR / "config" / "common.yaml"
ENVIRONMENTS_DIR = PACKAGE_DIR / "environments"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE_WORDS = frozenset({"true", "1", "yes"})
_FALSE_WORDS = frozenset({"false", "0", "no"})
_ENVIRONMENT_PATTERN = re.compile(r"^[a-z][a-z0-9]{0,15}$")
REQUIRED_KEYS = ("app", "region", "owner", "team", "production", "debug", "log_level")
# Where the environment's Pulumi state and secrets live (validated by
# orchestration.state.declaration);
# absent means the local default: `.pulumi-state/` and a generated passphrase.
OPTIONAL_KEYS = ("state_backend", "secrets_provider", "state_history_days", "account_id")
STATE_HISTORY_DAYS_MAX = 3650
_ACCOUNT_ID_PATTERN = re.compile(r"[0-9]{12}")


class SettingsError(ValueError):
    """Raised when an environment is unknown or its settings are invalid."""


@dataclass(frozen=True)
class EnvironmentSettings:
    """Everything environment-wide that the projects, tasks and tests agree on."""

    environment: str
    app: str
    region: str
    owner: str
    team: str
    production: bool
    debug: bool
    log_level: str
    # As declared (None: not declared); orchestration.state.declaration gives them their meaning.
    state_backend: str | None = None
    secrets_provider: str | None = None
    state_history_days: int | None = None
    # The AWS account the environment deploys to (12 digits); every task compares the caller's
    # with it, and the provider refuses any other (allowedAccountIds). None: not declared, so
    # not checked (development may run in whatever account the caller holds).
    account_id: str | None = None


# The one seam for settings that are not in the repo's files: the offline plan and the program
# tests evaluate a project's real __main__.py in-process, and a test may need it to see settings
# no YAML file holds (e.g. an app name with capitals). Empty unless `overridden_settings` is active.
_OVERRIDE: ContextVar[EnvironmentSettings | None] = ContextVar("settings_override", default=None)


@contextmanager
def overridden_settings(settings: EnvironmentSettings) -> Iterator[EnvironmentSettings]:
    """Within the block, `load_settings(settings.environment)` returns `settings` itself.

    Context-local (a ContextVar), so it reaches the program being evaluated in this context and
    nothing else; other environments are still read from the files.
    """
    token = _OVERRIDE.set(settings)
    try:
        yield settings
    finally:
        _OVERRIDE.reset(token)


def known_environments(environments_dir: Path = ENVIRONMENTS_DIR) -> tuple[str, ...]:
    """The environments that have a settings file, sorted."""
    return tuple(sorted(path.stem for path in environments_dir.glob("*.yaml")))


def load_settings(
    environment: str,
    *,
    common_file: Path = COMMON_FILE,
    environments_dir: Path = ENVIRONMENTS_DIR,
) -> EnvironmentSettings:
    """Read, merge and validate the settings of one environment."""
    override = _OVERRIDE.get()
    if override is not None and override.environment == environment:
        return override
    known = known_environments(environments_dir)
    if environment not in known:
        nearest = difflib.get_close_matches(environment, known, n=1)
        if nearest:
            raise SettingsError(
                f"unknown environment {environment!r}: did you mean {nearest[0]!r}? "
                f"(known environments: {', '.join(known)})"
            )
        # Only a valid name gets the file to create: a path-like one must not suggest a path.
        create = (
            f"add shared/environments/{environment}.yaml to create it"
            if _ENVIRONMENT_PATTERN.match(environment)
            else "a name is 1-16 lowercase letters or digits, starting with a letter"
        )
        raise SettingsError(
            f"unknown environment {environment!r}; known environments: {', '.join(known)} "
            f"({create})"
        )
    merged = {
        **read_mapping(common_file, error=SettingsError),
        **read_mapping(environments_dir / f"{environment}.yaml", error=SettingsError),
    }
    return parse_settings(environment, merged)


def parse_settings(environment: str, values: dict[str, Any]) -> EnvironmentSettings:
    """Validate raw values (as read from YAML) into settings; raise SettingsError on any fault."""
    where = f"environment {environment!r}"
    if not _ENVIRONMENT_PATTERN.match(environment):
        raise SettingsError(
            f"{where}: the name must be 1-16 lowercase letters or digits, starting with a letter"
        )
    missing = [key for key in REQUIRED_KEYS if key not in values]
    if missing:
        raise SettingsError(f"{where}: missing setting(s): {', '.join(missing)}")
    unknown = sorted(set(values) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise SettingsError(
            f"{where}: unknown setting(s): {', '.join(unknown)}; "
            f"allowed: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}"
        )
    production = parse_bool(values["production"], f"{where}: production")
    debug = parse_bool(values["debug"], f"{where}: debug")
    if production and debug:
        raise SettingsError(
            f"{where} is a production environment and must not run with debug: true; "
            "set debug: false"
        )
    account_id = (
        parse_account_id(values["account_id"], f"{where}: account_id")
        if "account_id" in values
        else None
    )
    if production and account_id is None:
        # AWS's advice is one account per environment: production must say which it is, so
        # credentials of another account cannot deploy production's stacks there.
        raise SettingsError(
            f"{where} is a production environment and must name its AWS account: add "
            'account_id: "<12 digits>" (the account its stacks deploy to)'
        )
    return EnvironmentSettings(
        environment=environment,
        app=_non_empty_text(values["app"], f"{where}: app"),
        region=parse_region(values["region"], f"{where}: region"),
        owner=_non_empty_text(values["owner"], f"{where}: owner"),
        team=_non_empty_text(values["team"], f"{where}: team"),
        production=production,
        debug=debug,
        log_level=parse_log_level(values["log_level"], f"{where}: log_level"),
        state_backend=_optional_text(values.get("state_backend"), f"{where}: state_backend"),
        secrets_provider=_optional_text(
            values.get("secrets_provider"), f"{where}: secrets_provider"
        ),
        state_history_days=_optional_days(
            values.get("state_history_days"), f"{where}: state_history_days"
        ),
        account_id=account_id,
    )


def parse_bool(value: object, what: str) -> bool:
    """Accept true/false/1/0/yes/no in any case (YAML booleans included); refuse the rest."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise SettingsError(f"{what}: {value!r} is not a boolean; use true/false, yes/no or 1/0")


def parse_log_level(value: object, what: str) -> str:
    """Accept a standard logging level name in any case; store it upper case."""
    level = str(value).strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(
            f"{what}: {value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}"
        )
    return level


def parse_region(value: object, what: str) -> str:
    """Accept an AWS region code such as us-west-2."""
    region = str(value).strip()
    if not REGION_PATTERN.match(region):
        raise SettingsError(f"{what}: {value!r} is not an AWS region code such as 'us-west-2'")
    return region


def parse_account_id(value: object, what: str) -> str:
    """Accept an AWS account id: exactly 12 digits, kept as text (leading zeros count)."""
    # An unquoted 123456789012 reads as an int (its digits are intact); a bool or an unquoted
    # 0-prefixed number (YAML octal: 010000000000 is 1073741824) fails the 12-digit test.
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if not _ACCOUNT_ID_PATTERN.fullmatch(text):
        raise SettingsError(
            f"{what}: {value!r} is not an AWS account id: write its 12 digits in quotes, such "
            'as account_id: "123456789012"'
        )
    return text


def _optional_text(value: object, what: str) -> str | None:
    return None if value is None else _non_empty_text(value, what)


def _optional_days(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{what}: {value!r} is not a whole number of days")
    if not 1 <= value <= STATE_HISTORY_DAYS_MAX:
        raise SettingsError(f"{what}: {value} must be between 1 and {STATE_HISTORY_DAYS_MAX} days")
    return value


def _non_empty_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{what}: must be a non-empty string, got {value!r}")
    return value.strip()
