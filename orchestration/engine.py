"""The engine interface the runner drives: one operation on one stack at a time.

An engine serves one environment, fixed when it is built; a stack is identified by its project,
and the stack name is the environment name. An implementation streams the engine's progress as
text lines through `on_output`, returns an `OperationResult` and raises only the `EngineError`
subclasses below, each with a message that says what happened and what to do. The runner adds
the stack prefix, measures durations and turns errors into per-stack results; the Automation
API adapter is `orchestration.automation` and the tests use an in-memory double.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

# Receives the engine's progress, one line at a time (may be called from a worker thread).
OutputSink = Callable[[str], None]

# Operations the engine reports that change nothing (Pulumi's "same", and reads of data sources).
NO_CHANGE_OPS = frozenset({"same", "read"})


class OrchestrationError(Exception):
    """A refusal or failure whose message is for the user as it is: what is wrong, what to do."""


class BackendError(OrchestrationError):
    """The state backend or the secrets provider cannot be used as configured."""


class EngineError(OrchestrationError):
    """Base of everything an engine raises."""


class StackNotFound(EngineError):
    """The stack does not exist on the backend."""


class StackLocked(EngineError):
    """Another update holds the stack's lock (Pulumi's ConcurrentUpdateError)."""


# The Automation API's name for the same condition.
ConcurrentUpdate = StackLocked


class ProtectedResources(EngineError):
    """A destroy met resources marked `protect`."""

    def __init__(self, message: str, urns: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.urns = urns


class EngineFailure(EngineError):
    """The operation ran and failed (program error, provider error, policy violation ...)."""


class EngineUnavailable(EngineError):
    """The engine cannot run at all (no usable Pulumi CLI)."""


class Interrupted(EngineError):
    """The operation was cancelled by an interrupt before it finished."""


@dataclass(frozen=True)
class OperationResult:
    """What one operation did (or, for previews, would do)."""

    # Pulumi operation name ("create", "update", "delete", "replace", "same" ...) -> resource count.
    changes: Mapping[str, int] = field(default_factory=dict)
    # Stack outputs after an `up`; empty for the other operations.
    outputs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))
        object.__setattr__(self, "outputs", MappingProxyType(dict(self.outputs)))

    @property
    def changed(self) -> int:
        """How many resources the operation creates, updates, replaces or deletes."""
        return sum(count for op, count in self.changes.items() if op not in NO_CHANGE_OPS)


class Engine(Protocol):
    """Operations on the stacks of one environment. Implementations must be thread-safe.

    The environment is fixed when the engine is built (its backend serves one environment), so
    the operations take only the project.
    """

    @property
    def environment(self) -> str:
        """The environment (and stack name) every operation works on."""
        ...

    def stack_name(self, project: str) -> str:
        """The fully qualified stack name on the active backend."""
        ...

    def manual_command(self, project: str, arguments: str) -> str:
        """A shell command that runs `pulumi <arguments>` by hand against this stack."""
        ...

    def stack_exists(self, project: str) -> bool:
        """Whether the stack exists (deployed or not)."""
        ...

    def outputs(self, project: str) -> Mapping[str, Any]:
        """The stack's outputs, secrets masked; StackNotFound when there is no stack."""
        ...

    def resource_count(self, project: str) -> int:
        """Resources in the stack's state; 0 when there is no stack."""
        ...

    def protected_resources(self, project: str) -> tuple[str, ...]:
        """URNs of the resources marked `protect`; empty when there is no stack."""
        ...

    def up(self, project: str, on_output: OutputSink) -> OperationResult:
        """Create or update the stack's resources (creating the stack if needed)."""
        ...

    def preview(self, project: str, on_output: OutputSink) -> OperationResult:
        """What `up` would change (creating an empty stack if needed)."""
        ...

    def refresh(self, project: str, on_output: OutputSink) -> OperationResult:
        """Bring the stack's state in line with the cloud; StackNotFound when there is no stack."""
        ...

    def destroy(self, project: str, on_output: OutputSink) -> OperationResult:
        """Delete every resource of the stack (the stack and its history stay)."""
        ...

    def drift_preview(self, project: str, on_output: OutputSink) -> OperationResult:
        """A preview after a refresh: any change means the cloud drifted from the program."""
        ...

    def cancel(self, project: str) -> None:
        """Release the lock of an update that is no longer running."""
        ...
