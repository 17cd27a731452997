"""The engine interface implemented with Pulumi's Automation API.

Each project directory (`projects/<project>`) is used as a local program through a
`LocalWorkspace`, so plain `pulumi` in that directory, with the same backend and passphrase,
sees the same project and stacks as the tasks. Everything the engine depends on is passed in
(projects directory, backend, CLI, PULUMI_HOME, policy packs, emulator endpoint), so a test can
aim it at another repo, state folder or CLI.

Selecting a stack rewrites a per-project workspace file under PULUMI_HOME, so operations on one
project are serialised here as well as in the runner.

The committed stack files are only read: the engine works on generated copies
(`orchestration.stack_config`), passed as `--config-file`. New stacks are initialised from the
generated copy's directory, and `stack history` runs without `--show-secrets`: the two CLI calls
that would otherwise write the secrets salt into the committed file.

The five operations differ only in data (which `Stack` method, whether a missing stack is
created, where the result keeps its changes): the `OPERATIONS` table. Automation API errors
become the engine interface's errors in `automation_errors`.
"""

from __future__ import annotations

import importlib.metadata
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from operator import attrgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pulumi import automation as auto
from semver import VersionInfo

from orchestration.automation_errors import map_error
from orchestration.backend import Backend
from orchestration.engine import (
    EngineError,
    EngineFailure,
    EngineUnavailable,
    OperationResult,
    OutputSink,
)
from orchestration.stack_config import write_stack_config
from orchestration.toolchain.pulumi_cli import SKIP_UPDATE_CHECK_VAR
from shared.emulator import EMULATOR_ENDPOINT_ENV
from shared.references import qualified_stack_name

# Commands that accept --config-file (and so get the generated stack file).
CONFIG_FILE_COMMANDS = frozenset({"up", "preview", "refresh", "destroy"})
SECRET_MASK = "[secret]"  # noqa: S105 - what a masked output shows
T = TypeVar("T")


def sdk_version() -> VersionInfo:
    """The installed Pulumi Python SDK's version: the CLI must be at least this."""
    return VersionInfo.parse(importlib.metadata.version("pulumi"))


def pulumi_command_at(bin_dir: Path) -> auto.PulumiCommand:
    """The CLI in `bin_dir` (`<root>/bin/pulumi`), checked to match the SDK's version."""
    binary = bin_dir / "pulumi"
    if bin_dir.name != "bin" or not binary.is_file():
        raise EngineUnavailable(
            f"no Pulumi CLI at {binary} (expected <root>/bin/pulumi): run `invoke setup`"
        )
    try:
        return auto.PulumiCommand(root=str(bin_dir.parent), version=sdk_version())
    except auto.InvalidVersionError as error:
        raise EngineUnavailable(
            f"the Pulumi CLI at {binary} does not match the SDK {sdk_version()}: {error}; "
            "run `invoke setup` to install the matching version"
        ) from error
    except (OSError, subprocess.CalledProcessError) as error:
        raise EngineUnavailable(f"the Pulumi CLI at {binary} does not run: {error}") from error


@dataclass(frozen=True)
class StackOperation:
    """How one engine operation maps onto the Automation API's `Stack`."""

    # The Stack method that runs it.
    method: str
    # Whether a missing stack is created first (else StackNotFound).
    creates_stack: bool
    # Where the result holds the resource changes (update summaries vs. preview summaries).
    changes: Callable[[Any], Mapping[Any, int] | None]
    # Whether the policy packs run with it.
    policy: bool = False
    # Whether it writes an update to the stack's history (and so gets a message).
    recorded: bool = False
    # Whether it refreshes the state first (a drift check).
    refresh: bool = False
    # Whether its result carries the stack outputs.
    outputs: bool = False


_UPDATE_CHANGES = attrgetter("summary.resource_changes")
_PREVIEW_CHANGES = attrgetter("change_summary")
# The engine operations, by the name `options()` and the summaries use.
OPERATIONS: Mapping[str, StackOperation] = MappingProxyType(
    {
        "up": StackOperation(
            "up",
            creates_stack=True,
            changes=_UPDATE_CHANGES,
            policy=True,
            recorded=True,
            outputs=True,
        ),
        "preview": StackOperation(
            "preview", creates_stack=True, changes=_PREVIEW_CHANGES, policy=True
        ),
        "refresh": StackOperation(
            "refresh", creates_stack=False, changes=_UPDATE_CHANGES, recorded=True
        ),
        "destroy": StackOperation(
            "destroy", creates_stack=False, changes=_UPDATE_CHANGES, recorded=True
        ),
        "drift": StackOperation(
            "preview", creates_stack=False, changes=_PREVIEW_CHANGES, refresh=True
        ),
    }
)


class AutomationEngine:
    """`Engine` over `pulumi.automation`, for the environment of one resolved backend."""

    def __init__(
        self,
        *,
        projects_dir: Path,
        config_dir: Path,
        backend: Backend,
        pulumi_command: auto.PulumiCommand,
        pulumi_home: Path | None = None,
        policy_packs: Sequence[Path] = (),
        endpoint: str | None = None,
    ) -> None:
        self._projects_dir = projects_dir
        self._config_dir = config_dir
        self._backend = backend
        self._command = pulumi_command
        self._pulumi_home = pulumi_home
        self._policy_packs = tuple(policy_packs)
        self._endpoint = endpoint
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ---- naming -----------------------------------------------------------------------------

    @property
    def environment(self) -> str:
        """The backend's environment: the stack name of every project."""
        return self._backend.environment

    def stack_name(self, project: str) -> str:
        """`<organization>/<project>/<environment>` on this backend."""
        return qualified_stack_name(self._backend.organization, project, self.environment)

    def manual_command(self, project: str, arguments: str) -> str:
        """`[VARS=...] <pulumi> --cwd <project dir> <arguments> --stack <name>`, ready to paste."""
        env = dict(self._backend.manual_env())
        if self._pulumi_home:
            env["PULUMI_HOME"] = str(self._pulumi_home)
        if self._endpoint:
            env[EMULATOR_ENDPOINT_ENV] = self._endpoint
        prefix = "".join(f"{key}={shlex.quote(value)} " for key, value in env.items())
        cli = self._command.command
        shown_cli = _display(Path(cli)) if os.path.isabs(cli) else cli
        directory = _display(self._project_dir(project))
        stack = self.stack_name(project)
        if arguments.split(maxsplit=1)[0] in CONFIG_FILE_COMMANDS:
            config = _display(self.stack_config_file(project))
            arguments += f" --config-file {shlex.quote(config)}"
        return (
            f"{prefix}{shlex.quote(shown_cli)} --cwd {shlex.quote(directory)} {arguments} "
            f"--stack {shlex.quote(stack)}"
        )

    def stack_config_file(self, project: str) -> Path:
        """The generated stack file the engine passes as --config-file."""
        return self._config_dir / project / f"Pulumi.{self.environment}.yaml"

    def env_vars(self) -> dict[str, str]:
        """The variables every Pulumi CLI call gets on top of the user's environment."""
        return {
            **self._backend.env_vars(),
            SKIP_UPDATE_CHECK_VAR: "true",
            # Empty unless asked for: a value left in the user's shell must not redirect a deploy.
            EMULATOR_ENDPOINT_ENV: self._endpoint or "",
        }

    def options(
        self, operation: str, on_output: OutputSink, config_file: Path | None = None
    ) -> dict[str, Any]:
        """Keyword arguments for the Stack method of `operation` (a key of OPERATIONS)."""
        spec = OPERATIONS[operation]
        options: dict[str, Any] = {
            "on_output": on_output,
            "on_error": on_output,
            "color": "never",
            "suppress_progress": True,
        }
        if config_file is not None:
            options["config_file"] = str(config_file)
        if spec.policy and self._policy_packs:
            options["policy_packs"] = [str(path) for path in self._policy_packs]
        if spec.recorded:
            options["message"] = f"invoke ({operation}, {self.environment})"
            # The summary is read with `stack history`, which writes the salt into the
            # committed stack file when it shows secrets.
            options["show_secrets"] = False
        if spec.refresh:
            options["refresh"] = True
        return options

    # ---- reads ------------------------------------------------------------------------------

    def stack_exists(self, project: str) -> bool:
        """Whether the backend lists the stack for this project."""
        name = self.stack_name(project)
        accepted = {name, self.environment, f"{self._backend.organization}/{self.environment}"}

        def action() -> bool:
            summaries = self._workspace(project).list_stacks()
            return any(summary.name in accepted for summary in summaries)

        return self._guarded(project, action)

    def outputs(self, project: str) -> Mapping[str, Any]:
        """The stack's outputs, secrets masked."""
        name = self.stack_name(project)
        return self._guarded(
            project, lambda: _plain_outputs(self._workspace(project).stack_outputs(name))
        )

    def resource_count(self, project: str) -> int:
        """Resources in the stack's state (0 without a stack)."""
        return len(self._resources(project))

    def protected_resources(self, project: str) -> tuple[str, ...]:
        """URNs marked `protect` in the stack's state."""
        return tuple(
            str(resource.get("urn"))
            for resource in self._resources(project)
            if resource.get("protect")
        )

    # ---- operations (OPERATIONS says what each one runs) ------------------------------------

    def up(self, project: str, on_output: OutputSink) -> OperationResult:
        """`pulumi up` (creating the stack if needed)."""
        return self._operate("up", project, on_output)

    def preview(self, project: str, on_output: OutputSink) -> OperationResult:
        """`pulumi preview` (creating an empty stack if needed)."""
        return self._operate("preview", project, on_output)

    def refresh(self, project: str, on_output: OutputSink) -> OperationResult:
        """`pulumi refresh` of an existing stack."""
        return self._operate("refresh", project, on_output)

    def destroy(self, project: str, on_output: OutputSink) -> OperationResult:
        """`pulumi destroy` of an existing stack (the stack and its history stay)."""
        return self._operate("destroy", project, on_output)

    def drift_preview(self, project: str, on_output: OutputSink) -> OperationResult:
        """`pulumi preview --refresh` of an existing stack."""
        return self._operate("drift", project, on_output)

    def cancel(self, project: str) -> None:
        """`pulumi cancel`: release the lock of an update that no longer runs."""

        def action() -> None:
            stack, _ = self._stack(project, create=False)
            stack.cancel()

        self._guarded(project, action)

    # ---- plumbing ---------------------------------------------------------------------------

    def _operate(self, operation: str, project: str, on_output: OutputSink) -> OperationResult:
        spec = OPERATIONS[operation]

        def action() -> OperationResult:
            stack, config = self._stack(project, create=spec.creates_stack)
            result = getattr(stack, spec.method)(**self.options(operation, on_output, config))
            return OperationResult(
                changes=_changes(spec.changes(result)),
                outputs=_plain_outputs(result.outputs) if spec.outputs else {},
            )

        return self._guarded(project, action)

    def _project_dir(self, project: str) -> Path:
        return self._projects_dir / project

    def _workspace(self, project: str, directory: Path | None = None) -> auto.LocalWorkspace:
        project_dir = self._project_dir(project)
        if not (project_dir / "Pulumi.yaml").is_file():
            raise EngineFailure(f"{project_dir} is not a Pulumi project (no Pulumi.yaml)")
        return auto.LocalWorkspace(
            work_dir=str(directory or project_dir),
            pulumi_home=str(self._pulumi_home) if self._pulumi_home else None,
            env_vars=self.env_vars(),
            secrets_provider=self._backend.secrets_provider,
            pulumi_command=self._command,
        )

    def _stack(self, project: str, *, create: bool) -> tuple[auto.Stack, Path]:
        """The stack, bound to the project directory, and its generated stack file."""
        name = self.stack_name(project)
        workspace = self._workspace(project)
        config = write_stack_config(
            self._project_dir(project),
            self.stack_config_file(project),
            local_default=self._backend.local_default,
        )
        try:
            return auto.Stack.select(name, workspace), config
        except auto.StackNotFoundError:
            if not create:
                raise
        # Initialised next to the generated stack file, so the salt lands there.
        self._workspace(project, config.parent).create_stack(name)
        return auto.Stack.select(name, workspace), config

    def _resources(self, project: str) -> list[Mapping[str, Any]]:
        name = self.stack_name(project)

        def action() -> list[Mapping[str, Any]]:
            try:
                deployment = self._workspace(project).export_stack(name)
            except auto.StackNotFoundError:
                return []
            return list((deployment.deployment or {}).get("resources") or [])

        return self._guarded(project, action)

    def _lock(self, project: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(project, threading.Lock())

    def _guarded(self, project: str, action: Callable[[], T]) -> T:
        with self._lock(project):
            try:
                return action()
            except EngineError:
                raise
            except Exception as error:
                raise map_error(
                    error,
                    stack=self.stack_name(project),
                    manual=lambda arguments: self.manual_command(project, arguments),
                ) from error


def _changes(summary: Mapping[Any, int] | None) -> dict[str, int]:
    # Keys are OpType members in preview summaries and plain strings in update histories.
    return {
        op.value if isinstance(op, Enum) else str(op): int(count)
        for op, count in (summary or {}).items()
    }


def _plain_outputs(outputs: Mapping[str, auto.OutputValue]) -> dict[str, Any]:
    return {key: SECRET_MASK if out.secret else out.value for key, out in outputs.items()}


def _display(path: Path) -> str:
    """`path` relative to the working directory when it is below it (shorter to paste)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
