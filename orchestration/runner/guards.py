"""The checks before (and around) a run: upstream preflight, confirmation, the destroy guards.

Each refusal raises an `OrchestrationError` subclass with one message saying what is wrong and
the command that fixes it; nothing has been touched when it does.

- preflight: the upstream stacks a project reads must exist and export what it requires;
- confirmation: production needs the environment name typed (or `confirm=`), elsewhere a yes;
- the destroy guard: a producer whose consumers still have resources is kept unless `cascade`;
- protected resources: found before anything is destroyed, explained if met during a teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestration.engine.interface import (
    Engine,
    OperationResult,
    OrchestrationError,
    StackNotFound,
)
from orchestration.runner.report import VERBS, Operation, TaskHint
from shared.export_values import export_problem
from shared.settings import EnvironmentSettings
from shared.topology import Topology

# Shows a prompt and returns the answer; None when there is no terminal to ask on.
Ask = Callable[[str], str]


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


class Guards:
    """The checks of one environment's runs, reading the stacks through the engine."""

    def __init__(
        self,
        engine: Engine,
        settings: EnvironmentSettings,
        topology: Topology,
        ask: Ask | None = None,
        hint: TaskHint | None = None,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._topology = topology
        self._ask = ask
        self._hint = hint or TaskHint(settings.environment)

    @property
    def _env(self) -> str:
        return self._settings.environment

    # ---- upstream outputs -------------------------------------------------------------------

    def read_outputs(self, project: str) -> Mapping[str, Any] | None:
        """One stack's outputs, or None when the stack does not exist."""
        try:
            return self._engine.outputs(project)
        except StackNotFound:
            return None

    def upstream_gaps(
        self,
        project: str,
        *,
        within: Iterable[str] | None = None,
        inventory: Mapping[str, int] | None = None,
    ) -> tuple[UpstreamGap, ...]:
        """The upstream stacks `project` reads that are missing or lack required outputs.

        `within` limits the check to those producers (None: every producer). With an
        `inventory` (Engine.inventory), a producer with resources counts as ready without reading
        its outputs: one listing instead of a call per producer.
        """
        spec = self._topology.project(project)
        allowed = None if within is None else set(within)
        gaps = []
        for producer in self._topology.deploy_order(spec.requires):
            if allowed is not None and producer not in allowed:
                continue
            if inventory is not None:
                count = inventory.get(producer)
                if count:
                    continue
                stack = self._engine.stack_name(producer)
                missing = tuple(spec.requires[producer])
                gaps.append(UpstreamGap(project, producer, stack, missing, count))
                continue
            outputs = self.read_outputs(producer)
            missing = tuple(
                key
                for key in spec.requires[producer]
                if outputs is None or outputs.get(key) is None
            )
            if missing:
                count = None if outputs is None else len(outputs)
                stack = self._engine.stack_name(producer)
                gaps.append(UpstreamGap(project, producer, stack, missing, count))
        return tuple(gaps)

    def preflight(self, operation: Operation, selection: Sequence[str]) -> None:
        """PreflightError unless the producers outside `selection` are ready for it."""
        # Only producers outside the selection: this run cannot make them ready.
        outside = set(self._topology.names) - set(selection)
        gaps = [
            gap
            for name in self._topology.deploy_order(selection)
            for gap in self.upstream_gaps(name, within=outside)
        ]
        if not gaps:
            return
        verb, past = VERBS[operation]
        consumers = ", ".join(dict.fromkeys(gap.consumer for gap in gaps))
        producers = self._topology.deploy_order({gap.producer for gap in gaps})
        fix = " then ".join(self._hint.command("deploy", name) for name in producers)
        message = (
            f"cannot {verb} {consumers} in {self._env}: it reads upstream outputs that "
            f"are not there: {'; '.join(gap.describe() for gap in gaps)}. Deploy the upstream "
            f"first: {fix}."
        )
        if operation is Operation.PREVIEW:
            message += (
                " To see what the whole environment would look like without deploying anything:"
                f" {self._hint.command('plan')}."
            )
        raise PreflightError(f"{message} Nothing was {past}.")

    def check_exports(self, project: str, result: OperationResult) -> None:
        """A deployed producer must export what the topology declares, for its consumers."""
        spec = self._topology.project(project)
        missing = [key for key in spec.exports if result.outputs.get(key) is None]
        if missing:
            raise OrchestrationError(
                f"deployed, but does not export {', '.join(missing)}, which shared/topology.py "
                "declares: its consumers cannot read them"
            )
        wrong = [
            f"{key}={result.outputs[key]!r} {problem}"
            for key in spec.exports
            if (
                problem := export_problem(
                    key,
                    result.outputs[key],
                    may_be_empty=key in spec.may_be_empty,
                    region=self._settings.region,
                )
            )
        ]
        if wrong:
            raise OrchestrationError(
                f"deployed, but exports {'; '.join(wrong)}: its consumers must not build on "
                "it. Fix the program's export (shared/export_values.py says what is valid); "
                "its consumers were not deployed"
            )

    # ---- confirmation -----------------------------------------------------------------------

    def confirm(
        self,
        operation: Operation,
        question: str,
        *,
        yes: bool,
        confirm: str | None,
        yes_suffices: bool,
    ) -> None:
        """ConfirmationRequired unless `confirm` names the environment, `yes`, or a prompt."""
        env = self._env
        verb, past = VERBS[operation]
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

    # ---- destroy ----------------------------------------------------------------------------

    def destroy_selection(
        self, project: str | None, cascade: bool, inventory: Mapping[str, int]
    ) -> tuple[str, ...]:
        """What a destroy of `project` may touch; DestroyRefused while consumers hold resources.

        `inventory`: project -> resources in its state (Engine.inventory).
        """
        if project is None:
            return self._topology.names
        self._topology.project(project)
        consumers = self._topology.all_consumers(project)
        if cascade:
            return (project, *consumers)
        busy = {name: count for name in consumers if (count := inventory.get(name, 0))}
        if busy:
            listed = ", ".join(
                f"{name} ({self._engine.stack_name(name)}, team "
                f"{self._topology.project(name).team}, {count} resources)"
                for name, count in busy.items()
            )
            first = " then ".join(
                self._hint.command("destroy", name) for name in self._topology.teardown_order(busy)
            )
            cascade_command = self._hint.command("destroy", project, "--cascade")
            raise DestroyRefused(
                f"refusing to destroy {project} in {self._env}: projects that read its "
                f"outputs still have resources: {listed}. Destroy them first ({first}), or "
                f"destroy {project} with its consumers, consumers first: {cascade_command}. "
                "Nothing was destroyed."
            )
        return (project,)

    def protected_message(self, protected: Mapping[str, Sequence[str]], *, destroyed: bool) -> str:
        """Which protected resources stop the teardown, and how to lift the protection."""
        lines = [
            f"{'the teardown stopped' if destroyed else 'cannot destroy'} in {self._env}:"
            " protected resources cannot be deleted"
            + ("." if destroyed else " (nothing was destroyed).")
        ]
        for name, urns in protected.items():
            lines.append(f"  {self._engine.stack_name(name)}:")
            lines.extend(f"    {urn}" for urn in urns or ("(see the engine output above)",))
        lines.append(
            "Protection is deliberate (production keeps its data and keys). To tear down anyway, "
            "remove the protection in the program and deploy, or unprotect them in the state:"
        )
        unprotect = "state unprotect --all --yes"
        lines.extend(f"  {self._engine.manual_command(name, unprotect)}" for name in protected)
        lines.append("then run the destroy again.")
        return "\n".join(lines)
