"""Nothing lost, nothing orphaned: the checks that keep a run from losing resources or state.

- `check_update`: before a stack is updated, its preview must not delete or replace a resource
  that holds data or keys (`shared.aws_types.holds_data`: so does a type no row marks
  stateless), nor delete every resource of the stack (what Pulumi makes of a program that
  exits early), unless the user passed `--allow-delete`; and the outputs the stack will have
  must still include what its consumers read (never overridable: shared/topology.py is the
  contract).
- `lost_states`: a stack without resources whose consumers' state still holds its outputs (read
  through a StackReference) has lost its state: its resources are most likely still in the
  cloud. Deploying it afresh would duplicate them and orphan the originals, so the runs refuse
  or report it, with the ways to restore it.
- `foreign_message`: a stack whose state holds another stack's resources (that stack's
  checkpoint copied or restored over it) is never updated or destroyed, whatever the flags:
  either would delete the other stack's resources. The refusal says whose checkpoint it is and
  how to put the stack's own back.
- `inventory`: a stack whose checkpoint cannot be read stops the runs that need it (it is
  selected, or it may be evidence for one that is) and only those; the others go on.
- `settle_pending_creates`: the creates an interrupted update left pending are imported when
  the provider finds the resource (its id follows from its inputs) and dropped otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestration.engine.interface import (
    DELETE_OPS,
    REPLACE_OPS,
    STACK_TYPE,
    DamagedCheckpoints,
    Engine,
    OperationResult,
    OrchestrationError,
    OutputSink,
    PendingCreate,
    ResourceStep,
)
from orchestration.runner.report import TaskHint
from orchestration.state.checkpoint import foreign_owner
from shared.aws_types import holds_data, import_id
from shared.topology import Topology

# Steps after which the resource is no longer in the cloud (or no longer read).
_GONE_OPS = DELETE_OPS | frozenset({"discard", "discard-replaced", "delete-replaced"})
# How many resources a refusal lists before it says "and N more".
_LISTED = 12


class UpdateRefused(OrchestrationError):
    """A stack's update would lose resources or break its consumers; nothing was changed."""


class DamagedState(OrchestrationError):
    """A checkpoint the run needs cannot be read; nothing was run."""


class ForeignState(OrchestrationError):
    """A stack's state holds another stack's resources; nothing was changed."""


class StateLost(OrchestrationError):
    """A producer's state is missing while its consumers still reference it."""


@dataclass(frozen=True)
class LostState:
    """A stack whose state is missing, and the evidence that it existed."""

    project: str
    stack: str
    # The consumers whose state references it, and the outputs they recorded from it.
    consumers: tuple[str, ...]
    outputs: Mapping[str, Any]
    # A command that puts the backend's newest backup of its state back, when there is one.
    restore: str | None


class LossGuards:
    """The update guard, the lost-state guard and the pending-create settlement of one run."""

    def __init__(self, engine: Engine, topology: Topology, hint: TaskHint) -> None:
        self._engine = engine
        self._topology = topology
        self._hint = hint

    # ---- the update guard -------------------------------------------------------------------

    def check_update(self, project: str, planned: OperationResult, *, allow_delete: bool) -> None:
        """UpdateRefused when the planned update loses resources or outputs consumers read."""
        foreign = self.foreign_message(project, (step.urn for step in planned.steps))
        if foreign is not None:
            raise UpdateRefused(f"refused, nothing was changed in this stack: {foreign}")
        problems = []
        removed = _removals(planned.steps)
        if not allow_delete:
            if _deletes_everything(planned.steps):
                problems.append(
                    f"it would delete every resource of the stack ({len(removed)}): Pulumi "
                    'reads a program that exits early or registers nothing as "delete '
                    'everything"'
                )
            stateful = [(how, step) for how, step in removed if holds_data(step.type)]
            if stateful:
                problems.append(
                    "it would delete or replace resources that hold data or keys:\n"
                    + "\n".join(f"      {how} {step.type} {step.name}" for how, step in stateful)
                )
            elif problems:
                problems[-1] += ":\n" + _listing(removed)
        missing = self.missing_exports(project, planned.outputs)
        if missing:
            problems.append(missing)
        if not problems:
            return
        lines = ["refused, nothing was changed in this stack:"]
        lines.extend(f"  - {problem}" for problem in problems)
        if not allow_delete and len(problems) > bool(missing):
            lines.append(
                "If the program is right and you mean to delete them, run "
                f"{self._hint.command('deploy', project, '--allow-delete')}"
                + (" (the missing outputs must be restored either way)." if missing else ".")
            )
        raise UpdateRefused("\n".join(lines))

    def missing_exports(self, project: str, outputs: Mapping[str, Any]) -> str | None:
        """What is wrong when `outputs` lack an export shared/topology.py declares (else None)."""
        declared = self._topology.project(project).exports
        missing = [key for key in declared if outputs.get(key) is None]
        if not missing:
            return None
        readers = [
            consumer
            for consumer in self._topology.consumers(project)
            if set(self._topology.project(consumer).requires[project]) & set(missing)
        ]
        who = (
            f"which {', '.join(readers)} read{'s' if len(readers) == 1 else ''}"
            if readers
            else "which shared/topology.py declares"
        )
        return f"its program would no longer export {', '.join(missing)}, {who}"

    # ---- lost state -------------------------------------------------------------------------

    def lost_states(
        self, selection: Iterable[str], inventory: Mapping[str, int]
    ) -> dict[str, LostState]:
        """The selected stacks without resources whose consumers' state references them.

        `inventory`: project -> resources in its state (absent: no stack), from Engine.inventory.
        A consumer's state is read only when a producer has no resources.
        """
        found: dict[str, LostState] = {}
        for project in self._topology.deploy_order(selection):
            if inventory.get(project, 0):
                continue
            stack = self._engine.stack_name(project)
            consumers: list[str] = []
            outputs: dict[str, Any] = {}
            for consumer in self._topology.consumers(project):
                if not inventory.get(consumer, 0):
                    continue
                held = self._engine.state(consumer).references.get(stack)
                if held:
                    consumers.append(consumer)
                    outputs.update(held)
            if consumers:
                restore = self._engine.restore_hint(project)
                found[project] = LostState(project, stack, tuple(consumers), outputs, restore)
        return found

    def lost_message(self, lost: LostState) -> str:
        """What happened to the state, why that matters, and how to restore it."""
        shown = ", ".join(f"{key}={_short(value)}" for key, value in sorted(lost.outputs.items()))
        if lost.restore:
            restore = f"put the backend's newest backup of it back: {lost.restore}"
        else:
            history = self._hint.command("state history", lost.project)
            version = self._hint.command("state restore", lost.project, "--version ID")
            restore = (
                f"on a state bucket, list the checkpoint's stored versions with {history} and "
                f"put the last good one back with {version}; elsewhere restore "
                f"`.pulumi/stacks/{lost.project}/{self._hint.environment}.json` from the "
                "backend's backups"
            )
        return (
            f"the state of {lost.stack} is missing, but {', '.join(lost.consumers)} still "
            f"read it: their state holds its outputs ({shown}). Its resources are most likely "
            "still in the cloud; creating them afresh would make a second set and leave the "
            f"first one unmanaged. Restore its state: {restore}; or adopt each resource into "
            f"a new stack with `pulumi import` (the outputs above name them). Then check with "
            f"{self._hint.command('drift')}."
        )

    # ---- damaged checkpoints ----------------------------------------------------------------

    def inventory(
        self, selection: Sequence[str], say: Callable[[str], None], *, destroying: bool = False
    ) -> Mapping[str, int]:
        """Every stack's resource count; `say` notes the damaged checkpoints the run leaves alone.

        DamagedState when a damaged one is selected, or is a consumer of a selected stack that
        it may still depend on: every consumer when destroying, else of a selected stack
        without resources (its state may be lost, and the consumer's state is the evidence).
        """
        try:
            return self._engine.inventory(self._topology.names)
        except DamagedCheckpoints as error:
            found = error.inventory
            needed = [
                name
                for name in error.damaged
                if name in selection
                or any(
                    name in self._topology.all_consumers(chosen)
                    and (destroying or not found.get(chosen))
                    for chosen in selection
                )
            ]
            if needed:
                listed = " ".join(error.damaged[name] for name in needed)
                raise DamagedState(f"{listed} Nothing was run.") from error
            for message in error.damaged.values():
                say(f"NOTE: {message}")
            return found

    # ---- another stack's checkpoint ---------------------------------------------------------

    def foreign_message(self, project: str, urns: Iterable[str]) -> str | None:
        """What is wrong when `urns` (from the stack's state or preview) name another stack."""
        env = self._hint.environment
        owner = foreign_owner(urns, project, env)
        if owner is None:
            return None
        restore = self._engine.restore_hint(project)
        if restore:
            how = f"put the backend's newest backup back (check that it is {project}'s): {restore}"
        else:
            history = self._hint.command("state history", project)
            version = self._hint.command("state restore", project, "--version ID")
            how = (
                f"on a state bucket, find its own version with {history} (another stack's is "
                f"listed as NOT THIS STACK'S) and put it back with {version}; elsewhere "
                f"restore `.pulumi/stacks/{project}/{env}.json` from the backend's backups"
            )
        return (
            f"the state of {self._engine.stack_name(project)} holds the resources of {owner}: "
            f"{owner}'s checkpoint was copied or restored over it. Updating or destroying it "
            f"would delete {owner}'s resources, so no flag allows it. Put {project}'s own "
            f"checkpoint back: {how}"
        )

    def check_owner(self, project: str, urns: Iterable[str], *, then: str = "") -> None:
        """ForeignState when `urns` (the stack's state or a preview of it) name another stack;
        `then` ends its message."""
        foreign = self.foreign_message(project, urns)
        if foreign is not None:
            raise ForeignState(foreign + then)

    # ---- pending creates --------------------------------------------------------------------

    def settle_pending_creates(
        self, project: str, sink: OutputSink, pending: Sequence[PendingCreate]
    ) -> bool:
        """Import or drop what an interrupted update left pending; whether any was pending.

        Each pending create whose id follows from its inputs is imported (the provider reads
        whether it exists); the rest can only be dropped, which is said, with how to adopt one
        that AWS did create.
        """
        for resource in pending:
            resource_id = import_id(resource.type, resource.inputs)
            if resource_id is None:
                sink(
                    f"pending create of {resource.type} {resource.name} dropped: AWS chooses "
                    "its id, so whether it was created cannot be read back. If it exists "
                    "(look for it by its tags), adopt it with "
                    + self._engine.manual_command(
                        project, f"import {resource.type} {resource.name} <id>"
                    )
                )
            elif self._engine.import_resource(project, resource, resource_id, sink):
                sink(f"pending create of {resource.type} {resource.name}: it exists, adopted")
            else:
                sink(f"pending create of {resource.type} {resource.name}: never made, dropped")
        return bool(pending)


def lost_refusal(messages: Sequence[str], fix: str) -> StateLost:
    """One refusal naming every lost state."""
    return StateLost(" ".join(messages) + f" {fix} Nothing was changed.")


def _removals(steps: Sequence[ResourceStep]) -> list[tuple[str, ResourceStep]]:
    """(how, step) for each resource the update takes out of the cloud, once per resource."""
    seen: dict[str, tuple[str, ResourceStep]] = {}
    for step in steps:
        if step.type == STACK_TYPE or step.type.startswith("pulumi:providers:"):
            continue
        if step.op in REPLACE_OPS:
            seen[step.urn] = ("replace", step)
        elif step.op in DELETE_OPS and step.urn not in seen:
            seen[step.urn] = ("delete", step)
    return list(seen.values())


def _deletes_everything(steps: Sequence[ResourceStep]) -> bool:
    resources = [step for step in steps if step.type != STACK_TYPE]
    deleted = any(step.op in DELETE_OPS for step in resources)
    return deleted and all(step.op in _GONE_OPS for step in resources)


def _listing(removed: Sequence[tuple[str, ResourceStep]]) -> str:
    lines = [f"      {how} {step.type} {step.name}" for how, step in removed[:_LISTED]]
    if len(removed) > _LISTED:
        lines.append(f"      ... and {len(removed) - _LISTED} more")
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
