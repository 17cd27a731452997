"""The operations of one environment: which stacks, in which order, under which guards.

Every public operation of `Orchestrator` works on the environment its engine serves:

- selection: every project, or one (`project=`), or one and its consumers (`cascade=True`);
- order: the levels of `shared.topology.TOPOLOGY` (producers before consumers; reversed for a
  teardown), run by the `Scheduler`;
- the guards (`Guards`) run before anything is touched.

Refusals raise `OrchestrationError` subclasses (nothing has been touched when they do); what ran
comes back as a `RunReport`, already printed as a summary table, with the process exit code.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from orchestration.engine import Engine, OrchestrationError, OutputSink, ProtectedResources
from orchestration.exit_codes import EXIT_INTERRUPTED, EXIT_OK
from orchestration.runner.guards import Ask, Guards, TeardownBlocked, UpstreamGap
from orchestration.runner.report import (
    Operation,
    Printer,
    RunReport,
    Status,
    recovery_text,
    summary_text,
)
from orchestration.runner.scheduler import (
    DEFAULT_MAX_WORKERS,
    Clock,
    Scheduler,
    Skip,
    Step,
    StepFunction,
)
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY, Topology


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
        if engine.environment != settings.environment:
            raise ValueError(
                f"the engine serves {engine.environment!r}, the settings are for "
                f"{settings.environment!r}"
            )
        self._engine = engine
        self._settings = settings
        self._topology = topology
        self._printer = Printer(out if out is not None else sys.stdout)
        self._guards = Guards(engine, settings, topology, ask)
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
        self, project: str | None = None, *, yes: bool = False, confirm: str | None = None
    ) -> RunReport:
        """`up` for the selected projects in dependency order, after preflight and confirmation."""
        selection = self._select(project)
        self._guards.preflight(Operation.DEPLOY, selection)
        order = self._topology.deploy_order(selection)
        self._guards.confirm(
            Operation.DEPLOY,
            f"Deploy {', '.join(order)} to {self.environment}?",
            yes=yes,
            confirm=confirm,
            yes_suffices=True,
        )

        def step(name: str, sink: OutputSink) -> Step:
            # Producers deployed by this run are held to their exports right after their `up`
            # (fail fast), so a consumer never starts against a missing output.
            result = self._engine.up(name, sink)
            self._guards.check_exports(name, result)
            return Step(Status.SUCCEEDED, result.changes)

        return self._run(Operation.DEPLOY, self._topology.deploy_levels(selection), step)

    def preview(self, project: str | None = None) -> RunReport:
        """A real `pulumi preview` per stack, in dependency order."""
        selection = self._select(project)
        self._guards.preflight(Operation.PREVIEW, selection)

        def step(name: str, sink: OutputSink) -> Step:
            gaps = self.upstream_gaps(name, within=selection)
            if gaps:
                raise Skip(
                    f"upstream not deployed yet ({'; '.join(gap.describe() for gap in gaps)}): "
                    f"see `invoke plan --env {self.environment}` for an offline plan of the "
                    "whole environment"
                )
            return Step(Status.SUCCEEDED, self._engine.preview(name, sink).changes)

        return self._run(Operation.PREVIEW, self._topology.deploy_levels(selection), step)

    def refresh(self, project: str | None = None) -> RunReport:
        """Adopt the cloud's current state into each existing stack's state."""
        selection = self._select(project)

        def step(name: str, sink: OutputSink) -> Step:
            if not self._engine.stack_exists(name):
                raise Skip("the stack does not exist; nothing to refresh")
            return Step(Status.SUCCEEDED, self._engine.refresh(name, sink).changes)

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
        selection = self._guards.destroy_selection(project, cascade)
        counts = {name: self._engine.resource_count(name) for name in selection}
        order = [name for name in self._topology.teardown_order(selection) if counts[name]]
        protected = {
            name: urns for name in order if (urns := self._engine.protected_resources(name))
        }
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

        return self._run(Operation.DESTROY, self._topology.teardown_levels(selection), step)

    def drift(self, project: str | None = None) -> RunReport:
        """Preview with refresh for every stack; clean only when nothing would change."""
        selection = self._select(project)

        def step(name: str, sink: OutputSink) -> Step:
            if not self._engine.stack_exists(name):
                return Step(
                    Status.MISSING,
                    detail=f"not deployed: `invoke deploy --env {self.environment}` creates it",
                )
            gaps = self.upstream_gaps(name)
            if gaps:
                raise Skip(f"not checked: upstream {'; '.join(g.describe() for g in gaps)}")
            result = self._engine.drift_preview(name, sink)
            if result.changed:
                return Step(
                    Status.DRIFTED,
                    result.changes,
                    "the cloud differs from the program: `invoke deploy` restores what the "
                    "program declares (or change the program to keep the live change)",
                )
            return Step(Status.CLEAN, result.changes)

        return self._run(Operation.DRIFT, self._topology.deploy_levels(selection), step)

    def outputs(self, project: str | None = None) -> dict[str, Mapping[str, Any] | None]:
        """project -> its stack's outputs (None when the stack does not exist), deploy order."""
        selection = self._topology.deploy_order(self._select(project))
        return {name: self.read_outputs(name) for name in selection}

    def show_outputs(self, project: str | None = None, *, as_json: bool = False) -> int:
        """Print the outputs (as JSON keyed by project, or as text); the exit code."""
        values = self.outputs(project)
        if project is not None and values[project] is None:
            raise OrchestrationError(
                f"stack {self.stack_name(project)} does not exist: deploy it with "
                f"`invoke deploy --env {self.environment} --project {project}`"
            )
        say = self._printer.say
        if as_json:
            plain = {name: None if v is None else dict(v) for name, v in values.items()}
            say(json.dumps(plain, indent=2, sort_keys=True, default=str))
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

    def upstream_gaps(
        self, project: str, *, within: Iterable[str] | None = None
    ) -> tuple[UpstreamGap, ...]:
        """The upstream stacks `project` reads that are missing or lack required outputs."""
        return self._guards.upstream_gaps(project, within=within)

    # ---- plumbing ---------------------------------------------------------------------------

    def _select(self, project: str | None) -> tuple[str, ...]:
        if project is None:
            return self._topology.names
        self._topology.project(project)
        return (project,)

    def _run(
        self, operation: Operation, levels: Sequence[Sequence[str]], step: StepFunction
    ) -> RunReport:
        report = self._scheduler.run(operation, levels, step)
        self._printer.say(summary_text(report))
        if report.exit_code == EXIT_INTERRUPTED:
            self._printer.say(recovery_text(report, self._engine.manual_command))
        return report
