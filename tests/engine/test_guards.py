"""Preflight and destroy guards on the real engine (fresh backend and stand-in cloud per test)."""

from __future__ import annotations

import pytest

from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, TaskRun, Tasks

pytestmark = pytest.mark.engine


def stack_order(out: str, environment: str) -> list[str]:
    """Projects in the order their engine output first appears."""
    seen: list[str] = []
    for line in out.splitlines():
        for name in TOPOLOGY.names:
            if line.startswith(f"[{name}/{environment}]") and name not in seen:
                seen.append(name)
    return seen


def refusal(run: TaskRun) -> str:
    """The message of a refused run (nothing ran)."""
    assert run.code is None, run.text
    assert run.refusal is not None, run.text
    return run.refusal


def deployed_everything(tasks: Tasks, environment: str) -> list[str]:
    """Deploy every project of `environment`; the account's inventory afterwards."""
    deployed = tasks.deploy(environment)
    assert deployed.code == 0, deployed.text
    return tasks.engine_env.operator.inventory()


def test_compute_without_storage_fails_preflight_and_creates_no_stack(
    tasks: Tasks, engine_env: EngineEnv
) -> None:
    security = tasks.deploy("development", "security")
    assert security.code == 0, security.text

    message = refusal(tasks.deploy("development", "compute"))
    assert "cannot deploy compute in development" in message
    assert "stack organization/storage/development does not exist" in message
    assert "invoke deploy --env development --project storage" in message
    assert "Nothing was deployed." in message
    stacks = engine_env.backend_dir / ".pulumi" / "stacks"
    assert (stacks / "security").is_dir()
    assert not (stacks / "compute").exists()
    assert not (stacks / "storage").exists()


def test_destroy_guard_refuses_then_cascade_tears_down_consumers_first(
    tasks: Tasks, engine_env: EngineEnv
) -> None:
    before = deployed_everything(tasks, "development")

    message = refusal(
        tasks.run("development", lambda o: o.destroy("security", yes=True), project="security")
    )
    assert "refusing to destroy security in development" in message
    assert "storage (organization/storage/development" in message
    assert "compute (organization/compute/development" in message
    assert "--cascade" in message
    assert engine_env.operator.inventory() == before

    cascade = tasks.run(
        "development",
        lambda o: o.destroy("security", cascade=True, yes=True),
        project="security",
    )
    assert cascade.code == 0, cascade.text
    assert stack_order(cascade.out, "development") == list(TOPOLOGY.teardown_order())
    # Nothing of the environment is left but what AWS keeps a while (keys pending deletion).
    assert engine_env.operator.inventory() == []
