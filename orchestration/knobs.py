"""Every selected project's knobs, checked before a deploy or preview runs anything.

Each program validates its knobs when it starts (`shared.project_config`), but in a deploy of
the whole environment compute starts only after security and storage were deployed. So the
orchestrator reads the same committed stack files first and refuses a bad value with the
program's own one-line message (a key the project does not read included), before any stack
is touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from orchestration.engine import OrchestrationError
from orchestration.plan.stack_config import StackConfigError, stack_config
from shared.project_config import (
    ConfigGetter,
    ProjectConfigError,
    compute_config,
    security_config,
    storage_config,
)
from shared.settings import EnvironmentSettings
from shared.topology import COMPUTE, SECURITY, STORAGE

READERS: Mapping[str, Callable[[EnvironmentSettings, ConfigGetter, list[str]], Any]] = {
    SECURITY: security_config,
    STORAGE: storage_config,
    COMPUTE: compute_config,
}


class KnobError(OrchestrationError):
    """A project's stack file holds a missing or invalid knob; nothing was run."""


def check_knobs(settings: EnvironmentSettings, projects: Iterable[str], projects_dir: Path) -> None:
    """KnobError with the first problem of `projects`' knobs for `settings.environment`."""
    for project in projects:
        try:
            config = stack_config(
                project, settings.environment, projects_dir=projects_dir, skip_secrets=True
            )
            keys = [key.split(":", 1)[1] for key in config if key.startswith(f"{project}:")]
            READERS[project](settings, _getter(project, config), keys)
        except (ProjectConfigError, StackConfigError) as error:
            raise KnobError(f"{error}. Nothing was run.") from None


def _getter(project: str, config: Mapping[str, str]) -> ConfigGetter:
    """Reads `<project>:<key>` as `pulumi.Config(project).get` does."""
    return lambda key: config.get(f"{project}:{key}")
