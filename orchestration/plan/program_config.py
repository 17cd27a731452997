"""A stack's config as the engine hands it to the program, read from the project's files.

The offline evaluation runs a program with the same config `pulumi up -s <env>` would give it:
the project-level values of `Pulumi.yaml` overlaid by the stack's `Pulumi.<env>.yaml`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shared.paths import PROJECTS_DIR
from shared.yaml_files import read_mapping

DISABLE_DEFAULT_PROVIDERS_KEY = "pulumi:disable-default-providers"


class StackConfigError(ValueError):
    """A project's Pulumi.yaml or Pulumi.<env>.yaml is missing or malformed."""


def stack_config(
    project: str,
    environment: str,
    *,
    projects_dir: Path = PROJECTS_DIR,
    skip_secrets: bool = False,
) -> dict[str, str]:
    """The config a stack's program receives: project-level values overlaid by the stack file.

    Keys are fully qualified (`<namespace>:<key>`) and values are strings, JSON for anything
    structured, as the engine passes them to a Python program. A secret cannot be decrypted
    here: StackConfigError, or with `skip_secrets` the key is left out.
    """
    project_dir = projects_dir / project
    project_file = read_mapping(project_dir / "Pulumi.yaml", error=StackConfigError)
    if project_file.get("name") != project:
        raise StackConfigError(
            f"{project_dir / 'Pulumi.yaml'}: name is {project_file.get('name')!r}, "
            f"expected {project!r}"
        )
    values: dict[str, Any] = {}
    for key, declaration in (project_file.get("config") or {}).items():
        full_key = _qualified(project, key)
        if isinstance(declaration, Mapping) and {"value", "default"} & set(declaration):
            values[full_key] = declaration.get("value", declaration.get("default"))
        elif not isinstance(declaration, Mapping) or ":" in key:
            values[full_key] = declaration
    stack_file = project_dir / f"Pulumi.{environment}.yaml"
    settings = read_mapping(stack_file, error=StackConfigError).get("config") or {}
    if not isinstance(settings, Mapping):
        raise StackConfigError(
            f"{stack_file}: config is {settings!r}, not a mapping of settings: write "
            f"`config:` and under it one `{project}:<setting>: <value>` line per setting"
        )
    for key, value in settings.items():
        if isinstance(value, Mapping) and "secure" in value:
            if skip_secrets:
                continue
            raise StackConfigError(
                f"{stack_file}: {key} is a secret; the offline evaluation cannot decrypt it"
            )
        values[_qualified(project, key)] = value
    return {key: _config_text(value) for key, value in values.items()}


def disabled_default_providers(config: Mapping[str, str]) -> frozenset[str]:
    """The packages whose default provider the stack config disables (`["aws"]`)."""
    raw = config.get(DISABLE_DEFAULT_PROVIDERS_KEY)
    if not raw:
        return frozenset()
    value = json.loads(raw)
    return frozenset(str(item) for item in value) if isinstance(value, list) else frozenset()


def _qualified(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _config_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
