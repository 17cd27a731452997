"""Running one step per stack, level by level, on a bounded thread pool.

Projects of one level may run concurrently; a run holds each project at most once, so two
operations never touch one project at once. For operations whose stacks build on each other
(FAIL_FAST), nothing new starts after a failure. Ctrl-C: the first one stops new work while the
running operations are left to Pulumi's own graceful cancel (the engine, in the same process
group, got the signal too); the second stops waiting. Every stack ends as one row of the
`RunReport`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import FrameType

from orchestration.engine.interface import (
    EngineKilled,
    Interrupted,
    OrchestrationError,
    OutputSink,
    StackLocked,
)
from orchestration.runner.report import (
    FAIL_FAST,
    LOCKING,
    Operation,
    Printer,
    RunReport,
    StackOutcome,
    Status,
)
from shared.topology import ContractError

DEFAULT_MAX_WORKERS = 4
# How many stacks read-only work (preview, drift, refresh, outputs) handles at once by default.
DEFAULT_PARALLEL = os.cpu_count() or 1
_POLL_SECONDS = 0.2

Clock = Callable[[], float]


@dataclass(frozen=True)
class Step:
    """What a stack's step produced, before the scheduler adds timing and names."""

    status: Status
    changes: Mapping[str, int] = field(default_factory=dict)
    detail: str = ""
    # The stack may hold a lock and pending operations: print the recovery steps.
    recover: bool = False


class Skip(Exception):
    """Raised by a step to mark its stack skipped, with the reason."""


# (project, its engine output sink) -> what the step did.
StepFunction = Callable[[str, OutputSink], Step]


class RunState:
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
def ctrl_c_flags(state: RunState) -> Iterator[None]:
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


class Scheduler:
    """Runs the steps of one environment's stacks; every stack ends as a report row."""

    def __init__(
        self,
        *,
        environment: str,
        stack_name: Callable[[str], str],
        printer: Printer,
        max_workers: int = DEFAULT_MAX_WORKERS,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._environment = environment
        self._stack_name = stack_name
        self._printer = printer
        self._max_workers = max_workers
        self._clock = clock

    def run(
        self,
        operation: Operation,
        levels: Sequence[Sequence[str]],
        step: StepFunction,
        *,
        max_workers: int | None = None,
    ) -> RunReport:
        """`step` for each project, level after level; the report in planned order.

        `max_workers`: how many of a level run at once (default: the scheduler's).
        """
        names = [name for level in levels for name in level]
        if len(names) != len(set(names)):
            raise ValueError(f"a run holds each project once, got {names}")
        workers = self._max_workers if max_workers is None else max_workers
        if workers < 1:
            raise ValueError("max_workers must be at least 1")
        state = RunState(fail_fast=operation in FAIL_FAST)
        outcomes: dict[str, StackOutcome] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stack")
        try:
            with ctrl_c_flags(state):
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
        return RunReport(
            operation=operation,
            environment=self._environment,
            outcomes=tuple(
                outcomes.get(name)
                or self._row(operation, name, Status.SKIPPED, detail="not started: interrupted")
                for name in names
            ),
            interrupted=state.interrupted,
        )

    def _wait(self, futures: list[Future[StackOutcome]], state: RunState) -> None:
        pending = set(futures)
        while pending and not state.abandoned:
            if state.interrupted and not state.announced:
                state.announced = True
                running = ", ".join(sorted(state.was_running)) or "nothing"
                self._printer.say(
                    f"\nInterrupted: no new stack will start; waiting for {running} to stop "
                    "(Pulumi cancels gracefully; press Ctrl-C again to stop waiting)."
                )
            _, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)

    def _attempt(
        self, operation: Operation, project: str, step: StepFunction, state: RunState
    ) -> StackOutcome:
        if not state.begin(project):
            return self._row(operation, project, Status.SKIPPED, detail=state.reason)
        started = self._clock()
        try:
            done = step(project, self._printer.sink(f"[{project}/{self._environment}] "))
        except Skip as skip:
            done = Step(Status.SKIPPED, detail=str(skip))
        except (Interrupted, KeyboardInterrupt) as error:
            state.interrupt()
            done = Step(Status.INTERRUPTED, detail=str(error) or "interrupted", recover=True)
        except (OrchestrationError, ContractError) as error:
            # Killed mid-operation, or locked by one that was: the stack needs the recovery.
            recover = isinstance(error, EngineKilled | StackLocked)
            done = self._failed(state, project, str(error), recover=recover)
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
            recover=done.recover and operation in LOCKING,
        )

    def _failed(self, state: RunState, project: str, detail: str, *, recover: bool = False) -> Step:
        if state.interrupted:
            # Pulumi got the Ctrl-C too and cancelled: the operation stopped half-way.
            return Step(Status.INTERRUPTED, detail=detail, recover=True)
        if state.fail_fast:
            state.halt(f"not started: {project} failed")
        return Step(Status.FAILED, detail=detail, recover=recover)

    def _collect(
        self, operation: Operation, project: str, future: Future[StackOutcome]
    ) -> StackOutcome:
        recover = operation in LOCKING
        if not future.done():
            return self._row(
                operation,
                project,
                Status.INTERRUPTED,
                detail="still running when abandoned",
                recover=recover,
            )
        error = future.exception()
        if error is not None:
            return self._row(
                operation, project, Status.INTERRUPTED, detail=repr(error), recover=recover
            )
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
        recover: bool = False,
    ) -> StackOutcome:
        return StackOutcome(
            project=project,
            stack=self._stack_name(project),
            operation=operation,
            status=status,
            changes=changes or {},
            duration=duration,
            detail=detail,
            recover=recover,
        )
