"""A fourth project, scaffolded by `invoke new-project`, previews on the real engine.

The orchestration runs in a process of its own (task_process.py) whose PYTHONPATH starts with a
copy of the repository holding the new folder and topology entry: the engine, the guards and
the programs see the fourth project exactly as a team's branch would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shared.paths import REPO_ROOT
from shared.settings import known_environments
from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, copy_repo
from tooling.new_project import plan_project, write_project

pytestmark = pytest.mark.engine

TASK_PROCESS = Path(__file__).with_name("task_process.py")
NEW = "queue"
PRODUCER = TOPOLOGY.names[0]
READ = f"{PRODUCER}.{TOPOLOGY.project(PRODUCER).exports[0]}"


def test_a_scaffolded_fourth_project_previews_after_its_producer_deployed(
    engine_env: EngineEnv, tmp_path: Path
) -> None:
    repo = copy_repo(tmp_path)
    project = plan_project(NEW, "messaging", [READ], projects_dir=repo.projects_dir)
    write_project(project, repo.root, known_environments())
    # As copy_projects does for the shipped projects: the copy's programs use the repo's venv.
    repo.edit(
        f"projects/{NEW}/Pulumi.yaml",
        "virtualenv: ../../.venv",
        f"virtualenv: {REPO_ROOT / '.venv'}",
    )
    # The orchestration finds the policy pack beside the copy's shared/, as in a checkout.
    shutil.copytree(REPO_ROOT / "policy-pack", repo.root / "policy-pack")
    repo.edit(
        "policy-pack/PulumiPolicy.yaml",
        "virtualenv: ../.venv",
        f"virtualenv: {REPO_ROOT / '.venv'}",
    )
    environment = {**engine_env.env, "PYTHONPATH": str(repo.root)}

    def task(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                str(TASK_PROCESS),
                str(tmp_path / "state"),
                "development",
                *arguments,
                "--projects",
                str(repo.projects_dir),
            ],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )

    refused = task("preview", NEW)
    assert refused.returncode != 0
    assert PRODUCER in refused.stdout + refused.stderr

    deployed = task("deploy", PRODUCER)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    previewed = task("preview", NEW)
    assert previewed.returncode == 0, previewed.stdout + previewed.stderr
    assert f"{NEW}" in previewed.stdout
