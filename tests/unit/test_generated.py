"""Generated files (CODEOWNERS, the deploy workflow) follow the topology and are up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.topology import TOPOLOGY, ProjectSpec, Topology
from tooling import deploy_workflow, readme_projects
from tooling.codeowners import CODEOWNERS_FILE, GITHUB_ORGANIZATION, render
from tooling.generated import GENERATED, main


def owners(text: str) -> dict[str, str]:
    """path -> owner, for the lines that are rules."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {line.split()[0]: line.split()[1] for line in lines}


@pytest.mark.parametrize(("relative", "render_file"), GENERATED, ids=[r for r, _ in GENERATED])
def test_the_committed_file_is_up_to_date(relative: str, render_file) -> None:  # type: ignore[no-untyped-def]
    current = (CODEOWNERS_FILE.parents[1] / relative).read_text(encoding="utf-8")
    assert current == render_file(current), (
        f"{relative} is out of date with shared/topology.py: run `invoke generate`"
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


def test_check_names_a_stale_file_and_writing_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_text(
        f"# intro\n\n{readme_projects.BEGIN}{readme_projects.END}more\n"
    )
    assert main(["--check"], tmp_path) == 1
    message = capsys.readouterr().err
    assert ".github/CODEOWNERS, .github/workflows/deploy.yml, README.md" in message
    assert "run `invoke generate`" in message

    assert main([], tmp_path) == 0
    assert (tmp_path / ".github" / "CODEOWNERS").read_text() == render()
    assert main(["--check"], tmp_path) == 0
    target = tmp_path / ".github" / "workflows" / "deploy.yml"
    target.write_text(deploy_workflow.render().replace("production-compute", "prod-compute"))
    assert main(["--check"], tmp_path) == 1
    assert ".github/CODEOWNERS," not in capsys.readouterr().err
    readme = (tmp_path / "README.md").read_text()
    assert readme.startswith(f"# intro\n\n{readme_projects.BEGIN}| Project | Team |")
    assert readme.endswith(f"{readme_projects.END}more\n")


def test_the_readme_table_has_a_row_per_project_with_its_team_and_exports() -> None:
    rows = readme_projects.table().splitlines()[2:]

    assert len(rows) == len(TOPOLOGY.names)
    for name, row in zip(TOPOLOGY.names, rows, strict=True):
        spec = TOPOLOGY.project(name)
        assert row.startswith(f"| `projects/{name}` | {spec.team} | ")
        assert all(f"`{key}`" in row for key in spec.exports)
        assert readme_projects.what_it_creates(name) in row


def test_a_readme_without_the_markers_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_text("# no table here\n")

    assert main([], tmp_path) == 1
    assert "README.md: README.md lacks the markers" in capsys.readouterr().err
    assert (tmp_path / "README.md").read_text() == "# no table here\n"


def test_a_new_project_gets_a_deploy_job_per_environment_after_its_producers() -> None:
    topology = Topology(
        [
            ProjectSpec(name="security", team="security", description="d", exports=("arn",)),
            ProjectSpec(
                name="queue",
                team="messaging",
                description="d",
                exports=("url",),
                requires={"security": ("arn",)},
            ),
        ]
    )

    jobs = yaml.safe_load(deploy_workflow.render(topology, ["production", "development"]))["jobs"]

    assert list(jobs) == [
        "affected",
        "development-security",
        "development-queue",
        "production-security",
        "production-queue",
    ]
    assert jobs["development-queue"]["needs"] == ["affected", "development-security"]
    assert jobs["production-queue"]["needs"] == [
        "affected",
        "development-security",
        "development-queue",
        "production-security",
    ]
    assert jobs["production-queue"]["with"] == {
        "environment": "production",
        "project": "queue",
        "role": "webapp-production-deploy-messaging",
        "verify": "${{ needs.affected.outputs.production-last == 'queue' }}",
    }
    assert "!failure()" not in jobs["development-security"]["if"]
    assert "!failure()" in jobs["development-queue"]["if"]
