"""Reading one project's stack config, and saying what is wrong with it in one line.

`shared.project_config` declares each project's knobs; this module reads them from the stack
config (`pulumi.Config`, or a getter a caller supplies), refuses a key the project does not
read, and words every problem the same way: `[stack 'env': ]<project>:<key> <problem>[; set it
in projects/<project>/Pulumi.<env>.yaml, e.g. ...]`. A key of another namespace (`securty:...`,
another project's, `aws:region`) is refused too: only Pulumi's own ENGINE_KEYS may stand beside
the project's knobs.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from shared.settings import EnvironmentSettings

# Reads one key of the project's namespace; None when the stack config does not set it.
ConfigGetter = Callable[[str], str | None]
# Keys outside a project's namespace that its stack config may hold: Pulumi's own, as this
# repository's Pulumi.yaml files set them (each disables the default aws provider).
ENGINE_KEYS: Final = frozenset({"pulumi:disable-default-providers"})
_Config = TypeVar("_Config")


class ProjectConfigError(pulumi.RunError):
    """A project's stack config is missing a value or holds an invalid one.

    A RunError, so `pulumi up` prints the message alone, without a traceback.
    """


class Reader:
    """Typed reads of one project's stack config, each failing with a ProjectConfigError."""

    def __init__(self, project: str, settings: EnvironmentSettings, get: ConfigGetter) -> None:
        self.project = project
        self.settings = settings
        self.get = get

    def string(self, key: str) -> str | None:
        raw = self.get(key)
        return None if raw is None else raw.strip()

    def integer(self, key: str) -> int | None:
        raw = self.get(key)
        if raw is None:
            return None
        try:
            return int(raw.strip())
        except ValueError:
            raise config_error(
                self.project, key, f"{raw!r} is not a whole number", self.settings
            ) from None

    def string_list(self, key: str, *, required: bool = False) -> tuple[str, ...] | None:
        raw = self.get(key)
        if raw is None:
            if required:
                raise config_error(
                    self.project, key, "is not set", self.settings, '["203.0.113.0/24"]'
                )
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise config_error(
                self.project, key, f"{raw!r} is not a list of strings", self.settings
            )
        return tuple(item.strip() for item in value)


def stack_config_keys(project: str) -> tuple[str, ...]:
    """The keys the running program's stack config sets, as `project_keys` gives them."""
    # The engine hands a program its config through the runtime's map or, for a program it
    # starts itself, the PULUMI_CONFIG variable; `pulumi.Config` reads both the same way.
    return project_keys(project, {*CONFIG.get(), *get_config_env()})


def project_keys(project: str, names: Iterable[str]) -> tuple[str, ...]:
    """Fully qualified config keys as `check_known_keys` takes them.

    The project's own without `<project>:`, any other namespace's in full (so it is refused),
    Pulumi's own ENGINE_KEYS left out.
    """
    prefix = f"{project}:"
    return tuple(sorted(name.removeprefix(prefix) for name in names if name not in ENGINE_KEYS))


def check_known_keys(
    project: str, present: Iterable[str], known: Iterable[str], settings: EnvironmentSettings
) -> None:
    """Refuse a key the project does not read (a typo would otherwise silently keep a default).

    `present` holds the project's keys without `<project>:` and others in full (`project_keys`).
    """
    known = tuple(known)
    unknown = sorted(set(present) - set(known))
    if not unknown:
        return
    key = unknown[0]
    if ":" in key:
        problem = _foreign_key(project, key, known)
    else:
        nearest = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {project}:{nearest[0]}?" if nearest else "."
        problem = f"{project}:{key} is not a setting of the {project} project{hint}"
    raise ProjectConfigError(
        f"stack {settings.environment!r}: {problem} Known settings: "
        f"{', '.join(known) or 'none'}. Fix it in "
        f"projects/{project}/Pulumi.{settings.environment}.yaml."
    )


def _foreign_key(project: str, key: str, known: tuple[str, ...]) -> str:
    """What is wrong with `key`, a key outside `project`'s namespace, in its stack config."""
    if key == "aws:region":
        return (
            "aws:region is refused: the region lives in shared/config/common.yaml only (every "
            "resource uses the explicit provider of program/provider.py, made from it)."
        )
    if key.startswith("aws:"):
        return (
            f"{key} is refused: no resource uses the default aws provider, so nothing reads it "
            "(the explicit provider of program/provider.py is made from shared/config)."
        )
    namespace, _, name = key.partition(":")
    if namespace == "pulumi":
        nearest = difflib.get_close_matches(key, sorted(ENGINE_KEYS), n=1)
    elif difflib.get_close_matches(namespace, [project]):
        # A misspelt namespace: the setting meant is the project's own (`securty:` -> `security:`).
        nearest = [f"{project}:{found}" for found in difflib.get_close_matches(name, known, n=1)]
    else:
        nearest = []  # another project's or tool's key: no knob of this project is meant
    hint = f"; did you mean {nearest[0]}?" if nearest else "."
    return (
        f"{key} is not read by the {project} project: its stack files hold only "
        f"{project}:<setting> keys{hint}"
    )


def config_reader(
    project: str,
    settings: EnvironmentSettings,
    get: ConfigGetter | None,
    keys: Iterable[str] | None,
    known: Iterable[str],
) -> Reader:
    if get is None:
        get = pulumi.Config(project).get
        if keys is None:
            keys = stack_config_keys(project)
    # A caller that supplies its own getter and no keys vouches for the keys itself (tests).
    if keys is not None:
        check_known_keys(project, keys, known, settings)
    return Reader(project, settings, get)


def build_config(
    cls: type[_Config], values: dict[str, Any], settings: EnvironmentSettings
) -> _Config:
    try:
        return cls(**values)
    except ProjectConfigError as error:
        # Name the stack: the dataclass itself does not know which environment it is for.
        raise ProjectConfigError(f"stack {settings.environment!r}: {error}") from None


def check_range(project: str, key: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise config_error(project, key, f"{value!r} is outside {low}..{high}")


def config_error(
    project: str,
    key: str,
    problem: str,
    settings: EnvironmentSettings | None = None,
    example: str | None = None,
) -> ProjectConfigError:
    """`[stack 'env': ]<project>:<key> <problem>[; set it in ... e.g. <key>: <example>]`."""
    where = f"stack {settings.environment!r}: " if settings else ""
    message = f"{where}{project}:{key} {problem}"
    if example is not None:
        stack = settings.environment if settings else "<environment>"
        message += (
            f"; set it in projects/{project}/Pulumi.{stack}.yaml, e.g. `{project}:{key}: {example}`"
        )
    return ProjectConfigError(message)
