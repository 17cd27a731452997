"""The Pulumi CLI command lines of the stack operations: those the engine runs, and the one it
prints for a user to paste (`manual_command`).

Only arguments are built here; the engine adds `--stack` and `--event-log` when it runs them.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from orchestration.engine.interface import PendingCreate

# Commands that accept --config-file (and so get the generated stack file).
CONFIG_FILE_COMMANDS = frozenset({"up", "preview", "refresh", "destroy", "import"})
# Plain text output: no colours, no progress redraws.
DISPLAY = ("--color", "never", "--suppress-progress")
# The leading arguments of each operation; `operation_arguments()` adds the rest.
OPERATIONS: Mapping[str, tuple[str, ...]] = {
    "up": ("up", "--yes", "--skip-preview"),
    "preview": ("preview",),
    "refresh": ("refresh", "--yes", "--skip-preview"),
    "destroy": ("destroy", "--yes", "--skip-preview"),
    "drift": ("preview", "--refresh"),
}
# Operations that write an update to the stack's history (and so get a message).
RECORDED = frozenset({"up", "refresh", "destroy"})
# Operations the policy packs run with.
POLICY = frozenset({"up", "preview"})


def history_message(operation: str, environment: str) -> list[str]:
    """The `--message` an update records in the stack's history."""
    return ["--message", f"invoke ({operation}, {environment})"]


def operation_arguments(
    operation: str,
    environment: str,
    policy_packs: Sequence[Path],
    *,
    refresh: bool = False,
    clear_pending_creates: bool = False,
    config_file: Path | None = None,
) -> list[str]:
    """The CLI arguments of one stack operation (a key of `OPERATIONS`), before the stack."""
    arguments = list(OPERATIONS[operation])
    if refresh and operation in {"up", "preview"}:
        arguments.append("--refresh")
    if operation == "refresh" and clear_pending_creates:
        arguments.append("--clear-pending-creates")
    if operation in RECORDED:
        arguments += history_message(operation, environment)
    if operation in POLICY:
        for pack in policy_packs:
            arguments += ["--policy-pack", str(pack)]
    arguments += DISPLAY
    if config_file is not None:
        arguments += ["--config-file", str(config_file)]
    return arguments


def import_arguments(
    resource: PendingCreate, resource_id: str, environment: str, config_file: Path
) -> list[str]:
    """`pulumi import` of `resource_id` as the pending `resource`, before the stack."""
    arguments = ["import", resource.type, resource.name, resource_id]
    if resource.parent:
        arguments += ["--parent", f"parent={resource.parent}"]
    if resource.provider:
        # The state's reference is `<URN>::<id>`; the flag takes the URN.
        arguments += ["--provider", f"provider={resource.provider.rsplit('::', 1)[0]}"]
    return [
        *arguments,
        "--generate-code=false",
        "--yes",
        "--skip-preview",
        *history_message("import", environment),
        *DISPLAY,
        "--config-file",
        str(config_file),
    ]


def manual_command(
    arguments: str,
    *,
    env: Mapping[str, str],
    cli: str,
    project_dir: Path,
    stack: str,
    config_file: Path,
) -> str:
    """`[VARS=...] <cli> --cwd <project dir> <arguments> --stack <stack>`, ready to paste.

    `config_file` is added for the commands that take one (`CONFIG_FILE_COMMANDS`).
    """
    prefix = "".join(f"{key}={shlex.quote(value)} " for key, value in env.items())
    shown_cli = _display(Path(cli)) if os.path.isabs(cli) else cli
    if arguments.split(maxsplit=1)[0] in CONFIG_FILE_COMMANDS:
        arguments += f" --config-file {shlex.quote(_display(config_file))}"
    return (
        f"{prefix}{shlex.quote(shown_cli)} --cwd {shlex.quote(_display(project_dir))} "
        f"{arguments} --stack {shlex.quote(stack)}"
    )


def _display(path: Path) -> str:
    """`path` relative to the working directory when it is below it (shorter to paste)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
