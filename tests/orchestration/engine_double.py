"""InMemoryEngine: a test double of the engine interface, keeping stacks in a dict.

It records every call, counts how many operations run at once (overall and per project), and
lets a test make an operation fail, block, drift, plan deletions, lose a stack's state, leave
creates pending or call a hook, so the runner's ordering, concurrency, guards and messages can
be asserted without Pulumi.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.engine.interface import (
    DamagedCheckpoints,
    OperationResult,
    OutputSink,
    PendingCreate,
    ProtectedResources,
    ResourceStep,
    StackNotFound,
    StackState,
    StateResource,
)
from shared.topology import TOPOLOGY, Topology
from tests.contract_values import contract_value

# The shipped contract's keys (a test topology's own keys get a made-up value).
CONTRACT = {key for name in TOPOLOGY.names for key in TOPOLOGY.project(name).exports}

Hook = Callable[[str, str], None]  # (operation, project)


@dataclass
class StackDouble:
    """One stack's state: its outputs and resources (URN -> protected)."""

    outputs: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, bool] = field(default_factory=dict)
    # Fully qualified stack name -> the outputs a StackReference recorded from it.
    references: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending_creates: list[PendingCreate] = field(default_factory=list)


class InMemoryEngine:
    """Implements orchestration.engine.interface.Engine in memory, for one environment."""

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
        # What `up` exports per project (default: every declared export, with a value of its shape).
        self.exports: dict[str, dict[str, Any]] = {
            name: {
                key: contract_value(key, environment) if key in CONTRACT else f"{name}-{key}"
                for key in topology.project(name).exports
            }
            for name in topology.names
        }
        self.failures: dict[tuple[str, str], Exception] = {}
        self.drift: dict[str, dict[str, int]] = {}
        # What a preview of a project reports instead of the default (no changes).
        self.plans: dict[str, OperationResult] = {}
        # URN -> id: the pending creates the "cloud" did make (import_resource finds them).
        self.cloud_ids: dict[str, str] = {}
        self.restore_hints: dict[str, str] = {}
        # project -> why its checkpoint cannot be read (the listing then raises, as the CLI's).
        self.damaged: dict[str, str] = {}
        self.hooks: dict[tuple[str, str], Hook] = {}
        self.calls: list[tuple[str, str]] = []
        # (operation, project) -> whether it was asked to refresh first.
        self.refreshed: dict[tuple[str, str], bool] = {}
        self.overlaps: list[str] = []  # projects that saw two operations at once
        self.max_active = 0
        self._active: dict[str, int] = {}
        self._lock = threading.Lock()

    # ---- test set-up ------------------------------------------------------------------------

    def deploy_now(self, project: str, *, protected: int = 0) -> None:
        """Put a deployed stack in place, as if `up` had run before the test."""
        resources = {self._urn(project, i): i < protected for i in range(self.resources_per_stack)}
        self.stacks[project] = StackDouble(
            outputs=dict(self.exports[project]),
            resources=resources,
            references=self._references(project),
        )

    def deploy_all(self) -> None:
        for name in self.topology.names:
            self.deploy_now(name)

    def ops(self, operation: str) -> list[str]:
        """Projects `operation` ran on, in call order."""
        return [project for op, project in self.calls if op == operation]

    @property
    def mutating_calls(self) -> list[tuple[str, str]]:
        return [
            call
            for call in self.calls
            if call[0] in {"up", "destroy", "refresh", "preview", "import"}
        ]

    def resource_count(self, project: str) -> int:
        stack = self.stacks.get(project)
        return len(stack.resources) if stack else 0

    def lose_state(self, project: str) -> None:
        """The stack's checkpoint is gone (moved away, deleted): the backend has no stack."""
        del self.stacks[project]

    # ---- Engine -----------------------------------------------------------------------------

    def stack_name(self, project: str) -> str:
        return f"organization/{project}/{self.environment}"

    def manual_command(self, project: str, arguments: str) -> str:
        return f"pulumi --cwd projects/{project} {arguments} --stack {project}.{self.environment}"

    def inventory(self, projects: Iterable[str]) -> dict[str, int]:
        self._record("inventory", "*")
        found = {name: len(self.stacks[name].resources) for name in projects if name in self.stacks}
        if self.damaged:
            intact = {name: count for name, count in found.items() if name not in self.damaged}
            raise DamagedCheckpoints(self.damaged, intact)
        return found

    def outputs(self, project: str) -> Mapping[str, Any]:
        def action() -> OperationResult:
            return OperationResult(outputs=self._existing(project).outputs)

        return dict(self._operate("outputs", project, action).outputs)

    def state(self, project: str) -> StackState:
        self._record("state", project)
        stack = self.stacks.get(project)
        if stack is None:
            return StackState()
        resources = tuple(
            StateResource(urn, "res", protect) for urn, protect in stack.resources.items()
        )
        references = {name: dict(held) for name, held in stack.references.items()}
        return StackState(resources, tuple(stack.pending_creates), references)

    def restore_hint(self, project: str) -> str | None:
        return self.restore_hints.get(project)

    def up(self, project: str, on_output: OutputSink, *, refresh: bool = False) -> OperationResult:
        self.refreshed[("up", project)] = refresh

        def action() -> OperationResult:
            on_output(f"+ {project} creating")
            stack = self.stacks.setdefault(project, StackDouble())
            created = self.resources_per_stack - len(stack.resources)
            stack.resources = {
                self._urn(project, i): False for i in range(self.resources_per_stack)
            }
            stack.outputs = dict(self.exports[project])
            stack.references = self._references(project)
            return OperationResult(
                changes={"create": created, "same": self.resources_per_stack - created},
                outputs=stack.outputs,
            )

        return self._operate("up", project, action)

    def preview(
        self, project: str, on_output: OutputSink, *, refresh: bool = False
    ) -> OperationResult:
        self.refreshed[("preview", project)] = refresh

        def action() -> OperationResult:
            on_output(f"~ {project} previewing")
            stack = self.stacks.setdefault(project, StackDouble())
            planned = self.plans.get(project)
            if planned is not None:
                return planned
            existing = [ResourceStep("same", urn, "res") for urn in stack.resources]
            created = [
                ResourceStep("create", self._urn(project, i), "res")
                for i in range(len(stack.resources), self.resources_per_stack)
            ]
            changes = {"same": len(existing)} | ({"create": len(created)} if created else {})
            return OperationResult(
                changes=changes,
                outputs=dict(self.exports[project]),
                steps=(*existing, *created),
                previous_outputs=dict(stack.outputs),
            )

        return self._operate("preview", project, action)

    def refresh(
        self, project: str, on_output: OutputSink, *, clear_pending_creates: bool = False
    ) -> OperationResult:
        def action() -> OperationResult:
            stack = self._existing(project)
            if clear_pending_creates:
                stack.pending_creates = []
            return OperationResult(changes={"same": len(stack.resources)})

        return self._operate("refresh", project, action)

    def import_resource(
        self, project: str, resource: PendingCreate, resource_id: str, on_output: OutputSink
    ) -> bool:
        def action() -> OperationResult:
            stack = self._existing(project)
            if self.cloud_ids.get(resource.urn) != resource_id:
                return OperationResult(changes={})
            stack.resources[resource.urn] = False
            return OperationResult(changes={"import": 1})

        return bool(self._operate("import", project, action).changes)

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
            steps = tuple(ResourceStep("same", urn, "res") for urn in stack.resources)
            return OperationResult(changes=changes, steps=steps)

        return self._operate("drift", project, action)

    def cancel(self, project: str) -> None:
        self._record("cancel", project)

    # ---- plumbing ---------------------------------------------------------------------------

    def _urn(self, project: str, index: int) -> str:
        return f"urn:pulumi:{self.environment}::{project}::res::r{index}"

    def _references(self, project: str) -> dict[str, dict[str, Any]]:
        """What a deployed `project` records from its producers, as StackReferences do."""
        return {
            self.stack_name(producer): dict(self.stacks[producer].outputs)
            for producer in self.topology.project(project).requires
            if producer in self.stacks
        }

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
