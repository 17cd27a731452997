"""Read-only work on every stack at once (issue 14) against the in-memory engine double:
bounded by `parallel`, reported in deploy order, one failure not stopping the others."""

from __future__ import annotations

import io
import threading

import pytest

from orchestration import commands
from orchestration.engine.interface import EngineFailure, OrchestrationError
from orchestration.runner import EXIT_FAILED, EXIT_OK, Orchestrator, Status
from shared.settings import EnvironmentSettings
from tests.orchestration.engine_double import InMemoryEngine
from tests.topology_roles import ALL, DEPLOY_LEVELS, LEAF, ROOT, levels, others

ORDER = list(ALL)


@pytest.fixture
def engine() -> InMemoryEngine:
    double = InMemoryEngine()
    double.deploy_all()
    return double


def orchestrator(
    engine: InMemoryEngine, settings: EnvironmentSettings, parallel: int, out: io.StringIO
) -> Orchestrator:
    return Orchestrator(engine, settings, out=out, parallel=parallel)


def together(engine: InMemoryEngine, operation: str) -> None:
    """Every stack's `operation` waits for the others: only passes if all of them overlap."""
    all_of_them = threading.Barrier(len(ORDER), timeout=5)
    for name in ORDER:
        engine.hooks[(operation, name)] = lambda *_: all_of_them.wait()


@pytest.mark.parametrize(
    ("run", "operation"),
    [
        pytest.param(lambda o: o.drift(), "drift", id="drift"),
        pytest.param(lambda o: o.preview(), "preview", id="preview"),
        pytest.param(lambda o: o.refresh(), "refresh", id="refresh"),
        pytest.param(lambda o: o.show_outputs(), "outputs", id="outputs"),
    ],
)
def test_read_only_work_runs_on_every_stack_at_once(
    engine: InMemoryEngine, development: EnvironmentSettings, run, operation: str
) -> None:
    together(engine, operation)

    result = run(orchestrator(engine, development, len(ORDER), io.StringIO()))

    code = result if isinstance(result, int) else result.exit_code
    assert code == EXIT_OK
    assert engine.max_active == len(ORDER)
    assert engine.overlaps == []


def test_parallel_one_takes_the_stacks_one_after_another_in_deploy_order(
    engine: InMemoryEngine, development: EnvironmentSettings
) -> None:
    report = orchestrator(engine, development, 1, io.StringIO()).drift()

    assert report.exit_code == EXIT_OK
    assert engine.ops("drift") == ORDER
    assert engine.max_active == 1


def test_the_summary_keeps_deploy_order_whatever_finishes_first(
    engine: InMemoryEngine, development: EnvironmentSettings
) -> None:
    # The first stack finishes last: it waits for the last one.
    last_done = threading.Event()
    engine.hooks[("drift", ROOT)] = lambda *_: last_done.wait(5)
    engine.hooks[("drift", LEAF)] = lambda *_: last_done.set()
    out = io.StringIO()

    report = orchestrator(engine, development, len(ORDER), out).drift()

    assert [outcome.project for outcome in report.outcomes] == ORDER
    summary = out.getvalue().rsplit("Summary: drift development", 1)[1]
    rows = [line.split()[0] for line in summary.splitlines() if line.startswith("organization/")]
    assert rows == [f"organization/{name}/development" for name in ORDER]


@pytest.mark.parametrize("operation", ["drift", "refresh", "preview"])
def test_a_failure_is_reported_while_the_other_stacks_finish(
    engine: InMemoryEngine, development: EnvironmentSettings, operation: str
) -> None:
    engine.failures[(operation, ROOT)] = EngineFailure(f"{ROOT}'s provider broke")

    # One at a time: the failure comes first, and the others still run.
    report = getattr(orchestrator(engine, development, 1, io.StringIO()), operation)()

    assert report.outcome(ROOT).status is Status.FAILED
    assert report.outcome(ROOT).detail == f"{ROOT}'s provider broke"
    assert engine.ops(operation) == ORDER
    assert {report.outcome(name).status for name in others(ROOT)} <= {
        Status.SUCCEEDED,
        Status.CLEAN,
    }
    assert report.exit_code == EXIT_FAILED


def test_deploy_keeps_the_topology_order_whatever_parallel_says(
    development: EnvironmentSettings,
) -> None:
    fresh = InMemoryEngine()

    report = Orchestrator(fresh, development, out=io.StringIO(), parallel=3).deploy(yes=True)

    assert report.exit_code == EXIT_OK
    assert levels(fresh.ops("up")) == DEPLOY_LEVELS
    # Only the projects of one deploy level may run together (one at a time where each level
    # holds one project), however many stacks `parallel` lets read-only work take at once.
    assert fresh.max_active <= max(len(level) for level in DEPLOY_LEVELS)


def test_parallel_below_one_is_refused(development: EnvironmentSettings) -> None:
    with pytest.raises(ValueError, match="parallel must be at least 1"):
        Orchestrator(InMemoryEngine(), development, parallel=0)
    with pytest.raises(OrchestrationError, match=r"--parallel 0: give at least 1"):
        commands.run("development", lambda o: 0, parallel=0)
