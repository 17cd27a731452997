"""Each project's knobs, found where the project keeps them: `projects/<project>/config.py`.

Environment-wide values live in `shared.settings`; what only one project cares about (the key's
deletion window, lifecycle periods, instance type and count...) lives in that project's
`Pulumi.<env>.yaml` under its own namespace, e.g. `compute:instanceCount`, and is declared and
validated by the project's own `config.py` (its team owns it, no shared registry to edit): a
frozen dataclass, `KEYS` (the keys it reads) and `read_config(settings, get=None, keys=None)`.
A project without a `config.py` reads no knobs. The modules are looked up by name, so this
package never imports a project.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Protocol, cast

from shared.config_reading import ConfigGetter, ProjectConfigError, check_known_keys
from shared.settings import EnvironmentSettings

__all__ = ["ConfigGetter", "ProjectConfigError", "config_keys", "read_project_config"]


class _ProjectConfigModule(Protocol):
    KEYS: tuple[str, ...]
    read_config: Callable[[EnvironmentSettings, ConfigGetter | None, Iterable[str] | None], object]


def _module(project: str) -> _ProjectConfigModule | None:
    name = f"projects.{project}.config"
    try:
        return cast(_ProjectConfigModule, importlib.import_module(name))
    except ModuleNotFoundError as error:
        if error.name != name:
            raise
        return None


def config_keys(project: str) -> tuple[str, ...]:
    """The keys `<project>:<key>` the project reads (none without a config module)."""
    module = _module(project)
    return () if module is None else tuple(module.KEYS)


def read_project_config(
    project: str, settings: EnvironmentSettings, get: ConfigGetter, keys: Iterable[str]
) -> object:
    """The project's knobs read through `get`; ProjectConfigError for a missing or bad one."""
    module = _module(project)
    if module is None:
        check_known_keys(project, keys, (), settings)
        return None
    return module.read_config(settings, get, keys)
