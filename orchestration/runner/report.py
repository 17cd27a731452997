"""What a run reports: the operations, each stack's outcome, the exit code, the printed summary.

The lowest layer of the runner: the scheduler fills a `RunReport`, the operations print it with
`summary_text` (and `recovery_text` after an interrupt) through a `Printer`, whose whole-line
writes keep the output of concurrent stacks readable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TextIO

from orchestration.engine.interface import NO_CHANGE_OPS, OutputSink
from orchestration.exit_codes import EXIT_DRIFT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

# (project, pulumi arguments) -> the shell command that runs them by hand against its stack.
ManualCommand = Callable[[str, str], str]
# The tasks that take --endpoint: a follow-up command must keep aiming where the user aimed.
ENDPOINT_TASKS = frozenset(
    {"deploy", "preview", "destroy", "refresh", "drift", "outputs", "verify", "state", "bootstrap"}
)


@dataclass(frozen=True)
class TaskHint:
    """Writes the `invoke` commands the messages suggest, for one environment and endpoint."""

    environment: str
    endpoint: str | None = None

    def command(self, task: str, project: str | None = None, *flags: str) -> str:
        """`invoke <task> --env E [--project P] [flags] [--endpoint URL]`, in backticks.

        `task` may carry its positional action: "state history".
        """
        words = ["invoke", task, "--env", self.environment]
        if project is not None:
            words += ["--project", project]
        words += flags
        if self.endpoint and task.split(maxsplit=1)[0] in ENDPOINT_TASKS:
            words += ["--endpoint", self.endpoint]
        return f"`{' '.join(words)}`"


class Operation(StrEnum):
    """What a run does to each selected stack."""

    DEPLOY = "deploy"
    PREVIEW = "preview"
    REFRESH = "refresh"
    DESTROY = "destroy"
    DRIFT = "drift"


# (infinitive, past participle) for messages.
VERBS = {
    Operation.DEPLOY: ("deploy", "deployed"),
    Operation.PREVIEW: ("preview", "previewed"),
    Operation.REFRESH: ("refresh", "refreshed"),
    Operation.DESTROY: ("destroy", "destroyed"),
    Operation.DRIFT: ("check", "checked"),
}
# The Pulumi command each operation runs, as the summary table shows it.
ENGINE_COMMANDS = {
    Operation.DEPLOY: "up",
    Operation.PREVIEW: "preview",
    Operation.REFRESH: "refresh",
    Operation.DESTROY: "destroy",
    Operation.DRIFT: "preview --refresh",
}
# Operations that take the stack's lock and write its state: stopped half-way, they may leave a
# lock and pending operations behind (a preview or drift check leaves neither).
LOCKING = frozenset({Operation.DEPLOY, Operation.REFRESH, Operation.DESTROY})
# Operations whose stacks depend on each other's result: after a failure nothing new starts.
# (A refresh changes only its own stack's state, which no other stack reads: each stack's
# refresh stands on its own, like a preview's.)
FAIL_FAST = frozenset({Operation.DEPLOY, Operation.DESTROY})


class Status(StrEnum):
    """The result of one stack in a run."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    CLEAN = "clean"
    DRIFTED = "drifted"
    MISSING = "missing"
    # The stack's state is gone while its consumers still reference it.
    LOST = "state lost"


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
    # The operation stopped half-way (interrupted, killed, or found locked): the stack may hold
    # a lock and pending operations, and the recovery steps are printed.
    recover: bool = False

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
        """130 interrupted, 1 any failure, 2 drift (or a stack not checked), else 0.

        A stack whose state is lost is a failure, except for drift, which reports it as drift.
        """
        statuses = {outcome.status for outcome in self.outcomes}
        if self.interrupted or Status.INTERRUPTED in statuses:
            return EXIT_INTERRUPTED
        if Status.FAILED in statuses:
            return EXIT_FAILED
        if self.operation is Operation.DRIFT:
            return EXIT_DRIFT if statuses - {Status.CLEAN} else EXIT_OK
        if Status.LOST in statuses:
            return EXIT_FAILED
        return EXIT_OK


class Printer:
    """Whole lines to one stream, from any thread."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        """Print `text`; workers stream concurrently, so never interleaved mid-line."""
        with self._lock:
            print(text, file=self._out, flush=True)

    def sink(self, prefix: str) -> OutputSink:
        """An engine output sink that prints each line after `prefix`."""

        def emit(line: str) -> None:
            self.say(prefix + line)

        return emit


def summary_text(report: RunReport) -> str:
    """The summary table, then one line per stack with a detail."""
    header = ("STACK", "OPERATION", "RESULT", "RESOURCE CHANGES", "DURATION")
    rows = [
        (
            outcome.stack,
            ENGINE_COMMANDS[outcome.operation],
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
    return "\n".join(lines)


def recovery_text(report: RunReport, manual: ManualCommand, hint: TaskHint, again: str) -> str:
    """How to recover each stack an operation left half-done (locked, pending operations);
    `again` is the run's own command, to repeat once they are recovered."""
    half_done = [outcome for outcome in report.outcomes if outcome.recover]
    if not half_done:
        return "Interrupted before any stack was left half-done; nothing to recover."
    lines = [""]
    for outcome in half_done:
        command = ENGINE_COMMANDS[outcome.operation]
        lines.append(
            f"{outcome.stack} stopped during `{command}`: it may be locked and list pending "
            "operations. To recover:"
        )
        lines.append(
            "  1. if no update of it is running anywhere, release its lock: "
            + manual(outcome.project, "cancel --yes")
        )
        lines.append(
            f"  2. {hint.command('refresh', outcome.project)}: reads every resource back from "
            "the cloud and settles the creates left pending (adopts what was created, drops "
            "what was not)"
        )
    lines.append(f"Then run {again} again.")
    return "\n".join(lines)


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
