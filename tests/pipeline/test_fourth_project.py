"""A fourth project, added the way a new team would: `invoke new-project` in a copy of the repo.

The copy runs its own code (`python -m invoke` in it), so the commands see the new folder and
the new topology entry exactly as a team's branch would; nothing else may need an edit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.topology import TOPOLOGY
from tests.pipeline.git_history import git, make_template
from tests.topology_roles import UNUSED

NEW = UNUSED
PRODUCER = TOPOLOGY.names[0]
READ = f"{PRODUCER}.{TOPOLOGY.project(PRODUCER).exports[0]}"


def invoke(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository with the fourth project scaffolded and committed."""
    root = make_template(tmp_path_factory.mktemp("fourth-project"))
    added = invoke(root, "new-project", NEW, "--team", "messaging", "--reads", READ)
    assert added.returncode == 0, added.stdout + added.stderr
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", f"add {NEW}")
    return root


def test_the_change_touches_only_the_folder_the_topology_and_generated_files(
    repo: Path,
) -> None:
    changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD").splitlines()

    assert {path for path in changed if not path.startswith(f"projects/{NEW}/")} == {
        "shared/topology.py",
        ".github/CODEOWNERS",
        ".github/workflows/deploy.yml",
        "README.md",
    }
    assert f"projects/{NEW}/__main__.py" in changed


def test_the_generated_files_are_up_to_date_and_the_code_is_formatted(repo: Path) -> None:
    checked = invoke(repo, "generate", "--check")
    assert checked.returncode == 0, checked.stderr
    for tool in (("ruff", "format", "--check"), ("ruff", "check")):
        linted = subprocess.run(
            [sys.executable, "-m", *tool, f"projects/{NEW}", "shared/topology.py"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_plan_includes_the_new_project_after_its_producer(repo: Path) -> None:
    planned = invoke(repo, "plan", "--env", "development", "--json", "plan.json")

    assert planned.returncode == 0, planned.stdout + planned.stderr
    stacks = [stack["project"] for stack in json.loads((repo / "plan.json").read_text())["stacks"]]
    assert NEW in stacks
    assert stacks.index(PRODUCER) < stacks.index(NEW)


def test_affected_names_only_the_new_project(repo: Path) -> None:
    found = invoke(repo, "affected", "--base", "HEAD~1", "--json", "-")

    assert found.returncode == 0, found.stderr
    affected = json.loads(found.stdout)
    assert affected["projects"] == [NEW]
    assert all(projects == [NEW] for projects in affected["environments"].values())


def test_the_new_project_has_a_code_owner_a_deploy_job_and_a_readme_row(repo: Path) -> None:
    owners = (repo / ".github" / "CODEOWNERS").read_text()
    workflow = (repo / ".github" / "workflows" / "deploy.yml").read_text()

    assert f"| `projects/{NEW}` | messaging |" in (repo / "README.md").read_text()
    assert f"/projects/{NEW}/" in owners
    assert "@webapp-org/messaging" in owners
    for environment in ("development", "production"):
        assert f"  {environment}-{NEW}:\n" in workflow
