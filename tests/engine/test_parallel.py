"""Read-only work on every stack at once (issue 14), on the real engine: `invoke drift` of a
deployed development environment, in a process of its own (task_process.py).

The programs drift runs are copies of the deployed ones with TEST-ONLY code appended after
every resource (so nothing would change): a rendezvous that only completes when the stacks'
programs run at the same time, a program that fails, programs that wait to be interrupted.
Concurrency is proven by the rendezvous, not by timing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.topology import TOPOLOGY
from tests.engine.engine_support import (
    EngineEnv,
    copy_projects,
    engine_paths,
    make_engine_env,
    run_task,
)

pytestmark = pytest.mark.engine

ENV = "development"
PROJECTS = TOPOLOGY.deploy_order()
TASK_PROCESS = Path(__file__).with_name("task_process.py")
WAIT_SECONDS = 180

MEET = """
# TEST ONLY: wait for the other programs of this rendezvous; only completes if they run at once.
import pathlib as _pathlib, time as _time
_here = _pathlib.Path({directory!r})
(_here / {name!r}).touch()
_deadline = _time.monotonic() + 150
while not all((_here / _other).exists() for _other in {names!r}):
    if _time.monotonic() > _deadline:
        raise RuntimeError("the other stacks' programs never ran at the same time")
    _time.sleep(0.2)
"""

FAIL = """
# TEST ONLY: this stack's program breaks.
raise RuntimeError("storage program broke on purpose")
"""

WAIT = """
# TEST ONLY: say it started, then wait to be interrupted.
import pathlib as _pathlib, time as _time
(_pathlib.Path({directory!r}) / {name!r}).touch()
_time.sleep(600)
"""


@dataclass(frozen=True)
class Deployed:
    env: EngineEnv
    state_dir: Path
    work: Path


@pytest.fixture(scope="module")
def deployed(
    standin_home: Path,
    pulumi_bin_dir: Path,
    tools_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    moto_url: str,
) -> Deployed:
    work = tmp_path_factory.mktemp("parallel")
    env = make_engine_env(standin_home, pulumi_bin_dir, tools_dir, work, moto_url)
    state_dir = work / "state"
    with pytest.MonkeyPatch.context() as monkeypatch:
        env.apply(monkeypatch)
        first = run_task(env, engine_paths(env, state_dir), ENV, lambda o: o.deploy(None, yes=True))
    assert first.code == 0, first.text
    return Deployed(env, state_dir, work)


def programs(deployed: Deployed, name: str, snippets: dict[str, str]) -> Path:
    """A copy of projects/ with a TEST-ONLY snippet appended to some programs."""
    projects = copy_projects(deployed.work / name)
    for project, code in snippets.items():
        program = projects / project / "__main__.py"
        program.write_text(program.read_text() + code)
    return projects


def drift_process(deployed: Deployed, projects: Path, parallel: int) -> subprocess.Popen[str]:
    command = [
        sys.executable, str(TASK_PROCESS), str(deployed.state_dir), ENV, "drift",
        "--projects", str(projects), "--parallel", str(parallel),
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        env=dict(deployed.env.env),
        start_new_session=True,  # its own process group: a Ctrl-C reaches pulumi too
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def summary_rows(out: str) -> list[str]:
    """The rows of the summary table (the notes under it follow a blank line)."""
    table = out.rsplit("\nSummary: drift development\n", 1)[1].split("\n\n", 1)[0]
    return [line for line in table.splitlines() if line.startswith("organization/")]


def test_drift_checks_the_stacks_at_once_and_reports_a_failure_while_the_others_finish(
    deployed: Deployed,
) -> None:
    meeting = deployed.work / "meeting"
    meeting.mkdir()
    # security and compute meet while storage fails: only possible when all three run at once.
    pair = ["security", "compute"]
    projects = programs(
        deployed,
        "meet",
        {
            "security": MEET.format(directory=str(meeting), name="security", names=pair),
            "storage": FAIL,
            "compute": MEET.format(directory=str(meeting), name="compute", names=pair),
        },
    )

    process = drift_process(deployed, projects, parallel=3)
    out, _ = process.communicate(timeout=WAIT_SECONDS)

    assert process.returncode == 1, out
    rows = summary_rows(out)
    assert [row.split()[0] for row in rows] == [f"organization/{p}/{ENV}" for p in PROJECTS]
    assert "clean" in rows[0]
    assert "failed" in rows[1]
    assert "clean" in rows[2]
    assert f"organization/storage/{ENV}: " in out
    assert "storage program broke on purpose" in out
    engine_lines = out.split("\nSummary: ", 1)[0].splitlines()
    for project in PROJECTS:
        assert any(line.startswith(f"[{project}/{ENV}] ") for line in engine_lines), project
    # Every line the engine printed carries its stack's prefix, whole, never another's.
    for project in PROJECTS:
        own = f"pulumi:pulumi:Stack {project}-{ENV}"
        lines = [line for line in engine_lines if own in line]
        assert lines, project
        assert all(line.startswith(f"[{project}/{ENV}] ") for line in lines), lines


def test_ctrl_c_stops_a_drift_of_every_stack_at_once(deployed: Deployed) -> None:
    started = deployed.work / "started"
    started.mkdir()
    projects = programs(
        deployed,
        "wait",
        {name: WAIT.format(directory=str(started), name=name) for name in PROJECTS},
    )

    process = drift_process(deployed, projects, parallel=3)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(list(started.iterdir())) < len(PROJECTS):
            assert time.monotonic() < deadline, "the three programs never all started"
            assert process.poll() is None, "the drift ended before it was interrupted"
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)
        out, _ = process.communicate(timeout=WAIT_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()

    assert process.returncode == 130, out
    assert "Interrupted: no new stack will start" in out
    assert all("interrupted" in row for row in summary_rows(out)), out
    # A drift check takes no lock and writes no state: nothing to recover.
    assert "nothing to recover" in out
    assert "cancel --yes" not in out
