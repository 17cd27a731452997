"""Orchestration logic: which stacks, in which order, under which guards. Knows nothing of invoke.

Every public operation of `Orchestrator` works on one environment:

- selection: every project, or one (`project=`), or one and its consumers (`cascade=True`);
- order: the levels of `shared.topology.TOPOLOGY` (producers before consumers; reversed for a
  teardown). Projects of one level may run concurrently on a bounded pool; a run holds each
  project at most once, so two operations never touch one project at once;
- fail fast for what changes something (deploy, destroy, refresh): after a failure nothing new
  starts and the summary marks what succeeded, failed or was skipped;
- preflight: the upstream stacks a project reads must exist and export what it requires, checked
  before anything runs, with one message naming the gaps and the command that fixes them;
- guards: confirmation (production needs the environment name typed or `confirm=`), the destroy
  guard (a producer whose consumers still have resources is kept unless `cascade`), protected
  resources (found before anything is destroyed);
- Ctrl-C: nothing new starts, running operations are left to Pulumi's own graceful cancel, and
  the report names the interrupted stacks and the commands that recover them.

Refusals raise `OrchestrationError` subclasses (nothing has been touched when they do); what ran
comes back as a `RunReport`, already printed as a summary table, with the process exit code.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from types import FrameType, MappingProxyType
from typing import Any, TextIO

from orchestration.engine import (
    NO_CHANGE_OPS,
    Engine,
    Interrupted,
    OperationResult,
    OrchestrationError,
    OutputSink,
    ProtectedResources,
    StackNotFound,
)
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY, ContractError, Topology

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DRIFT = 2
EXIT_INTERRUPTED = 130  # what a shell reports for SIGINT

DEFAULT_MAX_WORKERS = 4
_POLL_SECONDS = 0.2

# Shows a prompt and returns the answer; None when there is no terminal to ask on.
Ask = Callable[[str], str]
Clock = Callable[[], float]


class Operation(StrEnum):
    """What a run does to each selected stack."""

    DEPLOY = "deploy"
    PREVIEW = "preview"
    REFRESH = "refresh"
    DESTROY = "destroy"
    DRIFT = "drift"


_VERBS = {
    Operation.DEPLOY: ("deploy", "deployed"),
    Operation.PREVIEW: ("preview", "previewed"),
    Operation.REFRESH: ("refresh", "refreshed"),
    Operation.DESTROY: ("destroy", "destroyed"),
    Operation.DRIFT: ("check", "checked"),
}
# The Pulumi command each operation runs, as the summary table shows it.
_ENGINE_COMMANDS = {
    Operation.DEPLOY: "up",
    Operation.PREVIEW: "preview",
    Operation.REFRESH: "refresh",
    Operation.DESTROY: "destroy",
    Operation.DRIFT: "preview --refresh",
}
# Operations that change state or cloud: after a failure nothing new starts.
_FAIL_FAST = frozenset({Operation.DEPLOY, Operation.REFRESH, Operation.DESTROY})


class Status(StrEnum):
    """The result of one stack in a run."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    CLEAN = "clean"
    DRIFTED = "drifted"
    MISSING = "missing"


class PreflightError(OrchestrationError):
    """Upstream stacks are missing or lack outputs; nothing was run."""


class DestroyRefused(OrchestrationError):
    """The destroy guard kept a producer whose consumers still have resources."""


class TeardownBlocked(OrchestrationError):
    """Protected resources would stop the teardown; nothing was destroyed."""


class ConfirmationRequired(OrchestrationError):
    """The run was not confirmed; nothing was run."""


@dataclass(frozen=True)
class UpstreamGap:
    """An upstream stack a project reads that is missing, empty or lacks required outputs."""

    consumer: str
    producer: str
    stack: str
    missing_outputs: tuple[str, ...]
    # None: the stack does not exist; else how many outputs it has.
    output_count: int | None

    def describe(self) -> str:
        """One phrase for messages."""
        if self.output_count is None:
            return f"stack {self.stack} does not exist"
        if not self.output_count:
            return f"stack {self.stack} is not deployed (it has no outputs)"
        return f"stack {self.stack} has no output(s) {', '.join(self.missing_outputs)}"


@dataclass(frozen=True)
class StackOutcome:
    """One row of the summary."""

    project: str
    stack: str
    operation: Operation
    status: Status
    changes: Mapping[str, int] = field(default_factory=dict)
    duration: float | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))


@dataclass(frozen=True)
class RunReport:
    """Everything a run did, in the order the stacks were planned."""

    operation: Operation
    environment: str
    outcomes: tuple[StackOutcome, ...]
    interrupted: bool = False

    def outcome(self, project: str) -> StackOutcome:
        """The row of one project."""
        for outcome in self.outcomes:
            if outcome.project == project:
                return outcome
        raise KeyError(project)

    def statuses(self) -> dict[str, Status]:
        """project -> status, for quick checks."""
        return {outcome.project: outcome.status for outcome in self.outcomes}

    @property
    def exit_code(self) -> int:
        """130 interrupted, 1 any failure, 2 drift (or a stack not checked), else 0."""
        statuses = {outcome.status for outcome in self.outcomes}
        if self.interrupted or Status.INTERRUPTED in statuses:
            return EXIT_INTERRUPTED
        if Status.FAILED in statuses:
            return EXIT_FAILED
        if self.operation is Operation.DRIFT and statuses - {Status.CLEAN}:
            return EXIT_DRIFT
        return EXIT_OK


@dataclass(frozen=True)
class _Step:
    """What a stack's step produced, before the runner adds timing and names."""

    status: Status
    changes: Mapping[str, int] = field(default_factory=dict)
    detail: str = ""


class _Skip(Exception):
    """Raised by a step to mark its stack skipped, with the reason."""


class _RunState:
    """Shared by the workers of one run: the stop flag, the reason, who is running."""

    def __init__(self, fail_fast: bool) -> None:
        self.fail_fast = fail_fast
        self.stop = threading.Event()
        self.reason = ""
        self.interrupted = False
        self.announced = False
        self.abandoned = False
        self.running: set[str] = set()
        self.was_running: set[str] = set()
        self._lock = threading.Lock()

    def halt(self, reason: str) -> None:
        with self._lock:
            if not self.stop.is_set():
                self.reason = reason
                self.stop.set()

    def interrupt(self) -> None:
        with self._lock:
            self.interrupted = True
            self.was_running |= self.running
            self.reason = "not started: interrupted"
            self.stop.set()

    def begin(self, project: str) -> bool:
        """Mark `project` running unless the run is stopping; False means do not start it."""
        with self._lock:
            if self.stop.is_set():
                return False
            self.running.add(project)
            return True

    def end(self, project: str) -> None:
        with self._lock:
            self.running.discard(project)


@contextlib.contextmanager
def _ctrl_c_flags(state: _RunState) -> Iterator[None]:
    """While stacks run, Ctrl-C sets flags instead of raising KeyboardInterrupt anywhere.

    The first one stops new work (Pulumi, in the same process group, got the signal too and
    cancels its update gracefully); the second stops waiting. Only the main thread can own the
    handler; elsewhere the caller's handling stays as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if state.interrupted:
            state.abandoned = True
        else:
            state.interrupt()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Orchestrator:
    """Runs operations over the stacks of one environment through an `Engine`."""

    def __init__(
        self,
        engine: Engine,
        settings: EnvironmentSettings,
        *,
        topology: Topology = TOPOLOGY,
        out: TextIO | None = None,
        ask: Ask | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._engine = engine
        self._settings = settings
        self._topology = topology
        self._out = out if out is not None else sys.stdout
        self._ask = ask
        self._max_workers = max_workers
        self._clock = clock
        self._print_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine every operation goes through."""
        return self._engine

    @property
    def environment(self) -> str:
        """The environment (and stack name) every operation works on."""
        return self._settings.environment

    # ---- operations -------------------------------------------------------------------------

    def deploy(
        self, project: str | None = None, *, yes: bool = False, confirm: str | None = None
    ) -> RunReport:
        """`up` for the selected projects in dependency order, after preflight and confirmation."""
        selection = self._select(project)
        self._preflight(Operation.DEPLOY, selection)
        order = self._topology.deploy_order(selection)
        self._confirm(
            Operation.DEPLOY,
            f"Deploy {', '.join(order)} to {self.environment}?",
            yes=yes,
            confirm=confirm,
            yes_suffices=True,
        )

        def step(name: str, sink: OutputSink) -> _Step:
            # Producers deployed by this run are held to their exports right after their `up`
            # (fail fast), so a consumer never starts against a missing output.
            result = self._engine.up(name, self.environment, sink)
            self._check_exports(name, result)
            return _Step(Status.SUCCEEDED, result.changes)

        return self._run(Operation.DEPLOY, self._topology.deploy_levels(selection), step)

    def preview(self, project: str | None = None) -> RunReport:
        """A real `pulumi preview` per stack, in dependency order."""
        selection = self._select(project)
        self._preflight(Operation.PREVIEW, selection)

        def step(name: str, sink: OutputSink) -> _Step:
            gaps = self.upstream_gaps(name, within=selection)
            if gaps:
                raise _Skip(
                    f"upstream not deployed yet ({'; '.join(gap.describe() for gap in gaps)}): "
                    f"see `invoke plan --env {self.environment}` for an offline plan of the "
                    "whole environment"
                )
            result = self._engine.preview(name, self.environment, sink)
            return _Step(Status.SUCCEEDED, result.changes)

        return self._run(Operation.PREVIEW, self._topology.deploy_levels(selection), step)

    def refresh(self, project: str | None = None) -> RunReport:
        """Adopt the cloud's current state into each existing stack's state."""
        selection = self._select(project)

        def step(name: str, sink: OutputSink) -> _Step:
            if not self._engine.stack_exists(name, self.environment):
                raise _Skip("the stack does not exist; nothing to refresh")
            result = self._engine.refresh(name, self.environment, sink)
            return _Step(Status.SUCCEEDED, result.changes)

        return self._run(Operation.REFRESH, self._topology.deploy_levels(selection), step)

    def destroy(
        self,
        project: str | None = None,
        *,
        cascade: bool = False,
        yes: bool = False,
        confirm: str | None = None,
    ) -> RunReport:
        """Tear down in reverse dependency order, behind the destroy guard and the confirmation."""
        selection = self._destroy_selection(project, cascade)
        counts = {name: self._engine.resource_count(name, self.environment) for name in selection}
        order = [name for name in self._topology.teardown_order(selection) if counts[name]]
        protected = {
            name: urns
            for name in order
            if (urns := self._engine.protected_resources(name, self.environment))
        }
        if protected:
            raise TeardownBlocked(self._protected_message(protected, destroyed=False))
        if order:
            listed = ", ".join(f"{name} ({counts[name]} resources)" for name in order)
            self._confirm(
                Operation.DESTROY,
                f"Destroy every resource of {listed} in {self.environment}?",
                yes=yes,
                confirm=confirm,
                yes_suffices=not self._settings.production,
            )
        else:
            self._say(f"Nothing to destroy in {self.environment}: no selected stack has resources.")

        def step(name: str, sink: OutputSink) -> _Step:
            if not counts[name]:
                raise _Skip("no resources to destroy")
            try:
                result = self._engine.destroy(name, self.environment, sink)
            except ProtectedResources as error:
                raise TeardownBlocked(
                    self._protected_message({name: error.urns}, destroyed=True)
                ) from error
            return _Step(Status.SUCCEEDED, result.changes)

        return self._run(Operation.DESTROY, self._topology.teardown_levels(selection), step)

    def drift(self, project: str | None = None) -> RunReport:
        """Preview with refresh for every stack; clean only when nothing would change."""
        selection = self._select(project)

        def step(name: str, sink: OutputSink) -> _Step:
            if not self._engine.stack_exists(name, self.environment):
                return _Step(
                    Status.MISSING,
                    detail=f"not deployed: `invoke deploy --env {self.environment}` creates it",
                )
            gaps = self.upstream_gaps(name)
            if gaps:
                raise _Skip(f"not checked: upstream {'; '.join(g.describe() for g in gaps)}")
            result = self._engine.drift_preview(name, self.environment, sink)
            if result.changed:
                return _Step(
                    Status.DRIFTED,
                    result.changes,
                    "the cloud differs from the program: `invoke deploy` restores what the "
                    "program declares (or change the program to keep the live change)",
                )
            return _Step(Status.CLEAN, result.changes)

        return self._run(Operation.DRIFT, self._topology.deploy_levels(selection), step)

    def outputs(self, project: str | None = None) -> dict[str, Mapping[str, Any] | None]:
        """project -> its stack's outputs (None when the stack does not exist), deploy order."""
        return {name: self.read_outputs(name) for name in self._select_ordered(project)}

    def show_outputs(self, project: str | None = None, *, as_json: bool = False) -> int:
        """Print the outputs (as JSON keyed by project, or as text); the exit code."""
        values = self.outputs(project)
        if project is not None and values[project] is None:
            raise OrchestrationError(
                f"stack {self._stack(project)} does not exist: deploy it with "
                f"`invoke deploy --env {self.environment} --project {project}`"
            )
        if as_json:
            plain = {name: None if v is None else dict(v) for name, v in values.items()}
            self._say(json.dumps(plain, indent=2, sort_keys=True, default=str))
            return EXIT_OK
        for name, outputs in values.items():
            self._say(self._stack(name))
            if outputs is None:
                self._say("  (not deployed)")
                continue
            if not outputs:
                self._say("  (no outputs)")
            width = max((len(key) for key in outputs), default=0)
            for key, value in sorted(outputs.items()):
                shown = value if isinstance(value, str) else json.dumps(value, default=str)
                self._say(f"  {key:<{width}}  {shown}")
        return EXIT_OK

    def read_outputs(self, project: str) -> Mapping[str, Any] | None:
        """One stack's outputs, or None when the stack does not exist."""
        try:
            return self._engine.outputs(project, self.environment)
        except StackNotFound:
            return None

    def upstream_gaps(
        self, project: str, *, within: Iterable[str] | None = None
    ) -> tuple[UpstreamGap, ...]:
        """The upstream stacks `project` reads that are missing or lack required outputs.

        `within` limits the check to those producers (None: every producer).
        """
        spec = self._topology.project(project)
        allowed = None if within is None else set(within)
        gaps = []
        for producer in self._topology.deploy_order(spec.requires):
            if allowed is not None and producer not in allowed:
                continue
            outputs = self.read_outputs(producer)
            missing = tuple(
                key
                for key in spec.requires[producer]
                if outputs is None or outputs.get(key) is None
            )
            if missing:
                count = None if outputs is None else len(outputs)
                gaps.append(UpstreamGap(project, producer, self._stack(producer), missing, count))
        return tuple(gaps)

    # ---- selection, preflight, guards -------------------------------------------------------

    def _select(self, project: str | None) -> tuple[str, ...]:
        if project is None:
            return self._topology.names
        self._topology.project(project)
        return (project,)

    def _select_ordered(self, project: str | None) -> tuple[str, ...]:
        return self._topology.deploy_order(self._select(project))

    def _preflight(self, operation: Operation, selection: Sequence[str]) -> None:
        # Only producers outside the selection: this run cannot make them ready.
        outside = set(self._topology.names) - set(selection)
        gaps = [
            gap
            for name in self._topology.deploy_order(selection)
            for gap in self.upstream_gaps(name, within=outside)
        ]
        if not gaps:
            return
        verb, past = _VERBS[operation]
        consumers = ", ".join(dict.fromkeys(gap.consumer for gap in gaps))
        producers = self._topology.deploy_order({gap.producer for gap in gaps})
        fix = " then ".join(
            f"`invoke deploy --env {self.environment} --project {name}`" for name in producers
        )
        message = (
            f"cannot {verb} {consumers} in {self.environment}: it reads upstream outputs that "
            f"are not there: {'; '.join(gap.describe() for gap in gaps)}. Deploy the upstream "
            f"first: {fix}."
        )
        if operation is Operation.PREVIEW:
            message += (
                " To see what the whole environment would look like without deploying anything:"
                f" `invoke plan --env {self.environment}`."
            )
        raise PreflightError(f"{message} Nothing was {past}.")

    def _destroy_selection(self, project: str | None, cascade: bool) -> tuple[str, ...]:
        if project is None:
            return self._topology.names
        self._topology.project(project)
        consumers = self._topology.all_consumers(project)
        if cascade:
            return (project, *consumers)
        busy = {
            name: count
            for name in consumers
            if (count := self._engine.resource_count(name, self.environment))
        }
        if busy:
            listed = ", ".join(
                f"{name} ({self._stack(name)}, team {self._topology.project(name).team}, "
                f"{count} resources)"
                for name, count in busy.items()
            )
            first = " then ".join(
                f"`invoke destroy --env {self.environment} --project {name}`"
                for name in self._topology.teardown_order(busy)
            )
            raise DestroyRefused(
                f"refusing to destroy {project} in {self.environment}: projects that read its "
                f"outputs still have resources: {listed}. Destroy them first ({first}), or "
                f"destroy {project} with its consumers, consumers first: `invoke destroy --env "
                f"{self.environment} --project {project} --cascade`. Nothing was destroyed."
            )
        return (project,)

    def _confirm(
        self,
        operation: Operation,
        question: str,
        *,
        yes: bool,
        confirm: str | None,
        yes_suffices: bool,
    ) -> None:
        env = self.environment
        verb, past = _VERBS[operation]
        if confirm is not None and confirm != env:
            raise ConfirmationRequired(
                f"--confirm {confirm!r} does not match the environment {env!r}; nothing was {past}"
            )
        if confirm == env or (yes and yes_suffices):
            return
        strict = self._settings.production
        if self._ask is None:
            if not yes_suffices:
                raise ConfirmationRequired(
                    f"to {verb} {env} without a prompt, confirm it explicitly with "
                    f"--confirm {env} (--yes is not enough for {env}); nothing was {past}"
                )
            raise ConfirmationRequired(
                f"no terminal to confirm on: add --yes to {verb} {env} without a prompt"
                f"{f' (or --confirm {env})' if strict else ''}; nothing was {past}"
            )
        try:
            if strict:
                answer = self._ask(f"{question}\nType the environment name ({env}) to confirm: ")
                accepted = answer.strip() == env
            else:
                accepted = self._ask(f"{question} [y/N] ").strip().lower() in {"y", "yes"}
        except EOFError:
            accepted = False
        if not accepted:
            raise ConfirmationRequired(f"not confirmed; nothing was {past}")

    def _check_exports(self, project: str, result: OperationResult) -> None:
        declared = self._topology.project(project).exports
        missing = [key for key in declared if result.outputs.get(key) is None]
        if missing:
            raise OrchestrationError(
                f"deployed, but does not export {', '.join(missing)}, which shared/topology.py "
                "declares: its consumers cannot read them"
            )

    def _protected_message(self, protected: Mapping[str, Sequence[str]], *, destroyed: bool) -> str:
        lines = [
            f"{'the teardown stopped' if destroyed else 'cannot destroy'} in {self.environment}:"
            " protected resources cannot be deleted"
            + ("." if destroyed else " (nothing was destroyed).")
        ]
        for name, urns in protected.items():
            lines.append(f"  {self._stack(name)}:")
            lines.extend(f"    {urn}" for urn in urns or ("(see the engine output above)",))
        lines.append(
            "Protection is deliberate (production keeps its data and keys). To tear down anyway, "
            "remove the protection in the program and deploy, or unprotect them in the state:"
        )
        unprotect = "state unprotect --all --yes"
        lines.extend(
            f"  {self._engine.manual_command(name, self.environment, unprotect)}"
            for name in protected
        )
        lines.append("then run the destroy again.")
        return "\n".join(lines)

    # ---- running ----------------------------------------------------------------------------

    def _run(
        self,
        operation: Operation,
        levels: Sequence[Sequence[str]],
        step: Callable[[str, OutputSink], _Step],
    ) -> RunReport:
        names = [name for level in levels for name in level]
        if len(names) != len(set(names)):
            raise ValueError(f"a run holds each project once, got {names}")
        state = _RunState(fail_fast=operation in _FAIL_FAST)
        outcomes: dict[str, StackOutcome] = {}
        pool = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="stack")
        try:
            with _ctrl_c_flags(state):
                for level in levels:
                    futures = {
                        name: pool.submit(self._attempt, operation, name, step, state)
                        for name in level
                    }
                    self._wait(list(futures.values()), state)
                    for name, future in futures.items():
                        outcomes[name] = self._collect(operation, name, future)
                    if state.abandoned:
                        break
        finally:
            # After a second Ctrl-C, do not wait for the engine processes to wind down.
            pool.shutdown(wait=not state.abandoned, cancel_futures=True)
        report = RunReport(
            operation=operation,
            environment=self.environment,
            outcomes=tuple(
                outcomes.get(name)
                or self._row(operation, name, Status.SKIPPED, detail="not started: interrupted")
                for name in names
            ),
            interrupted=state.interrupted,
        )
        self._print_summary(report)
        if report.exit_code == EXIT_INTERRUPTED:
            self._print_recovery(report)
        return report

    def _wait(self, futures: list[Future[StackOutcome]], state: _RunState) -> None:
        pending = set(futures)
        while pending and not state.abandoned:
            if state.interrupted and not state.announced:
                state.announced = True
                running = ", ".join(sorted(state.was_running)) or "nothing"
                self._say(
                    f"\nInterrupted: no new stack will start; waiting for {running} to stop "
                    "(Pulumi cancels gracefully; press Ctrl-C again to stop waiting)."
                )
            _, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)

    def _attempt(
        self,
        operation: Operation,
        project: str,
        step: Callable[[str, OutputSink], _Step],
        state: _RunState,
    ) -> StackOutcome:
        if not state.begin(project):
            return self._row(operation, project, Status.SKIPPED, detail=state.reason)
        started = self._clock()
        try:
            done = step(project, self._sink(project))
        except _Skip as skip:
            done = _Step(Status.SKIPPED, detail=str(skip))
        except (Interrupted, KeyboardInterrupt) as error:
            state.interrupt()
            done = _Step(Status.INTERRUPTED, detail=str(error) or "interrupted")
        except (OrchestrationError, ContractError) as error:
            done = self._failed(state, project, str(error))
        except Exception as error:
            # A defect in one stack's step must not lose the other stacks' results.
            done = self._failed(state, project, f"unexpected {type(error).__name__}: {error}")
        finally:
            state.end(project)
        return self._row(
            operation,
            project,
            done.status,
            changes=done.changes,
            duration=self._clock() - started,
            detail=done.detail,
        )

    def _failed(self, state: _RunState, project: str, detail: str) -> _Step:
        if state.interrupted:
            return _Step(Status.INTERRUPTED, detail=detail)
        if state.fail_fast:
            state.halt(f"not started: {project} failed")
        return _Step(Status.FAILED, detail=detail)

    def _collect(
        self, operation: Operation, project: str, future: Future[StackOutcome]
    ) -> StackOutcome:
        if not future.done():
            return self._row(
                operation, project, Status.INTERRUPTED, detail="still running when abandoned"
            )
        error = future.exception()
        if error is not None:
            return self._row(operation, project, Status.INTERRUPTED, detail=repr(error))
        return future.result()

    def _row(
        self,
        operation: Operation,
        project: str,
        status: Status,
        *,
        changes: Mapping[str, int] | None = None,
        duration: float | None = None,
        detail: str = "",
    ) -> StackOutcome:
        return StackOutcome(
            project=project,
            stack=self._stack(project),
            operation=operation,
            status=status,
            changes=changes or {},
            duration=duration,
            detail=detail,
        )

    # ---- output -----------------------------------------------------------------------------

    def _stack(self, project: str) -> str:
        return self._engine.stack_name(project, self.environment)

    def _sink(self, project: str) -> OutputSink:
        prefix = f"[{project}/{self.environment}] "

        def emit(line: str) -> None:
            self._say(prefix + line)

        return emit

    def _say(self, text: str) -> None:
        # Workers stream concurrently: whole lines only, never interleaved mid-line.
        with self._print_lock:
            print(text, file=self._out, flush=True)

    def _print_summary(self, report: RunReport) -> None:
        header = ("STACK", "OPERATION", "RESULT", "RESOURCE CHANGES", "DURATION")
        rows = [
            (
                outcome.stack,
                _ENGINE_COMMANDS[outcome.operation],
                outcome.status.value,
                format_changes(outcome.changes),
                format_duration(outcome.duration),
            )
            for outcome in report.outcomes
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        lines = [f"\nSummary: {report.operation.value} {report.environment}"]
        lines.extend(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]
        )
        notes = [outcome for outcome in report.outcomes if outcome.detail]
        if notes:
            lines.append("")
            lines.extend(f"{outcome.stack}: {outcome.detail}" for outcome in notes)
        self._say("\n".join(lines))

    def _print_recovery(self, report: RunReport) -> None:
        interrupted = [o for o in report.outcomes if o.status is Status.INTERRUPTED]
        if not interrupted:
            self._say("Interrupted before any stack was left half-done; nothing to recover.")
            return
        lines = [""]
        for outcome in interrupted:
            command = _ENGINE_COMMANDS[outcome.operation]
            lines.append(
                f"{outcome.stack} was interrupted during `{command}`: its state may list "
                "pending operations. To recover:"
            )
            lines.append(
                "  if a later run says the stack is locked (and no update is running): "
                + self._engine.manual_command(outcome.project, self.environment, "cancel --yes")
            )
            lines.append(
                "  then reconcile its state with the cloud: "
                + self._engine.manual_command(outcome.project, self.environment, "refresh --yes")
            )
        lines.append(f"Then run `invoke {report.operation.value} --env {self.environment}` again.")
        self._say("\n".join(lines))


def format_changes(changes: Mapping[str, int]) -> str:
    """`create 3, update 1, same 5`: changes first, in a stable order; `-` when there are none."""
    order = ("create", "update", "replace", "delete")
    ranked = sorted(
        ((op, count) for op, count in changes.items() if count),
        key=lambda item: (
            item[0] in NO_CHANGE_OPS,
            order.index(item[0]) if item[0] in order else len(order),
            item[0],
        ),
    )
    return ", ".join(f"{op} {count}" for op, count in ranked) or "-"


def format_duration(seconds: float | None) -> str:
    """`4.2s`, `2m05s`; `-` for a stack that did not run."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"
