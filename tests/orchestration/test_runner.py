"""The runner against the in-memory engine double: order, selection, concurrency, guards."""

from __future__ import annotations

import _thread
import io
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pytest

from orchestration.engine.interface import EngineFailure, Interrupted, OrchestrationError
from orchestration.runner import (
    EXIT_DRIFT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ConfirmationRequired,
    DestroyRefused,
    Operation,
    Orchestrator,
    PreflightError,
    RunReport,
    StackOutcome,
    Status,
    TeardownBlocked,
    format_changes,
    format_duration,
)
from orchestration.runner.report import Printer
from orchestration.runner.scheduler import Scheduler, Step
from shared.export_values import KMS_KEY_ARN_EXPORTS
from shared.output_target import OutputTarget
from shared.settings import EnvironmentSettings
from shared.topology import TOPOLOGY, ContractError, ProjectSpec, Topology
from tests.orchestration.engine_double import InMemoryEngine
from tests.topology_roles import (
    ALL,
    DEPLOY_LEVELS,
    LEAF,
    MIDDLE,
    ROOT,
    TEARDOWN_LEVELS,
    after,
    deploy_order,
    levels,
    others,
    stack,
    team,
    teardown_order,
)

DEV = "development"
PROD = "production"

# Two independent projects at the same depth: base -> (left, right) -> top.
DIAMOND = Topology(
    [
        ProjectSpec(name="base", team="t", description="d", exports=("x",)),
        ProjectSpec(
            name="left", team="t", description="d", exports=("l",), requires={"base": ("x",)}
        ),
        ProjectSpec(
            name="right", team="t", description="d", exports=("r",), requires={"base": ("x",)}
        ),
        ProjectSpec(
            name="top",
            team="t",
            description="d",
            exports=("y",),
            requires={"left": ("l",), "right": ("r",)},
        ),
    ]
)


class Transcript(io.StringIO):
    """Captured output that can signal when a phrase has been printed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, threading.Event] = {}

    def when(self, phrase: str) -> threading.Event:
        return self.seen.setdefault(phrase, threading.Event())

    def write(self, text: str) -> int:
        written = super().write(text)
        for phrase, event in self.seen.items():
            if phrase in self.getvalue():
                event.set()
        return written


def summary_row(text: str, stack: str) -> list[str]:
    """The cells of the summary row of `stack` (columns are separated by 2+ spaces)."""
    summary = text.rsplit("\nSummary: ", 1)[1]
    for line in summary.splitlines():
        if line.startswith(stack + " "):
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(f"no summary row for {stack}")


@pytest.fixture
def engine() -> InMemoryEngine:
    """The development engine (most tests)."""
    return InMemoryEngine()


@pytest.fixture
def prod_engine() -> InMemoryEngine:
    return InMemoryEngine(environment=PROD)


@pytest.fixture
def engines(engine: InMemoryEngine, prod_engine: InMemoryEngine) -> dict[str, InMemoryEngine]:
    return {DEV: engine, PROD: prod_engine}


@pytest.fixture
def out() -> Transcript:
    return Transcript()


@pytest.fixture
def make(  # type: ignore[no-untyped-def]
    engines: dict[str, InMemoryEngine],
    out: Transcript,
    development: EnvironmentSettings,
    production: EnvironmentSettings,
):
    """An orchestrator over the engine of `environment` (or `double`), printing to `out`."""
    settings = {DEV: development, PROD: production}

    def build(
        environment: str = DEV,
        *,
        ask: Callable[[str], str] | None = None,
        topology: Topology | None = None,
        double: InMemoryEngine | None = None,
        max_workers: int = 4,
        parallel: int = 3,
    ) -> Orchestrator:
        return Orchestrator(
            double or engines[environment],
            settings[environment],
            topology=topology or engines[environment].topology,
            out=out,
            ask=ask,
            max_workers=max_workers,
            parallel=parallel,
        )

    return build


# ---- deploy: order, selection, preflight ----------------------------------------------------


def test_deploy_runs_every_project_in_dependency_order(engine, make, out) -> None:
    report = make().deploy(yes=True)

    assert levels(engine.ops("up")) == DEPLOY_LEVELS
    assert report.statuses() == dict.fromkeys(ALL, Status.SUCCEEDED)
    assert report.exit_code == EXIT_OK
    assert "Summary: deploy development" in out.getvalue()
    assert summary_row(out.getvalue(), "STACK") == [
        "STACK",
        "OPERATION",
        "RESULT",
        "RESOURCE CHANGES",
        "DURATION",
    ]
    row = summary_row(out.getvalue(), stack(LEAF))
    assert row[:4] == [stack(LEAF), "up", "succeeded", "create 3"]
    assert re.fullmatch(r"\d+\.\ds", row[4])


def test_engine_events_are_streamed_with_the_stack_prefix(make, out) -> None:
    make().deploy(ROOT, yes=True)

    assert f"[{ROOT}/development] + {ROOT} creating" in out.getvalue()


def test_deploy_one_project_runs_only_it_after_the_preflight(engine, make) -> None:
    engine.deploy_now(ROOT)

    report = make().deploy(MIDDLE, yes=True)

    assert engine.ops("up") == [MIDDLE]
    assert [outcome.project for outcome in report.outcomes] == [MIDDLE]
    assert ("outputs", ROOT) in engine.calls


def test_preflight_names_missing_stacks_and_the_commands_that_fix_it(engine, make) -> None:
    with pytest.raises(PreflightError) as caught:
        make().deploy(LEAF, yes=True)

    message = str(caught.value)
    producers = TOPOLOGY.all_producers(LEAF)
    assert tuple(name for name in producers if name in (ROOT, MIDDLE)) == (ROOT, MIDDLE)
    assert f"cannot deploy {LEAF} in development" in message
    for producer in producers:
        assert f"stack {stack(producer)} does not exist" in message
    assert (
        " then ".join(
            f"`invoke deploy --env development --project {producer}`" for producer in producers
        )
        in message
    )
    assert message.endswith("Nothing was deployed.")
    assert "\n" not in message
    assert engine.mutating_calls == []


def test_preflight_names_missing_outputs(engine, make) -> None:
    engine.deploy_now(ROOT)
    read = TOPOLOGY.project(MIDDLE).requires[ROOT][0]
    del engine.stacks[ROOT].outputs[read]

    with pytest.raises(PreflightError, match=rf"{ROOT}/development has no output\(s\) {read}"):
        make().deploy(MIDDLE, yes=True)
    assert engine.mutating_calls == []


def test_unknown_project_is_refused_before_anything_runs(engine, make) -> None:
    with pytest.raises(ContractError, match="unknown project 'network'; known projects"):
        make().deploy("network", yes=True)
    assert engine.calls == []


def test_a_producer_that_deploys_without_its_exports_fails_and_stops_the_run(engine, make) -> None:
    engine.exports[ROOT] = {}

    report = make().deploy(yes=True)

    assert report.statuses() == {ROOT: Status.FAILED} | dict.fromkeys(others(ROOT), Status.SKIPPED)
    assert f"does not export {TOPOLOGY.project(ROOT).exports[0]}" in report.outcome(ROOT).detail
    assert engine.ops("up") == [ROOT]


# ---- fail fast and the summary --------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "failing", "order"),
    [
        # Deployed stacks are previewed first; a failing preview stops the run as well.
        pytest.param("deploy", ("preview", MIDDLE), deploy_order(), id="deploy"),
        pytest.param("destroy", ("destroy", LEAF), teardown_order(), id="destroy"),
    ],
)
def test_after_a_failure_nothing_new_starts(engine, make, operation, failing, order) -> None:
    # Projects before the failing one succeed, it fails, the rest are skipped (one worker: the
    # run follows `order` even where a level holds several projects).
    at = order.index(failing[1])
    statuses = (
        dict.fromkeys(order[:at], Status.SUCCEEDED)
        | {failing[1]: Status.FAILED}
        | dict.fromkeys(order[at + 1 :], Status.SKIPPED)
    )
    engine.deploy_all()
    engine.failures[failing] = EngineFailure("broke")

    report = getattr(make(max_workers=1), operation)(yes=True)

    assert report.statuses() == statuses
    assert engine.ops(failing[0]) == [
        name for name, status in statuses.items() if status is not Status.SKIPPED
    ]
    assert report.exit_code == EXIT_FAILED
    for name in [name for name, status in statuses.items() if status is Status.SKIPPED]:
        assert report.outcome(name).detail == f"not started: {failing[1]} failed"
        assert report.outcome(name).duration is None


def test_the_summary_shows_the_failure_and_the_skipped_stacks(engine, make, out) -> None:
    engine.failures[("up", MIDDLE)] = EngineFailure("bucket name taken")

    make().deploy(yes=True)

    text = out.getvalue()
    assert f"{stack(MIDDLE)}: bucket name taken" in text
    assert summary_row(text, stack(LEAF)) == [
        stack(LEAF),
        "up",
        "skipped",
        "-",
        "-",
    ]


def test_an_unexpected_error_is_one_failed_row_not_a_lost_summary(engine, make) -> None:
    engine.failures[("up", ROOT)] = RuntimeError("boom")

    report = make().deploy(yes=True)

    assert report.outcome(ROOT).status is Status.FAILED
    assert report.outcome(ROOT).detail == "unexpected RuntimeError: boom"
    assert report.exit_code == EXIT_FAILED


# ---- concurrency ----------------------------------------------------------------------------


def test_independent_projects_of_one_level_run_concurrently(make) -> None:
    double = InMemoryEngine(DIAMOND)
    both = threading.Barrier(2, timeout=5)
    double.hooks[("up", "left")] = lambda *_: both.wait()
    double.hooks[("up", "right")] = lambda *_: both.wait()

    report = make(double=double, topology=DIAMOND).deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert double.ops("up")[0] == "base"
    assert double.ops("up")[-1] == "top"
    assert double.max_active == 2
    assert double.overlaps == []


def test_the_worker_limit_bounds_concurrency(make) -> None:
    double = InMemoryEngine(DIAMOND)

    report = make(double=double, topology=DIAMOND, max_workers=1).deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert double.max_active == 1


def test_a_failure_stops_queued_projects_of_the_same_level(make) -> None:
    double = InMemoryEngine(DIAMOND)
    double.failures[("up", "left")] = EngineFailure("no")

    report = make(double=double, topology=DIAMOND, max_workers=1).deploy(yes=True)

    assert report.statuses() == {
        "base": Status.SUCCEEDED,
        "left": Status.FAILED,
        "right": Status.SKIPPED,
        "top": Status.SKIPPED,
    }
    assert "right" not in double.ops("up")


def test_max_workers_must_be_positive(engine, development) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Orchestrator(engine, development, max_workers=0)


# ---- preview --------------------------------------------------------------------------------


def test_preview_of_a_fresh_environment_points_to_the_offline_plan(engine, make) -> None:
    report = make().preview()

    assert engine.ops("preview") == [ROOT]
    assert report.statuses() == {ROOT: Status.SUCCEEDED} | dict.fromkeys(
        others(ROOT), Status.SKIPPED
    )
    detail = report.outcome(MIDDLE).detail
    assert detail.startswith(f"upstream not deployed yet (stack {stack(ROOT)} does not exist")
    assert "`invoke plan --env development`" in detail
    assert report.exit_code == EXIT_OK


def test_preview_of_one_project_with_missing_upstream_is_refused(engine, make) -> None:
    with pytest.raises(PreflightError) as caught:
        make().preview(MIDDLE)

    message = str(caught.value)
    assert f"cannot preview {MIDDLE} in development" in message
    assert "`invoke plan --env development`" in message
    assert f"`invoke deploy --env development --project {ROOT}`" in message
    assert message.endswith("Nothing was previewed.")
    assert engine.mutating_calls == []


def test_preview_continues_past_a_failed_stack(engine, make) -> None:
    engine.deploy_all()
    engine.failures[("preview", ROOT)] = EngineFailure("policy violation")

    report = make().preview()

    assert levels(engine.ops("preview")) == DEPLOY_LEVELS
    assert report.outcome(ROOT).status is Status.FAILED
    assert report.exit_code == EXIT_FAILED


# ---- destroy: order, guard, cascade, protection ---------------------------------------------


def test_destroy_everything_tears_down_consumers_first(engine, make) -> None:
    engine.deploy_all()

    report = make().destroy(yes=True)

    assert levels(engine.ops("destroy")) == TEARDOWN_LEVELS
    assert report.exit_code == EXIT_OK
    assert report.outcome(MIDDLE).changes == {"delete": 3}


def guard_phrases(project: str) -> tuple[str, ...]:
    """What the refusal to destroy `project` says while all its consumers have 3 resources."""
    consumers = TOPOLOGY.all_consumers(project)
    return (
        f"refusing to destroy {project} in development",
        # Every consumer, in deploy order, with its stack and team.
        ", ".join(f"{name} ({stack(name)}, team {team(name)}, 3 resources)" for name in consumers)
        + ".",
        # Every consumer, in teardown order.
        "Destroy them first ("
        + " then ".join(
            f"`invoke destroy --env development --project {name}`"
            for name in teardown_order(consumers)
        )
        + ")",
        f"`invoke destroy --env development --project {project} --cascade`",
    )


@pytest.mark.parametrize(
    "project", [pytest.param(MIDDLE, id="middle"), pytest.param(ROOT, id="root")]
)
def test_destroy_guard_refuses_a_producer_whose_consumers_have_resources(
    engine, make, project
) -> None:
    phrases = guard_phrases(project)
    assert len(TOPOLOGY.all_consumers(ROOT)) >= 2  # the root case lists several consumers
    engine.deploy_all()

    with pytest.raises(DestroyRefused) as caught:
        make().destroy(project, yes=True)

    for phrase in phrases:
        assert phrase in str(caught.value)
    assert str(caught.value).endswith("Nothing was destroyed.")
    assert engine.ops("destroy") == []


def test_destroy_guard_lets_a_producer_go_once_its_consumers_are_empty(engine, make) -> None:
    engine.deploy_now(ROOT)
    engine.deploy_now(MIDDLE)

    report = make().destroy(MIDDLE, yes=True)

    assert engine.ops("destroy") == [MIDDLE]
    assert report.exit_code == EXIT_OK


def test_cascade_destroys_the_consumers_first(engine, make) -> None:
    engine.deploy_all()

    report = make(max_workers=1).destroy(MIDDLE, cascade=True, yes=True)

    cascade = teardown_order([MIDDLE, *TOPOLOGY.all_consumers(MIDDLE)])
    assert cascade[0] == LEAF
    assert cascade[-1] == MIDDLE
    assert engine.ops("destroy") == cascade
    assert [o.project for o in report.outcomes] == cascade
    assert engine.resource_count(ROOT) == 3


def test_stacks_without_resources_are_skipped_not_destroyed(engine, make, out) -> None:
    engine.deploy_now(ROOT)

    report = make().destroy(yes=True)

    assert engine.ops("destroy") == [ROOT]
    assert report.outcome(LEAF).status is Status.SKIPPED
    assert report.outcome(LEAF).detail == "no resources to destroy"


def test_nothing_to_destroy_needs_no_confirmation(engine, make, out) -> None:
    report = make().destroy()

    assert report.exit_code == EXIT_OK
    assert "Nothing to destroy in development" in out.getvalue()
    assert engine.ops("destroy") == []


def test_protected_resources_stop_the_teardown_before_anything_is_destroyed(
    prod_engine, make
) -> None:
    for name in ALL:
        prod_engine.deploy_now(name, protected=1 if name != LEAF else 0)

    with pytest.raises(TeardownBlocked) as caught:
        make(PROD).destroy(confirm=PROD)

    message = str(caught.value)
    assert "cannot destroy in production: protected resources cannot be deleted" in message
    assert "nothing was destroyed" in message
    assert f"{stack(MIDDLE, PROD)}:" in message
    for name in others(LEAF):
        assert f"urn:pulumi:production::{name}::res::r0" in message
    assert (
        f"pulumi --cwd projects/{MIDDLE} state unprotect --all --yes --stack {MIDDLE}.production"
        in message
    )
    assert prod_engine.ops("destroy") == []


def test_protection_met_during_a_destroy_is_explained(engine, make) -> None:
    engine.deploy_all()

    def protect_now(*_: object) -> None:
        engine.stacks[MIDDLE].resources["urn:late"] = True

    engine.hooks[("destroy", LEAF)] = protect_now

    report = make().destroy(yes=True)

    detail = report.outcome(MIDDLE).detail
    assert report.outcome(MIDDLE).status is Status.FAILED
    assert "the teardown stopped in development" in detail
    assert "urn:late" in detail
    assert "state unprotect --all --yes" in detail
    assert report.outcome(ROOT).status is Status.SKIPPED


# ---- confirmation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One operation started the way a user would, with an answer to its prompt."""

    environment: str
    operation: str
    # What the user types; EOFError: stdin is closed; None: there is no terminal at all.
    answer: str | type[EOFError] | None = None
    options: Mapping[str, object] = field(default_factory=dict)

    def start(self, make: Callable[..., Orchestrator]) -> RunReport:
        orchestrator = make(self.environment, ask=None if self.answer is None else self.ask)
        return getattr(orchestrator, self.operation)(**self.options)  # type: ignore[no-any-return]

    def ask(self, _: str) -> str:
        if self.answer is EOFError:
            raise EOFError
        return str(self.answer)


@pytest.mark.parametrize(
    ("run", "refusal"),
    [
        pytest.param(
            Run(DEV, "deploy"),
            "no terminal to confirm on: add --yes to deploy development without a prompt; "
            "nothing was deployed",
            id="no-terminal-needs-yes",
        ),
        pytest.param(
            Run(DEV, "deploy", "n"), "not confirmed; nothing was deployed", id="answered-no"
        ),
        pytest.param(
            Run(DEV, "deploy", EOFError), "not confirmed; nothing was deployed", id="stdin-closed"
        ),
        pytest.param(
            Run(PROD, "deploy"),
            "no terminal to confirm on: add --yes to deploy production without a prompt "
            "(or --confirm production); nothing was deployed",
            id="production-deploy-no-terminal",
        ),
        pytest.param(
            Run(PROD, "destroy", options={"yes": True}),
            "to destroy production without a prompt, confirm it explicitly with --confirm "
            "production (--yes is not enough for production); nothing was destroyed",
            id="production-destroy-yes-is-not-enough",
        ),
        pytest.param(
            Run(PROD, "destroy", "y", {"yes": True}),
            "not confirmed; nothing was destroyed",
            id="production-prompt-wants-the-name",
        ),
        pytest.param(
            Run(PROD, "destroy", options={"confirm": DEV, "yes": True}),
            "--confirm 'development' does not match the environment 'production'; "
            "nothing was destroyed",
            id="confirm-names-another-environment",
        ),
    ],
)
def test_an_unconfirmed_run_is_refused_and_runs_nothing(engines, make, run, refusal) -> None:
    engine = engines[run.environment]
    engine.deploy_all()

    with pytest.raises(ConfirmationRequired) as caught:
        run.start(make)

    assert str(caught.value) == refusal
    assert engine.mutating_calls == []


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(Run(DEV, "deploy", options={"yes": True}), id="yes"),
        pytest.param(Run(DEV, "deploy", "Yes"), id="answered-yes"),
        pytest.param(Run(DEV, "destroy", options={"yes": True}), id="destroy-yes"),
        pytest.param(Run(PROD, "deploy", options={"yes": True}), id="production-deploy-yes"),
        pytest.param(Run(PROD, "deploy", "production"), id="production-deploy-name-typed"),
        pytest.param(
            Run(PROD, "destroy", options={"confirm": PROD}), id="production-destroy-confirm"
        ),
        pytest.param(Run(PROD, "destroy", "production"), id="production-destroy-name-typed"),
    ],
)
def test_a_confirmed_run_runs_every_stack(engines, make, run) -> None:
    engine = engines[run.environment]
    if run.operation == "destroy":
        engine.deploy_all()

    report = run.start(make)

    assert report.exit_code == EXIT_OK
    if run.operation == "deploy":
        assert levels(engine.ops("up")) == DEPLOY_LEVELS
    else:
        assert levels(engine.ops("destroy")) == TEARDOWN_LEVELS


def test_the_prompts_name_what_would_change(engines, make) -> None:
    questions: list[str] = []

    def ask(question: str) -> str:
        questions.append(question)
        return "no"

    engines[PROD].deploy_all()
    for environment, operation in ((DEV, "deploy"), (PROD, "destroy")):
        with pytest.raises(ConfirmationRequired):
            getattr(make(environment, ask=ask), operation)()

    assert questions == [
        f"Deploy {', '.join(deploy_order())} to development? [y/N] ",
        "Destroy every resource of "
        + ", ".join(f"{name} (3 resources)" for name in teardown_order())
        + " in production?\nType the environment name (production) to confirm: ",
    ]


# ---- refresh, drift, outputs ----------------------------------------------------------------


def test_refresh_skips_stacks_that_do_not_exist(engine, make) -> None:
    engine.deploy_now(ROOT)

    report = make().refresh()

    assert engine.ops("refresh") == [ROOT]
    assert report.outcome(MIDDLE).status is Status.SKIPPED
    assert report.exit_code == EXIT_OK


def test_drift_is_clean_when_no_stack_would_change(engine, make) -> None:
    engine.deploy_all()

    report = make().drift()

    assert report.statuses() == dict.fromkeys(ALL, Status.CLEAN)
    assert report.exit_code == EXIT_OK


def test_drift_reports_each_drifted_stack_and_exits_2(engine, make, out) -> None:
    engine.deploy_all()
    engine.drift[MIDDLE] = {"update": 1, "same": 2}

    report = make().drift()

    assert report.outcome(MIDDLE).status is Status.DRIFTED
    assert report.outcome(ROOT).status is Status.CLEAN
    assert report.exit_code == EXIT_DRIFT
    assert summary_row(out.getvalue(), stack(MIDDLE))[:4] == [
        stack(MIDDLE),
        "preview --refresh",
        "drifted",
        "update 1, same 2",
    ]
    assert "the cloud differs from the program" in out.getvalue()


def test_drift_counts_a_missing_stack_as_not_clean(engine, make) -> None:
    engine.deploy_now(ROOT)
    engine.deploy_now(MIDDLE)

    report = make().drift()

    assert report.outcome(LEAF).status is Status.MISSING
    assert "not deployed" in report.outcome(LEAF).detail
    assert report.exit_code == EXIT_DRIFT


def test_drift_checks_every_stack_even_after_an_error_and_exits_1(engine, make) -> None:
    engine.deploy_all()
    engine.failures[("drift", ROOT)] = EngineFailure("provider error")
    engine.drift[LEAF] = {"delete": 1}

    report = make().drift()

    assert levels(engine.ops("drift")) == DEPLOY_LEVELS
    assert report.exit_code == EXIT_FAILED


def test_drift_of_a_stack_whose_upstream_vanished_is_not_checked(engine, make) -> None:
    engine.deploy_now(MIDDLE)

    report = make().drift(MIDDLE)

    assert report.outcome(MIDDLE).status is Status.SKIPPED
    assert f"not checked: upstream stack {stack(ROOT)}" in report.outcome(MIDDLE).detail
    assert report.exit_code == EXIT_DRIFT


def test_outputs_as_json_keyed_by_project(engine, make, out) -> None:
    engine.deploy_now(ROOT)

    code = make().show_outputs(json_target=OutputTarget(None))

    assert code == EXIT_OK
    export = TOPOLOGY.project(ROOT).exports[0]
    assert f'"{export}": "{engine.exports[ROOT][export]}"' in out.getvalue()
    assert f'"{LEAF}": null' in out.getvalue()


def test_outputs_as_text(engine, make, out) -> None:
    engine.deploy_now(MIDDLE)
    engine.stacks[MIDDLE].outputs["sizes"] = [1, 2]

    make().show_outputs()

    text = out.getvalue()
    assert f"{stack(ROOT)}\n  (not deployed)" in text
    # Names padded to the longest (log_bucket_name).
    assert f"  bucket_name      {engine.exports[MIDDLE]['bucket_name']}" in text
    assert "  sizes            [1, 2]" in text


def test_outputs_of_one_missing_project_is_an_error(make) -> None:
    with pytest.raises(OrchestrationError, match="does not exist: deploy it with `invoke deploy"):
        make().show_outputs(MIDDLE)


# ---- Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_stops_new_work_and_says_how_to_recover(engine, make, out) -> None:
    stopping = out.when("Interrupted: no new stack will start")

    def interrupt(*_: object) -> None:
        _thread.interrupt_main()
        # Pulumi got the SIGINT too and cancels gracefully: the update ends in an error.
        assert stopping.wait(5)
        raise EngineFailure("update canceled")

    engine.hooks[("up", MIDDLE)] = interrupt

    # One worker: the run follows the deploy order even where a level holds several projects.
    report = make(max_workers=1).deploy(yes=True)

    order = deploy_order()
    at = order.index(MIDDLE)
    assert report.statuses() == (
        dict.fromkeys(order[:at], Status.SUCCEEDED)
        | {MIDDLE: Status.INTERRUPTED}
        | dict.fromkeys(order[at + 1 :], Status.SKIPPED)
    )
    assert report.exit_code == EXIT_INTERRUPTED
    assert engine.ops("up") == order[: at + 1]
    text = out.getvalue()
    assert f"waiting for {MIDDLE} to stop" in text
    assert f"{stack(MIDDLE)} stopped during `up`" in text
    assert f"pulumi --cwd projects/{MIDDLE} cancel --yes --stack {MIDDLE}.development" in text
    assert f"`invoke refresh --env development --project {MIDDLE}`" in text
    assert "Then run `invoke deploy --env development` again." in text


def test_a_second_ctrl_c_stops_waiting(engine, make, out) -> None:
    stopping = out.when("Interrupted: no new stack will start")
    release = threading.Event()

    def hang(*_: object) -> None:
        _thread.interrupt_main()
        assert stopping.wait(5)
        _thread.interrupt_main()
        release.wait(5)

    engine.hooks[("up", ROOT)] = hang
    try:
        report = make().deploy(yes=True)
    finally:
        release.set()

    assert report.outcome(ROOT).status is Status.INTERRUPTED
    assert report.outcome(ROOT).detail == "still running when abandoned"
    assert report.outcome(LEAF).detail == "not started: interrupted"
    assert report.exit_code == EXIT_INTERRUPTED


def test_an_interrupted_engine_operation_stops_the_run(engine, make, out) -> None:
    engine.failures[("up", ROOT)] = Interrupted("cancelled")

    report = make().deploy(yes=True)

    assert report.outcome(ROOT).status is Status.INTERRUPTED
    assert report.outcome(MIDDLE).status is Status.SKIPPED
    assert report.exit_code == EXIT_INTERRUPTED
    assert f"`invoke refresh --env development --project {ROOT}`" in out.getvalue()


# ---- report and formatting ------------------------------------------------------------------


def _report(operation: Operation, *statuses: Status, interrupted: bool = False) -> RunReport:
    rows = tuple(
        StackOutcome(project=f"p{i}", stack=f"s{i}", operation=operation, status=status)
        for i, status in enumerate(statuses)
    )
    return RunReport(operation, DEV, rows, interrupted=interrupted)


@pytest.mark.parametrize(
    ("operation", "statuses", "code"),
    [
        (Operation.DEPLOY, (Status.SUCCEEDED, Status.SKIPPED), EXIT_OK),
        (Operation.DEPLOY, (Status.SUCCEEDED, Status.FAILED, Status.SKIPPED), EXIT_FAILED),
        (Operation.DEPLOY, (Status.FAILED, Status.INTERRUPTED), EXIT_INTERRUPTED),
        (Operation.DRIFT, (Status.CLEAN, Status.CLEAN), EXIT_OK),
        (Operation.DRIFT, (Status.CLEAN, Status.DRIFTED), EXIT_DRIFT),
        (Operation.DRIFT, (Status.MISSING,), EXIT_DRIFT),
        (Operation.DRIFT, (Status.DRIFTED, Status.FAILED), EXIT_FAILED),
    ],
)
def test_exit_codes(operation: Operation, statuses: tuple[Status, ...], code: int) -> None:
    assert _report(operation, *statuses).exit_code == code


def test_an_interrupted_run_exits_130_even_if_every_stack_finished() -> None:
    report = _report(Operation.DEPLOY, Status.SUCCEEDED, interrupted=True)
    assert report.exit_code == EXIT_INTERRUPTED
    with pytest.raises(KeyError):
        report.outcome("nope")


def test_format_changes_puts_changes_first_and_drops_zeros() -> None:
    changes = {"same": 5, "delete": 1, "create": 3, "read": 1, "update": 0, "import": 2}
    assert format_changes(changes) == "create 3, delete 1, import 2, read 1, same 5"
    assert format_changes({}) == "-"


def test_format_duration() -> None:
    assert format_duration(None) == "-"
    assert format_duration(4.24) == "4.2s"
    assert format_duration(125.4) == "2m05s"


def test_ctrl_c_between_stacks_leaves_nothing_half_done(engine, make, out) -> None:
    def interrupt_then_finish(*_: object) -> None:
        _thread.interrupt_main()

    engine.hooks[("up", ROOT)] = interrupt_then_finish

    report = make().deploy(yes=True)

    assert report.statuses() == {ROOT: Status.SUCCEEDED} | dict.fromkeys(
        others(ROOT), Status.SKIPPED
    )
    assert report.outcome(MIDDLE).detail == "not started: interrupted"
    assert report.exit_code == EXIT_INTERRUPTED
    assert "Interrupted before any stack was left half-done" in out.getvalue()


def test_outside_the_main_thread_ctrl_c_handling_is_left_to_the_caller(engine, make) -> None:
    reports: list[RunReport] = []
    worker = threading.Thread(target=lambda: reports.append(make().deploy(yes=True)))
    worker.start()
    worker.join(10)

    assert reports[0].exit_code == EXIT_OK
    assert levels(engine.ops("up")) == DEPLOY_LEVELS


def test_two_failures_in_one_level_both_show(make) -> None:
    double = InMemoryEngine(DIAMOND)
    both = threading.Barrier(2, timeout=5)

    def fail(_: str, project: str) -> None:
        both.wait()
        raise EngineFailure(f"{project} broke")

    double.hooks[("up", "left")] = fail
    double.hooks[("up", "right")] = fail

    report = make(double=double, topology=DIAMOND).deploy(yes=True)

    assert report.outcome("left").status is Status.FAILED
    assert report.outcome("right").status is Status.FAILED
    assert report.outcome("top").detail in {"not started: left failed", "not started: right failed"}


def test_a_step_that_exits_the_interpreter_still_leaves_a_row(engine, make) -> None:
    engine.failures[("up", ROOT)] = SystemExit(3)  # type: ignore[assignment]

    report = make().deploy(ROOT, yes=True)

    assert report.outcome(ROOT).status is Status.INTERRUPTED
    assert report.outcome(ROOT).detail == "SystemExit(3)"


def test_a_run_never_holds_a_project_twice(out) -> None:
    scheduler = Scheduler(environment=DEV, stack_name=str, printer=Printer(out))

    with pytest.raises(ValueError, match="each project once"):
        scheduler.run(Operation.DEPLOY, [[ROOT], [ROOT]], lambda *_: Step(Status.CLEAN))


def test_an_orchestrator_drives_an_engine_of_its_own_environment(prod_engine, development) -> None:
    with pytest.raises(ValueError, match="engine serves 'production', the settings are for 'dev"):
        Orchestrator(prod_engine, development)


def test_outputs_of_a_stack_without_outputs(engine, make, out) -> None:
    engine.deploy_now(ROOT)
    engine.stacks[ROOT].outputs = {}

    make().show_outputs(ROOT)

    assert f"{stack(ROOT)}\n  (no outputs)" in out.getvalue()


def test_outputs_json_to_a_file(engine, make, out, tmp_path) -> None:
    engine.deploy_now(ROOT)
    target = tmp_path / "outputs.json"

    code = make().show_outputs(json_target=OutputTarget(target))

    assert code == EXIT_OK
    assert json.loads(target.read_text(encoding="utf-8"))[LEAF] is None
    assert f"Outputs (JSON) written to {target}" in out.getvalue()


@pytest.mark.parametrize(
    ("project", "key"),
    [
        (name, key)
        for name in TOPOLOGY.names
        for key in TOPOLOGY.project(name).exports
        if key not in TOPOLOGY.project(name).may_be_empty
    ],
)
def test_a_producer_that_deploys_an_empty_export_fails_and_stops_the_run(
    engine, make, project: str, key: str
) -> None:
    engine.exports[project][key] = ""

    report = make().deploy(yes=True)

    assert report.outcome(project).status is Status.FAILED
    assert f"{key}='' is empty" in report.outcome(project).detail
    assert all(report.outcome(name).status is Status.SKIPPED for name in after(project))


def test_a_producer_that_deploys_a_key_arn_of_another_region_fails(engine, make) -> None:
    project, key = next(
        (name, key)
        for name in TOPOLOGY.names
        for key in TOPOLOGY.project(name).exports
        if key in KMS_KEY_ARN_EXPORTS
    )
    engine.exports[project][key] = "arn:aws:kms:eu-west-1:111122223333:key/k-1"

    report = make().deploy(yes=True)

    assert "is in region eu-west-1, not us-west-2" in report.outcome(project).detail
