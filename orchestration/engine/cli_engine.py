"""The engine interface implemented with the Pulumi CLI: one CLI call per stack operation.

Each project directory (`projects/<project>`) is the program, and every call names its stack
with `--stack <org>/<project>/<env>`, so plain `pulumi` in that directory, with the same
backend and passphrase, sees the same project and stacks as the tasks (`manual_command` prints
such a command). Everything the engine depends on is passed in (projects directory, backend,
CLI, PULUMI_HOME, policy packs, emulator endpoint), so a test can aim it at another repo, state
folder or CLI.

Where the Automation API's `Stack` methods add calls around an operation (`stack select`, two
`stack output`, `stack history`), this engine makes one: the result (changes, steps, outputs)
comes from the operation's own event log (`orchestration.engine.event_log`). A stack that does
not exist yet is created when the operation says so, not looked up first. The reads (outputs,
state, the list of stacks) are one call each.

The committed stack files are only read: the engine works on generated copies
(`orchestration.engine.stack_files`), passed as `--config-file`; new stacks are initialised from the
generated copy's directory, so the secrets salt lands there. CLI failures become the engine
interface's errors in `orchestration.engine.cli_errors`.

The command lines themselves are built in `orchestration.engine.cli_arguments`, and the stack's
exported state is read in `orchestration.engine.stack_export`: this module runs them.
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from orchestration.engine import cli_arguments
from orchestration.engine.checkpoint_files import backups, damage_error
from orchestration.engine.cli_errors import QuietSink, map_error
from orchestration.engine.event_log import operation_result, read_events
from orchestration.engine.interface import (
    EngineError,
    EngineFailure,
    EngineUnavailable,
    OperationResult,
    OutputSink,
    PendingCreate,
    StackNotFound,
    StackState,
)
from orchestration.engine.pulumi_install import (
    PINNED_VERSION,
    SKIP_UPDATE_CHECK_VAR,
    verified_version,
)
from orchestration.engine.pulumi_process import (
    CliError,
    CliResult,
    LineSink,
    PulumiCli,
)
from orchestration.engine.stack_export import parse_state
from orchestration.engine.stack_files import write_stack_config
from orchestration.state.backend import Backend
from shared.emulator import EMULATOR_ENDPOINT_ENV
from shared.references import qualified_stack_name

# The CLI only accepts --event-log with its debug commands switched on (as the Automation API does).
DEBUG_COMMANDS_VAR = "PULUMI_DEBUG_COMMANDS"
# What `pulumi import` says when the provider's read finds no such resource.
_DOES_NOT_EXIST = "does not exist"
_ALREADY_EXISTS = re.compile(r"stack .* already exists")
T = TypeVar("T")


class AutomationEngine:
    """`Engine` over the Pulumi CLI, for the environment of one resolved backend."""

    def __init__(
        self,
        *,
        projects_dir: Path,
        config_dir: Path,
        backend: Backend,
        pulumi_command: PulumiCli,
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
        return cli_arguments.manual_command(
            arguments,
            env=env,
            cli=self._command.command,
            project_dir=self._project_dir(project),
            stack=self.stack_name(project),
            config_file=self.stack_config_file(project),
        )

    def stack_config_file(self, project: str) -> Path:
        """The generated stack file the engine passes as --config-file."""
        return self._config_dir / project / f"Pulumi.{self.environment}.yaml"

    def env_vars(self) -> dict[str, str]:
        """The variables every Pulumi CLI call gets on top of the user's environment."""
        env = {
            **self._backend.env_vars(),
            SKIP_UPDATE_CHECK_VAR: "true",
            # Empty unless asked for: a value left in the user's shell must not redirect a deploy.
            EMULATOR_ENDPOINT_ENV: self._endpoint or "",
        }
        if self._pulumi_home:
            env["PULUMI_HOME"] = str(self._pulumi_home)
        return env

    def arguments(self, operation: str, project: str, **flags: Any) -> list[str]:
        """The CLI arguments of one stack operation (a key of `cli_arguments.OPERATIONS`).

        `flags`: refresh, clear_pending_creates (bool) and config_file (Path).
        """
        return cli_arguments.operation_arguments(
            operation, self.environment, self._policy_packs, **flags
        )

    # ---- reads ------------------------------------------------------------------------------

    def inventory(self, projects: Iterable[str]) -> dict[str, int]:
        """project -> resources in its state, for those whose stack exists (one listing)."""
        wanted = {self.stack_name(project): project for project in projects}
        # From the projects directory, outside every project: names come fully qualified.
        arguments = ["stack", "ls", "--all", "--json"]
        try:
            result = self._call(None, arguments, cwd=self._projects_dir)
        except CliError as error:
            again = f" --endpoint {self._endpoint}" if self._endpoint else ""
            damage = damage_error(
                f"{error.result.stdout}\n{error.result.stderr}",
                url=self._backend.url,
                stack=qualified_stack_name(
                    self._backend.organization, "{project}", self.environment
                ),
                projects=wanted.values(),
                again=again,
            )
            listing = f"the {self.environment} stacks"
            raise damage or map_error(error, stack=listing, manual=str) from error
        found: dict[str, int] = {}
        for entry in _json(result.stdout) or []:
            project = wanted.get(str(entry.get("name")))
            if project is not None:
                found[project] = int(entry.get("resourceCount") or 0)
        return found

    def outputs(self, project: str) -> dict[str, Any]:
        """The stack's outputs, secrets masked (the CLI prints them as `[secret]`)."""
        arguments = ["stack", "output", "--json", "--stack", self.stack_name(project)]
        result = self._guarded(project, lambda: self._call(project, arguments))
        return dict(_json(result.stdout) or {})

    def state(self, project: str) -> StackState:
        """Resources, pending creates and stack references in the stack's state."""
        arguments = ["stack", "export", "--stack", self.stack_name(project)]
        try:
            result = self._guarded(project, lambda: self._call(project, arguments))
        except StackNotFound:
            return StackState()
        return parse_state(_json(result.stdout) or {})

    def restore_hint(self, project: str) -> str | None:
        """For a local file backend: `cp` of the newest checkpoint backup into its place."""
        if not self._backend.url.startswith("file://"):
            return None
        root = self._local_root()
        env = self.environment
        found = backups(root, project, env)
        if not found:
            return None
        newest = found[0]
        target = root / "stacks" / project / f"{env}.json"
        return (
            f"mkdir -p {shlex.quote(str(target.parent))} && "
            f"cp {shlex.quote(str(newest))} {shlex.quote(str(target))}"
        )

    def _local_root(self) -> Path:
        """The `.pulumi` folder of a file backend."""
        return Path(self._backend.url.removeprefix("file://")) / ".pulumi"

    # ---- operations -------------------------------------------------------------------------

    def up(self, project: str, on_output: OutputSink, *, refresh: bool = False) -> OperationResult:
        """`pulumi up` (creating the stack if needed); `refresh` reads the cloud first."""
        return self._operate("up", project, on_output, create=True, refresh=refresh)

    def preview(
        self, project: str, on_output: OutputSink, *, refresh: bool = False
    ) -> OperationResult:
        """`pulumi preview` (creating an empty stack if needed), with its planned steps."""
        return self._operate("preview", project, on_output, create=True, refresh=refresh)

    def refresh(
        self, project: str, on_output: OutputSink, *, clear_pending_creates: bool = False
    ) -> OperationResult:
        """`pulumi refresh` of an existing stack."""
        return self._operate(
            "refresh", project, on_output, clear_pending_creates=clear_pending_creates
        )

    def destroy(self, project: str, on_output: OutputSink) -> OperationResult:
        """`pulumi destroy` of an existing stack (the stack and its history stay)."""
        return self._operate("destroy", project, on_output)

    def drift_preview(self, project: str, on_output: OutputSink) -> OperationResult:
        """`pulumi preview --refresh` of an existing stack (no policy packs)."""
        return self._operate("drift", project, on_output)

    def import_resource(
        self, project: str, resource: PendingCreate, resource_id: str, on_output: OutputSink
    ) -> bool:
        """`pulumi import` of `resource_id` as `resource`; False when the cloud has no such one."""
        config = self._config(project)
        arguments = cli_arguments.import_arguments(resource, resource_id, self.environment, config)
        arguments += ["--stack", self.stack_name(project)]

        def action() -> bool:
            try:
                self._call(project, arguments, on_output=on_output)
            except CliError as error:
                if _DOES_NOT_EXIST in error.result.stdout + error.result.stderr:
                    return False
                raise
            return True

        return self._guarded(project, action)

    def cancel(self, project: str) -> None:
        """`pulumi cancel`: release the lock of an update that no longer runs."""
        arguments = ["cancel", "--yes", "--stack", self.stack_name(project)]
        self._guarded(project, lambda: self._call(project, arguments))

    # ---- plumbing ---------------------------------------------------------------------------

    def _operate(
        self,
        operation: str,
        project: str,
        on_output: OutputSink,
        *,
        create: bool = False,
        **flags: Any,
    ) -> OperationResult:
        def action() -> OperationResult:
            config = self._config(project)
            arguments = self.arguments(operation, project, config_file=config, **flags)
            try:
                # A stack about to be created: the CLI's "no stack named ... found" is no news.
                return self._with_event_log(
                    project, arguments, QuietSink(on_output, stack_may_be_missing=create)
                )
            except CliError as error:
                if not (create and error.stack_not_found):
                    raise
            self._create_stack(project, config)
            return self._with_event_log(project, arguments, QuietSink(on_output))

        return self._guarded(project, action)

    def _with_event_log(
        self, project: str, arguments: list[str], on_output: OutputSink
    ) -> OperationResult:
        with tempfile.TemporaryDirectory(prefix="pulumi-events-") as directory:
            log = Path(directory) / "events.jsonl"
            self._call(
                project,
                [*arguments, "--event-log", str(log), "--stack", self.stack_name(project)],
                on_output=on_output,
                extra_env={DEBUG_COMMANDS_VAR: "true"},
            )
            return operation_result(read_events(log))

    def _create_stack(self, project: str, config: Path) -> None:
        # Initialised next to the generated stack file, so the salt lands there.
        arguments = ["stack", "init", self.stack_name(project)]
        arguments += ["--secrets-provider", self._backend.secrets_provider]
        try:
            self._call(project, arguments, cwd=config.parent)
        except CliError as error:
            # Another run (another machine) created it in the meantime: use theirs.
            if not _ALREADY_EXISTS.search(error.result.stderr):
                raise

    def _config(self, project: str) -> Path:
        self._require_project(project)
        return write_stack_config(
            self._project_dir(project),
            self.stack_config_file(project),
            local_default=self._backend.local_default,
        )

    def _call(
        self,
        project: str | None,
        arguments: list[str],
        *,
        cwd: Path | None = None,
        on_output: LineSink | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> CliResult:
        directory = cwd
        if directory is None:
            directory = self._require_project(project) if project else self._projects_dir
        env = {**self.env_vars(), **(extra_env or {})}
        return self._command.run(arguments, str(directory), env, on_output, on_output)

    def _project_dir(self, project: str) -> Path:
        return self._projects_dir / project

    def _require_project(self, project: str) -> Path:
        directory = self._project_dir(project)
        if not (directory / "Pulumi.yaml").is_file():
            raise EngineFailure(f"{directory} is not a Pulumi project (no Pulumi.yaml)")
        return directory

    def _lock(self, project: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(project, threading.Lock())

    def _guarded(self, project: str, action: Callable[[], T]) -> T:
        # One operation per project at a time, here as well as in the runner.
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


def pulumi_command_at(bin_dir: Path) -> PulumiCli:
    """The CLI in `bin_dir` (`<root>/bin/pulumi`), checked (once per install) to be the SDK's."""
    binary = bin_dir / "pulumi"
    if bin_dir.name != "bin" or not binary.is_file():
        raise EngineUnavailable(
            f"no Pulumi CLI at {binary} (expected <root>/bin/pulumi): run `invoke setup`"
        )
    found = verified_version(binary)
    if found is None:
        raise EngineUnavailable(f"the Pulumi CLI at {binary} does not run: run `invoke setup`")
    if found != PINNED_VERSION:
        raise EngineUnavailable(
            f"the Pulumi CLI at {binary} is v{found}, which does not match the SDK "
            f"{PINNED_VERSION}: run `invoke setup` to install the matching version"
        )
    return PulumiCli(binary, found)


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError as error:
        raise EngineFailure(f"the Pulumi CLI printed something that is not JSON: {error}") from None
