"""The engine interface the runner drives: one operation on one stack at a time.

An engine serves one environment, fixed when it is built; a stack is identified by its project,
and the stack name is the environment name. An implementation streams the engine's progress as
text lines through `on_output`, returns an `OperationResult` and raises only the `EngineError`
subclasses below, each with a message that says what happened and what to do. The runner adds
the stack prefix, measures durations and turns errors into per-stack results; the engine over
the Pulumi CLI is `orchestration.engine.cli_engine` and the tests use an in-memory double.

Previews and updates report their resource steps and the stack's outputs, so the runner can
judge an update before it runs it (`orchestration.runner.loss`); the state is read as a
`StackState` (resources, pending creates, the outputs recorded from other stacks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

# Receives the engine's progress, one line at a time (may be called from a worker thread).
OutputSink = Callable[[str], None]

# Operations the engine reports that change nothing (Pulumi's "same", and reads of data sources).
NO_CHANGE_OPS = frozenset({"same", "read"})
# Steps that take a resource out of the cloud: a deletion, or a replacement (the old one goes).
DELETE_OPS = frozenset({"delete"})
REPLACE_OPS = frozenset({"replace", "create-replacement", "delete-replaced"})
# The root resource of every stack: it holds the outputs, nothing in the cloud.
STACK_TYPE = "pulumi:pulumi:Stack"


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


class DamagedCheckpoints(EngineError):
    """Some stacks' checkpoints cannot be read; the listing of the others still stands."""

    def __init__(self, damaged: Mapping[str, str], inventory: Mapping[str, int]) -> None:
        super().__init__(" ".join(damaged.values()))
        # project -> what is wrong with its checkpoint and how to put an intact one back.
        self.damaged = dict(damaged)
        # project -> resources, for the stacks whose checkpoint is intact.
        self.inventory = dict(inventory)


class EngineFailure(EngineError):
    """The operation ran and failed (program error, provider error, policy violation ...)."""


class EngineUnavailable(EngineError):
    """The engine cannot run at all (no usable Pulumi CLI)."""


class Interrupted(EngineError):
    """The operation was cancelled by an interrupt before it finished."""


class EngineKilled(EngineFailure):
    """The engine's process was killed mid-operation: a lock and pending operations may remain."""


@dataclass(frozen=True)
class ResourceStep:
    """One resource step of an operation: what the engine did (or, in a preview, would do)."""

    op: str
    urn: str
    type: str

    @property
    def name(self) -> str:
        """The resource's logical name (the URN's last segment)."""
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class OperationResult:
    """What one operation did (or, for previews, would do)."""

    # Pulumi operation name ("create", "update", "delete", "replace", "same" ...) -> resource count.
    changes: Mapping[str, int] = field(default_factory=dict)
    # Stack outputs after an `up`; for a preview the outputs the program would export (values
    # not known before the update are placeholders: only the keys are certain). Empty otherwise.
    outputs: Mapping[str, Any] = field(default_factory=dict)
    # Every resource step, in the order the engine reported them (previews and updates).
    steps: tuple[ResourceStep, ...] = ()
    # A preview's view of the outputs the stack has now; None when not known.
    previous_outputs: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", MappingProxyType(dict(self.changes)))
        object.__setattr__(self, "outputs", MappingProxyType(dict(self.outputs)))
        object.__setattr__(self, "steps", tuple(self.steps))
        if self.previous_outputs is not None:
            object.__setattr__(
                self, "previous_outputs", MappingProxyType(dict(self.previous_outputs))
            )

    @property
    def changed(self) -> int:
        """How many resources the operation creates, updates, replaces or deletes."""
        return sum(count for op, count in self.changes.items() if op not in NO_CHANGE_OPS)

    @property
    def needs_update(self) -> bool:
        """For a preview: whether an update would change anything (a resource, or an output)."""
        if self.changed:
            return True
        return self.previous_outputs is not None and dict(self.outputs) != dict(
            self.previous_outputs
        )


@dataclass(frozen=True)
class StateResource:
    """One resource in a stack's state."""

    urn: str
    type: str
    protect: bool = False
    # The cloud's id and ARN of the resource ("" when it has none): the census compares them.
    id: str = ""
    arn: str = ""


@dataclass(frozen=True)
class PendingCreate:
    """A create an interrupted update started but never recorded: it may or may not exist."""

    urn: str
    type: str
    # Its inputs as the state holds them (secret values stay encrypted).
    inputs: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    # The provider reference as the state holds it: `<provider URN>::<provider id>`.
    provider: str | None = None

    @property
    def name(self) -> str:
        """The resource's logical name (the URN's last segment)."""
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class StackState:
    """What a stack's state holds, as far as the guards need it (empty: no stack)."""

    resources: tuple[StateResource, ...] = ()
    pending_creates: tuple[PendingCreate, ...] = ()
    # Fully qualified name of each stack this one reads through a StackReference -> the
    # outputs its state recorded from it.
    references: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def protected(self) -> tuple[str, ...]:
        """URNs of the resources marked `protect`."""
        return tuple(resource.urn for resource in self.resources if resource.protect)


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

    def inventory(self, projects: Iterable[str]) -> Mapping[str, int]:
        """project -> resources in its stack's state, for those of `projects` whose stack exists.

        One listing of the backend for the whole environment. DamagedCheckpoints when some
        checkpoints cannot be read (with the listing of the intact ones).
        """
        ...

    def outputs(self, project: str) -> Mapping[str, Any]:
        """The stack's outputs, secrets masked; StackNotFound when there is no stack."""
        ...

    def state(self, project: str) -> StackState:
        """What the stack's state holds; an empty StackState when there is no stack."""
        ...

    def restore_hint(self, project: str) -> str | None:
        """A command that puts the backend's newest backup of the stack's state back in place.

        None when the backend keeps none this engine can find.
        """
        ...

    def up(self, project: str, on_output: OutputSink, *, refresh: bool = False) -> OperationResult:
        """Create or update the stack's resources (creating the stack if needed).

        `refresh`: read every resource from the cloud first, so drift is repaired too.
        """
        ...

    def preview(
        self, project: str, on_output: OutputSink, *, refresh: bool = False
    ) -> OperationResult:
        """What `up` would change (creating an empty stack if needed), with its steps."""
        ...

    def refresh(
        self, project: str, on_output: OutputSink, *, clear_pending_creates: bool = False
    ) -> OperationResult:
        """Bring the stack's state in line with the cloud; StackNotFound when there is no stack.

        `clear_pending_creates`: also drop the creates an interrupted update left pending.
        """
        ...

    def import_resource(
        self, project: str, resource: PendingCreate, resource_id: str, on_output: OutputSink
    ) -> bool:
        """Adopt the cloud resource `resource_id` as `resource`; False when it does not exist."""
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
