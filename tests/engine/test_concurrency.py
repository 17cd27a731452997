"""Locking and interruption on the real engine: the file backend's lock, and recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shared import aws_types as t
from tests.engine.engine_support import EngineEnv, TaskRun, Tasks

pytestmark = pytest.mark.engine

KEY = t.KMS_KEY
TASK_PROCESS = Path(__file__).with_name("task_process.py")
WAIT_SECONDS = 60


def lock_files(engine_env: EngineEnv) -> list[Path]:
    return sorted((engine_env.backend_dir / ".pulumi" / "locks").rglob("*.json"))


def test_a_second_deploy_of_a_locked_stack_fails_clearly_and_the_first_completes(
    tasks: Tasks, engine_env: EngineEnv
) -> None:
    engine_env.faults.hold(KEY)
    results: list[TaskRun] = []
    first = threading.Thread(target=lambda: results.append(tasks.deploy("development", "security")))
    first.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not lock_files(engine_env) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert lock_files(engine_env), "the first deploy never took the stack's lock"

    second = tasks.deploy("development", "security")
    engine_env.faults.clear()  # the key's create goes on: the first deploy completes
    first.join(WAIT_SECONDS)
    assert not first.is_alive()

    assert second.code == 1
    assert "stack organization/security/development is locked" in second.out
    assert "cancel --yes" in second.out
    [done] = results
    assert done.code == 0, done.text
    again = tasks.deploy("development", "security")
    assert again.code == 0, again.text
    assert "same 5" in again.out
    assert not lock_files(engine_env)


def test_an_interrupted_deploy_explains_the_lock_and_recovers(
    tasks: Tasks, engine_env: EngineEnv
) -> None:
    state_dir = tasks.paths.state_dir
    engine_env.faults.hold(KEY)
    process = subprocess.Popen(
        [sys.executable, str(TASK_PROCESS), str(state_dir), "development", "deploy", "security"],
        env=dict(engine_env.env),
        start_new_session=True,  # its own process group: the signal reaches pulumi too
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "aws:kms:Key" in line and "creating" in line:
                break
        time.sleep(1)  # the key's Create is in flight (the stand-in holds it)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(WAIT_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == -signal.SIGTERM
    assert lock_files(engine_env), "a killed update leaves its lock behind"
    engine_env.faults.clear()

    blocked = tasks.deploy("development", "security")
    assert blocked.code == 1
    assert "is locked: another update is running, or one was interrupted" in blocked.out
    assert "cancel --yes" in blocked.out
    # The hint keeps the run's --endpoint, so it works as printed.
    hint = f"`invoke refresh --env development --project security --endpoint {engine_env.endpoint}`"
    assert hint in blocked.out

    def recover(orchestrator: object) -> object:
        # The printed recovery, through the orchestrator: release the lock, then refresh.
        orchestrator.engine.cancel("security")  # type: ignore[attr-defined]
        return orchestrator.refresh("security")  # type: ignore[attr-defined]

    recovered = tasks.run("development", recover, project="security")
    assert recovered.code == 0, recovered.text
    assert not lock_files(engine_env)
    checkpoint = engine_env.backend_dir / ".pulumi" / "stacks" / "security" / "development.json"
    latest = json.loads(checkpoint.read_text())["checkpoint"]["latest"]
    assert not latest.get("pending_operations")
    redeployed = tasks.deploy("development", "security")
    assert redeployed.code == 0, redeployed.text
    # One key and its alias: the interrupted create left no second key behind.
    assert len(engine_env.operator.live_keys()) == 1
    aliases = engine_env.operator.client("kms").list_aliases()["Aliases"]
    ours = [
        alias["AliasName"] for alias in aliases if not alias["AliasName"].startswith("alias/aws/")
    ]
    [alias] = ours
    assert alias.startswith("alias/webapp-development-"), alias
