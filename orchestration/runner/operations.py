"""The operations of one environment: which stacks, in which order, under which guards.

Every public operation of `Orchestrator` works on the environment its engine serves:

- selection: every project, or one (`project=`), or one and its consumers (`cascade=True`);
- order: deploy and destroy follow the levels of `shared.topology.TOPOLOGY` (producers before
  consumers; reversed for a teardown), projects of one level at once; preview, drift, refresh
  and outputs change nothing another stack reads, so they work on every selected stack at once
  (at most `parallel`), reported in deploy order;
- the guards (`Guards`, `LossGuards`, `KeyGuard`) run before anything is touched: a deploy
  previews each stack that has resources and updates it only when the preview passes the loss
  and key guards and shows something to change; a stack whose state is lost, or a key deleted
  behind Pulumi's back, is never recreated silently.

Refusals raise `OrchestrationError` subclasses (nothing has been touched when they do); what ran
comes back as a `RunReport`, already printed as a summary table, with the process exit code.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TextIO, TypeVar

from orchestration.engine.interface import (
    Engine,
    OrchestrationError,
    OutputSink,
    ProtectedResources,
)
from orchestration.exit_codes import EXIT_OK
from orchestration.runner.census import CensusGuard, CensusReader
from orchestration.runner.guards import Ask, Guards, TeardownBlocked
from orchestration.runner.keys import KeyGuard, KeyReader
from orchestration.runner.loss import LossGuards, LostState, lost_refusal
from orchestration.runner.report import (
    Operation,
    Printer,
    RunReport,
    Status,
    TaskHint,
    recovery_text,
    summary_text,
)
from orchestration.runner.scheduler import (
    DEFAULT_MAX_WORKERS,
    DEFAULT_PARALLEL,
    Clock,
    Scheduler,
    Skip,
    Step,
    StepFunction,
)
from shared.output_target import OutputTarget
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY, Topology

T = TypeVar("T")


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
        endpoint: str | None = None,
        parallel: int = DEFAULT_PARALLEL,
        read_key: KeyReader | None = None,
        census: CensusReader | None = None,
    ) -> None:
        if engine.environment != settings.environment:
            raise ValueError(
                f"the engine serves {engine.environment!r}, the settings are for "
                f"{settings.environment!r}"
            )
        if parallel < 1:
            raise ValueError("parallel must be at least 1")
        self._engine = engine
        self._settings = settings
        self._topology = topology
        self._parallel = parallel
        self._printer = Printer(out if out is not None else sys.stdout)
        # Follow-up commands keep the --endpoint the user passed.
        self._hint = TaskHint(settings.environment, endpoint)
        self._guards = Guards(engine, settings, topology, ask, self._hint)
        self._loss = LossGuards(engine, topology, self._hint)
        self._keys = KeyGuard(engine, topology, self._hint, settings.region, read_key)
        # None: the run has no AWS access, and the census is skipped (said once).
        self._census = CensusGuard(
            census, topology.names, self._hint, engine.stack_name, self._printer.say
        )
        self._scheduler = Scheduler(
            environment=settings.environment,
            stack_name=engine.stack_name,
            printer=self._printer,
            max_workers=max_workers,
            clock=clock,
        )

    @property
    def engine(self) -> Engine:
        """The engine every operation goes through."""
        return self._engine

    @property
    def settings(self) -> EnvironmentSettings:
        """The settings of the environment every operation works on."""
        return self._settings

    @property
    def environment(self) -> str:
        """The environment (and stack name) every operation works on."""
        return self._settings.environment

    def stack_name(self, project: str) -> str:
        """The project's fully qualified stack name, as the engine's backend names it."""
        return self._engine.stack_name(project)

    # ---- operations -------------------------------------------------------------------------

    def deploy(
        self,
        project: str | None = None,
        *,
        yes: bool = False,
        confirm: str | None = None,
        refresh: bool = True,
        allow_delete: bool = False,
        recreate_missing_state: bool = False,
    ) -> RunReport:
        """Converge the selected stacks to their programs, in dependency order.

        Each stack that has resources is previewed first (reading the cloud unless `refresh` is
        False) and updated only when the preview passes the loss guard and shows changes; an
        update then reads the cloud again and repairs drift. `allow_delete` lets an update
        delete or replace keys and buckets, or every resource; `recreate_missing_state` lets a
        stack whose state is lost be created afresh.
        """
        selection = self._select(project)
        self._guards.preflight(Operation.DEPLOY, selection)
        inventory, lost = self._survey(selection)
        self._refuse_existing(project, selection, inventory, lost, recreate_missing_state)
        order = self._topology.deploy_order(selection)
        self._guards.confirm(
            Operation.DEPLOY,
            f"Deploy {', '.join(order)} to {self.environment}?",
            yes=yes,
            confirm=confirm,
            yes_suffices=True,
        )
        if not refresh:
            self._printer.say(
                "--no-refresh: the cloud is not read first, so drift (a deleted bucket, a "
                "changed key setting) is neither seen nor repaired by this deploy."
            )

        def step(name: str, sink: OutputSink) -> Step:
            if inventory.get(name, 0):
                planned = self._engine.preview(name, sink, refresh=refresh)
                self._loss.check_update(name, planned, allow_delete=allow_delete)
                self._keys.check(name, planned, sink, allow_delete=allow_delete, run=project)
                if not planned.needs_update:
                    return Step(Status.SUCCEEDED, planned.changes)
            # Producers are held to their exports right after their `up` (fail fast), so a
            # consumer never starts against a missing output.
            result = self._engine.up(name, sink, refresh=refresh)
            self._guards.check_exports(name, result)
            return Step(Status.SUCCEEDED, result.changes)

        levels = self._topology.deploy_levels(selection)
        return self._reported(self._scheduler.run(Operation.DEPLOY, levels, step), project)

    def _refuse_existing(
        self,
        project: str | None,
        selection: Sequence[str],
        inventory: Mapping[str, int],
        lost: Mapping[str, LostState],
        recreate: bool,
    ) -> None:
        """StateLost when a stack the deploy would create has lost its state, or the cloud
        census finds its resources (or cannot be taken); `recreate` lets it go on."""
        order = self._topology.deploy_order(selection)
        empty = [name for name in order if not inventory.get(name)]
        found = self._census.refusals(empty, recreate=recreate)
        if not (lost or found) or recreate:
            return
        names = [name for name in order if name in {*lost, *found}] or empty
        flag = self._hint.command("deploy", project, "--recreate-missing-state")
        raise lost_refusal(
            [self._loss.lost_message(state) for state in lost.values()] + list(found.values()),
            f"To create {', '.join(names)} afresh anyway (the old resources stay in the cloud, "
            f"unmanaged): {flag}.",
        )

    def preview(self, project: str | None = None) -> RunReport:
        """A real `pulumi preview` per stack, in dependency order."""
        selection = self._select(project)
        self._guards.preflight(Operation.PREVIEW, selection)
        inventory, lost = self._survey(selection)

        def step(name: str, sink: OutputSink) -> Step:
            gaps = self._guards.upstream_gaps(name, within=selection, inventory=inventory)
            if gaps:
                raise Skip(
                    f"upstream not deployed yet ({'; '.join(gap.describe() for gap in gaps)}): "
                    f"see {self._hint.command('plan')} for an offline plan of the whole "
                    "environment"
                )
            return Step(Status.SUCCEEDED, self._engine.preview(name, sink).changes)

        return self._run_read_only(Operation.PREVIEW, project, step, lost)

    def refresh(self, project: str | None = None) -> RunReport:
        """Adopt the cloud's current state into each existing stack's state.

        Creates an interrupted update left pending are settled first: imported when the
        resource exists, dropped when it does not.
        """
        selection = self._select(project)
        inventory, lost = self._survey(selection)

        def step(name: str, sink: OutputSink) -> Step:
            if name not in inventory:
                raise Skip("the stack does not exist; nothing to refresh")
            state = self._engine.state(name)
            self._loss.check_owner(name, (resource.urn for resource in state.resources))
            pending = self._loss.settle_pending_creates(name, sink, state.pending_creates)
            result = self._engine.refresh(name, sink, clear_pending_creates=pending)
            return Step(Status.SUCCEEDED, result.changes)

        return self._run_read_only(Operation.REFRESH, project, step, lost)

    def destroy(
        self,
        project: str | None = None,
        *,
        cascade: bool = False,
        yes: bool = False,
        confirm: str | None = None,
    ) -> RunReport:
        """Tear down in reverse dependency order, behind the destroy guard and the confirmation."""
        inventory = self._loss.inventory(self._select(project), self._printer.say, destroying=True)
        selection = self._guards.destroy_selection(project, cascade, inventory)
        lost = self._loss.lost_states(selection, inventory)
        if lost:
            keep = {name for state in lost.values() for name in state.consumers}
            roots = [
                name
                for name in self._topology.deploy_order(keep)
                if not set(self._topology.all_producers(name)) & keep
            ]
            only = " and ".join(self._hint.command("destroy", name, "--cascade") for name in roots)
            raise lost_refusal(
                [self._loss.lost_message(state) for state in lost.values()],
                "Destroying now would leave its resources in the cloud with nothing to delete "
                f"them: restore its state first. To destroy only the stacks that read it: {only}.",
            )
        counts = {name: inventory.get(name, 0) for name in selection}
        order = [name for name in self._topology.teardown_order(selection) if counts[name]]
        states = self._read_all(order, self._engine.state)
        for name, state in states.items():
            urns = (resource.urn for resource in state.resources)
            self._loss.check_owner(name, urns, then="; nothing was destroyed")
        protected = {name: state.protected for name, state in states.items() if state.protected}
        if protected:
            raise TeardownBlocked(self._guards.protected_message(protected, destroyed=False))
        if order:
            listed = ", ".join(f"{name} ({counts[name]} resources)" for name in order)
            self._guards.confirm(
                Operation.DESTROY,
                f"Destroy every resource of {listed} in {self.environment}?",
                yes=yes,
                confirm=confirm,
                yes_suffices=not self._settings.production,
            )
        else:
            self._printer.say(
                f"Nothing to destroy in {self.environment}: no selected stack has resources."
            )

        def step(name: str, sink: OutputSink) -> Step:
            if not counts[name]:
                raise Skip("no resources to destroy")
            try:
                result = self._engine.destroy(name, sink)
            except ProtectedResources as error:
                raise TeardownBlocked(
                    self._guards.protected_message({name: error.urns}, destroyed=True)
                ) from error
            return Step(Status.SUCCEEDED, result.changes)

        levels = self._topology.teardown_levels(selection)
        report = self._scheduler.run(Operation.DESTROY, levels, step)
        reported = self._reported(report, project, *(("--cascade",) if cascade else ()))
        gone = (Status.SUCCEEDED, Status.SKIPPED)
        for warning in self._census.leftovers(
            o.project for o in report.outcomes if o.status in gone
        ):
            self._printer.say(warning)
        return reported

    def drift(self, project: str | None = None) -> RunReport:
        """Preview with refresh for every stack; clean only when nothing would change."""
        selection = self._select(project)
        inventory, lost = self._survey(selection)

        self._census.take_or_warn("unmanaged resources are not looked for")

        def step(name: str, sink: OutputSink) -> Step:
            if not inventory.get(name):
                found = self._census.existing([name])
                if found:
                    return Step(Status.LOST, detail=self._census.found_message(name, found[name]))
                return Step(
                    Status.MISSING,
                    detail=f"not deployed: {self._hint.command('deploy')} creates it",
                )
            gaps = self._guards.upstream_gaps(name, inventory=inventory)
            if gaps:
                raise Skip(f"not checked: upstream {'; '.join(g.describe() for g in gaps)}")
            result = self._engine.drift_preview(name, sink)
            self._loss.check_owner(name, (step.urn for step in result.steps))
            details = [self._census.unmanaged_detail(name, self._engine.state)]
            if result.changed:
                details.insert(
                    0,
                    f"the cloud differs from the program: {self._hint.command('deploy')} "
                    "restores what the program declares (or change the program to keep the "
                    "live change)",
                )
            if any(details):
                return Step(Status.DRIFTED, result.changes, "; ".join(filter(None, details)))
            return Step(Status.CLEAN, result.changes)

        return self._run_read_only(Operation.DRIFT, project, step, lost)

    def outputs(self, project: str | None = None) -> dict[str, Mapping[str, Any] | None]:
        """project -> its stack's outputs (None when the stack does not exist), deploy order."""
        selection = self._topology.deploy_order(self._select(project))
        return self._read_all(selection, self.read_outputs)

    def show_outputs(
        self, project: str | None = None, *, json_target: OutputTarget | None = None
    ) -> int:
        """Print the outputs as text, or as JSON keyed by project to `json_target` (a file, or
        stdout); the exit code."""
        values = self.outputs(project)
        if project is not None and values[project] is None:
            raise OrchestrationError(
                f"stack {self.stack_name(project)} does not exist: deploy it with "
                f"{self._hint.command('deploy', project)}"
            )
        say = self._printer.say
        if json_target is not None:
            plain = {name: None if v is None else dict(v) for name, v in values.items()}
            document = json.dumps(plain, indent=2, sort_keys=True, default=str)
            if json_target.is_stdout:
                say(document)
            else:
                json_target.write(document)
                say(f"Outputs (JSON) written to {json_target.describe()}")
            return EXIT_OK
        for name, outputs in values.items():
            say(self.stack_name(name))
            if outputs is None:
                say("  (not deployed)")
                continue
            if not outputs:
                say("  (no outputs)")
            width = max((len(key) for key in outputs), default=0)
            for key, value in sorted(outputs.items()):
                shown = value if isinstance(value, str) else json.dumps(value, default=str)
                say(f"  {key:<{width}}  {shown}")
        return EXIT_OK

    def read_outputs(self, project: str) -> Mapping[str, Any] | None:
        """One stack's outputs, or None when the stack does not exist."""
        return self._guards.read_outputs(project)

    # ---- plumbing ---------------------------------------------------------------------------

    def _select(self, project: str | None) -> tuple[str, ...]:
        if project is None:
            return self._topology.names
        self._topology.project(project)
        return (project,)

    def _survey(self, selection: Sequence[str]) -> tuple[Mapping[str, int], dict[str, LostState]]:
        """Every stack's resource count (one listing), and the selected stacks' lost states."""
        inventory = self._loss.inventory(selection, self._printer.say)
        return inventory, self._loss.lost_states(selection, inventory)

    def _reported(self, report: RunReport, project: str | None, *flags: str) -> RunReport:
        """`report` after printing its summary, and how to recover where a stack needs it
        (ending with the run's own command: `project` and `flags` as it was given)."""
        self._printer.say(summary_text(report))
        if report.interrupted or any(outcome.recover for outcome in report.outcomes):
            again = self._hint.command(report.operation.value, project, *flags)
            self._printer.say(recovery_text(report, self._engine.manual_command, self._hint, again))
        return report

    def _run_read_only(
        self,
        operation: Operation,
        project: str | None,
        step: StepFunction,
        lost: Mapping[str, LostState],
    ) -> RunReport:
        """`step` on each selected stack, but LOST for those whose state is lost."""
        selection = self._select(project)

        def step_unless_lost(name: str, sink: OutputSink) -> Step:
            if name in lost:
                return Step(Status.LOST, detail=self._loss.lost_message(lost[name]))
            return step(name, sink)

        # Nothing here changes what another stack reads: every stack at once, `parallel` at most.
        levels = (self._topology.deploy_order(selection),)
        report = self._scheduler.run(
            operation, levels, step_unless_lost, max_workers=self._parallel
        )
        return self._reported(report, project)

    def _read_all(self, names: Sequence[str], read: Callable[[str], T]) -> dict[str, T]:
        """`read` of each name, `parallel` at a time, keyed in the order of `names`."""
        if len(names) < 2 or self._parallel == 1:
            return {name: read(name) for name in names}
        with ThreadPoolExecutor(max_workers=self._parallel, thread_name_prefix="read") as pool:
            return dict(zip(names, pool.map(read, names), strict=True))
