"""A production deploy that would serve plain HTTP is refused before anything is touched.

Through the tasks, with commands.open_orchestrator replaced by an in-memory engine (no Pulumi,
no AWS): a refused run never opens an orchestrator.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from invoke import Collection, Program
from invoke.context import MockContext
from invoke.exceptions import Exit

import tasks
from orchestration import commands
from shared.project_config import config_keys
from shared.topology import TOPOLOGY
from tests.orchestration.test_tasks import Opener
from tests.topology_roles import DEPLOY_LEVELS, levels

CERTIFICATE = "arn:aws:acm:us-west-2:111122223333:certificate/12345678-1234-1234-1234-123456789012"
# The knob that gives a project's load balancer its certificate (projects/<p>/config.py).
CERTIFICATE_KNOB = "certificateArn"
SERVES_HTTPS = [project for project in TOPOLOGY.names if CERTIFICATE_KNOB in config_keys(project)]


@pytest.fixture
def opener(monkeypatch: pytest.MonkeyPatch) -> Opener:
    double = Opener()
    monkeypatch.setattr(commands, "open_orchestrator", double)
    monkeypatch.setattr(commands, "terminal_ask", lambda: None)
    return double


def with_certificate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The tasks read a copy of the projects whose production stacks name a certificate."""
    projects = tmp_path / "projects"
    shutil.copytree(Path(tasks.__file__).parent / "projects", projects)
    for project in SERVES_HTTPS:
        stack_file = projects / project / "Pulumi.production.yaml"
        stack_file.write_text(
            stack_file.read_text() + f"  {project}:{CERTIFICATE_KNOB}: {CERTIFICATE}\n"
        )
    repo_paths = commands.Paths.for_repo(Path(tasks.__file__).parent)
    monkeypatch.setattr(
        commands.Paths,
        "for_repo",
        classmethod(lambda cls, root=None: dataclasses.replace(repo_paths, projects_dir=projects)),
    )


def test_some_project_serves_the_web_behind_a_certificate() -> None:
    # Otherwise every test below would pass without judging anything.
    assert SERVES_HTTPS


def test_a_production_deploy_without_a_certificate_is_refused_in_one_line(
    opener: Opener, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Exit) as exited:
        tasks.deploy(MockContext(), env="production", yes=True)

    message = str(exited.value.message)
    assert exited.value.code == 1
    assert "\n" not in message
    for project in SERVES_HTTPS:
        assert f"{project}:{CERTIFICATE_KNOB}" in message
        assert f"projects/{project}/Pulumi.production.yaml" in message
    assert "aws acm request-certificate" in message
    assert "--allow-http" in message
    assert message.endswith("Nothing was run.")
    assert opener.calls == []
    assert opener.engines["production"].calls == []


@pytest.mark.parametrize("project", TOPOLOGY.names)
def test_only_a_project_that_serves_the_web_is_refused(opener: Opener, project: str) -> None:
    refusal = ""
    try:
        tasks.deploy(MockContext(), env="production", project=project, yes=True)
    except Exit as exited:
        # Other projects may be refused later (their upstream stacks are not deployed).
        refusal = str(exited.message)
    assert ("aws acm request-certificate" in refusal) is (project in SERVES_HTTPS)
    assert (opener.calls == []) is (project in SERVES_HTTPS)


def test_allow_http_deploys_and_says_so_in_the_run_output(
    opener: Opener, capsys: pytest.CaptureFixture[str]
) -> None:
    # Through invoke's own parser: the flag exists as the user types it.
    program = Program(namespace=Collection.from_module(tasks), version="test")
    program.run(["invoke", "deploy", "--env", "production", "--yes", "--allow-http"], exit=False)

    assert levels(opener.engines["production"].ops("up")) == DEPLOY_LEVELS
    warnings = [line for line in capsys.readouterr().err.splitlines() if "--allow-http" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("WARNING: --allow-http")
    for project in SERVES_HTTPS:
        assert f"{project}:{CERTIFICATE_KNOB}" in warnings[0]


def test_with_a_certificate_production_deploys_without_the_flag_or_a_warning(
    opener: Opener,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with_certificate(monkeypatch, tmp_path)

    tasks.deploy(MockContext(), env="production", yes=True)

    assert levels(opener.engines["production"].ops("up")) == DEPLOY_LEVELS
    assert "--allow-http" not in capsys.readouterr().err


def test_development_and_a_production_preview_are_not_refused(opener: Opener) -> None:
    # Development has no load balancer to serve HTTPS; a preview changes nothing, and the
    # offline plan keeps its advisory finding (elb-https-only) instead.
    tasks.deploy(MockContext(), env="development", yes=True)
    tasks.preview(MockContext(), env="production")

    assert len(opener.calls) == 2
