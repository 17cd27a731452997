"""InMemoryEngine: a test double of the engine interface, keeping stacks in a dict.

It records every call, counts how many operations run at once (overall and per project), and
lets a test make an operation fail, block, drift or call a hook, so the runner's ordering,
concurrency, guards and messages can be asserted without Pulumi.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.engine import (
    OperationResult,
    OutputSink,
    ProtectedResources,
    StackNotFound,
)
from shared.topology import TOPOLOGY, Topology

Hook = Callable[[str, str], None]  # (operation, project)


@dataclass
class StackDouble:
    """One stack's state: its outputs and resources (URN -> protected)."""

    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, bool] = field(default_factory=dict)


class InMemoryEngine:
    """Implements orchestration.engine.Engine in memory, for one environment."""

    def __init__(
        self,
        topology: Topology = TOPOLOGY,
        *,
        environment: str = "development",
        resources_per_stack: int = 3,
    ) -> None:
        self.topology = topology
        self.environment = environment
        self.resources_per_stack = resources_per_stack
        # project -> its stack in this environment.
        self.stacks: dict[str, StackDouble] = {}
        # What `up` exports per project (default: every declared export, with a fake value).
        self.exports: dict[str, dict[str, Any]] = {
            name: {key: f"{name}-{key}" for key in topology.project(name).exports}
            for name in topology.names
        }
        self.failures: dict[tuple[str, str], Exception] = {}
        self.drift: dict[str, dict[str, int]] = {}
        self.hooks: dict[tuple[str, str], Hook] = {}
        self.calls: list[tuple[str, str]] = []
        self.overlaps: list[str] = []  # projects that saw two operations at once
        self.max_active = 0
        self._active: dict[str, int] = {}
        self._lock = threading.Lock()

    # ---- test set-up ------------------------------------------------------------------------

    def deploy_now(self, project: str, *, protected: int = 0) -> None:
        """Put a deployed stack in place, as if `up` had run before the test."""
        resources = {self._urn(project, i): i < protected for i in range(self.resources_per_stack)}
        self.stacks[project] = StackDouble(outputs=dict(self.exports[project]), resources=resources)

    def deploy_all(self) -> None:
        for name in self.topology.names:
            self.deploy_now(name)

    def ops(self, operation: str) -> list[str]:
        """Projects `operation` ran on, in call order."""
        return [project for op, project in self.calls if op == operation]

    @property
    def mutating_calls(self) -> list[tuple[str, str]]:
        return [call for call in self.calls if call[0] in {"up", "destroy", "refresh", "preview"}]

    # ---- Engine -----------------------------------------------------------------------------

    def stack_name(self, project: str) -> str:
        return f"organization/{project}/{self.environment}"

    def manual_command(self, project: str, arguments: str) -> str:
        return f"pulumi --cwd projects/{project} {arguments} --stack {project}.{self.environment}"

    def stack_exists(self, project: str) -> bool:
        self._record("stack_exists", project)
        return project in self.stacks

    def outputs(self, project: str) -> Mapping[str, Any]:
        self._record("outputs", project)
        return dict(self._existing(project).outputs)

    def resource_count(self, project: str) -> int:
        stack = self.stacks.get(project)
        return len(stack.resources) if stack else 0

    def protected_resources(self, project: str) -> tuple[str, ...]:
        stack = self.stacks.get(project)
        return tuple(urn for urn, on in stack.resources.items() if on) if stack else ()

    def up(self, project: str, on_output: OutputSink) -> OperationResult:
        def action() -> OperationResult:
            on_output(f"+ {project} creating")
            stack = self.stacks.setdefault(project, StackDouble())
            created = self.resources_per_stack - len(stack.resources)
            stack.resources = {
                self._urn(project, i): False for i in range(self.resources_per_stack)
            }
            stack.outputs = dict(self.exports[project])
            return OperationResult(
                changes={"create": created, "same": self.resources_per_stack - created},
                outputs=stack.outputs,
            )

        return self._operate("up", project, action)

    def preview(self, project: str, on_output: OutputSink) -> OperationResult:
        def action() -> OperationResult:
            on_output(f"~ {project} previewing")
            stack = self.stacks.setdefault(project, StackDouble())
            return OperationResult(
                changes={"create": self.resources_per_stack - len(stack.resources)}
            )

        return self._operate("preview", project, action)

    def refresh(self, project: str, on_output: OutputSink) -> OperationResult:
        def action() -> OperationResult:
            stack = self._existing(project)
            return OperationResult(changes={"same": len(stack.resources)})

        return self._operate("refresh", project, action)

    def destroy(self, project: str, on_output: OutputSink) -> OperationResult:
        def action() -> OperationResult:
            stack = self._existing(project)
            protected = tuple(urn for urn, on in stack.resources.items() if on)
            if protected:
                raise ProtectedResources("protected resources cannot be deleted", protected)
            deleted = len(stack.resources)
            stack.resources = {}
            stack.outputs = {}
            return OperationResult(changes={"delete": deleted})

        return self._operate("destroy", project, action)

    def drift_preview(self, project: str, on_output: OutputSink) -> OperationResult:
        def action() -> OperationResult:
            stack = self._existing(project)
            changes = self.drift.get(project, {"same": len(stack.resources)})
            return OperationResult(changes=changes)

        return self._operate("drift", project, action)

    def cancel(self, project: str) -> None:
        self._record("cancel", project)

    # ---- plumbing ---------------------------------------------------------------------------

    def _urn(self, project: str, index: int) -> str:
        return f"urn:pulumi:{self.environment}::{project}::res::r{index}"

    def _existing(self, project: str) -> StackDouble:
        try:
            return self.stacks[project]
        except KeyError:
            raise StackNotFound(f"stack {self.stack_name(project)} does not exist") from None

    def _record(self, operation: str, project: str) -> None:
        with self._lock:
            self.calls.append((operation, project))

    def _operate(
        self, operation: str, project: str, action: Callable[[], OperationResult]
    ) -> OperationResult:
        self._record(operation, project)
        with self._lock:
            self._active[project] = self._active.get(project, 0) + 1
            if self._active[project] > 1:
                self.overlaps.append(project)
            self.max_active = max(self.max_active, sum(self._active.values()))
        try:
            hook = self.hooks.get((operation, project))
            if hook is not None:
                hook(operation, project)
            failure = self.failures.get((operation, project))
            if failure is not None:
                raise failure
            return action()
        finally:
            with self._lock:
                self._active[project] -= 1
