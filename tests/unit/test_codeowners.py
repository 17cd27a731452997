"""CODEOWNERS is generated from the topology, and the committed file must match it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.topology import ProjectSpec, Topology
from tooling.codeowners import CODEOWNERS_FILE, GITHUB_ORGANIZATION, main, render


def owners(text: str) -> dict[str, str]:
    """path -> owner, for the lines that are rules."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {line.split()[0]: line.split()[1] for line in lines}


def test_the_committed_file_is_up_to_date_with_the_topology() -> None:
    assert CODEOWNERS_FILE.read_text(encoding="utf-8") == render(), (
        ".github/CODEOWNERS is out of date with shared/topology.py: run `invoke codeowners`"
    )


def test_each_project_and_its_stack_files_belong_to_its_team() -> None:
    rules = owners(render(environments=("development", "production")))

    assert rules["/projects/security/"] == f"@{GITHUB_ORGANIZATION}/security"
    assert rules["/projects/storage/Pulumi.production.yaml"] == f"@{GITHUB_ORGANIZATION}/data"
    assert rules["/projects/compute/Pulumi.development.yaml"] == f"@{GITHUB_ORGANIZATION}/web"
    for shared in ("/shared/", "/tasks.py", "/program/policy/", "/policy-pack/", "*"):
        assert rules[shared] == f"@{GITHUB_ORGANIZATION}/platform"


def test_a_new_project_or_environment_changes_the_file() -> None:
    topology = Topology(
        [ProjectSpec(name="queue", team="messaging", description="d", exports=("url",))]
    )

    rules = owners(render(topology, environments=("staging",)))

    assert rules["/projects/queue/"] == f"@{GITHUB_ORGANIZATION}/messaging"
    assert rules["/projects/queue/Pulumi.staging.yaml"] == f"@{GITHUB_ORGANIZATION}/messaging"
    assert "/projects/security/" not in rules


def test_check_fails_on_a_stale_file_and_writing_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / ".github" / "CODEOWNERS"
    assert main(["--check"], target) == 1
    assert "out of date with shared/topology.py: run `invoke codeowners`" in capsys.readouterr().err

    assert main([], target) == 0
    assert target.read_text() == render()
    assert main(["--check"], target) == 0
    target.write_text(render().replace("@webapp-org/web", "@webapp-org/someone"))
    assert main(["--check"], target) == 1
